"""Screening and model-delivery schemas; inputs forbid unknown fields."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import WithJsonSchema, field_validator

from core.schemas import DbId, IsoDate, IsoDateTime, StrictSchema
from lesion_contract.labels import LABELS, Label, RiskLevel
from lesion_contract.ood import Outcome
from screening import presenters
from screening.models import Impression, Lesion, Screening, ScreeningReview, ScreeningShare


class DeviceResultIn(StrictSchema):
    model_version: str = Field(..., max_length=100)
    probabilities: list[float] | dict[str, float]
    latency_ms: float | None = None


class SyncItemIn(StrictSchema):
    client_uuid: uuid.UUID
    captured_at: IsoDateTime
    photo: str = Field(..., min_length=1, max_length=100, description="Name of the multipart file field holding this item's photo.")
    body_site: str = Field("", max_length=64)
    note: str = Field("", max_length=500)
    device_result: DeviceResultIn | None = None
    lesion_id: uuid.UUID | None = Field(None, description="One of your lesions this capture belongs to.")


class SyncBatchIn(Schema):
    """The `items` form field of POST /screenings/sync: a JSON list of items (each checked on its own)."""

    # On the wire it is one text field holding JSON; the schema says so (the validator below decodes it).
    items: Annotated[
        list[dict[str, Any]],
        WithJsonSchema({"type": "string", "contentMediaType": "application/json", "title": "Items"}),
    ] = Field(..., description="JSON list of {client_uuid, captured_at, photo, body_site?, note?, device_result?}.")

    @field_validator("items", mode="before")
    @classmethod
    def _decode(cls, raw: Any) -> Any:
        # A form field arrives as the list of its values; the batch is one text value.
        if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str):
            raw = raw[0]
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError("items is not a readable list (expected a list of item objects)") from None
        if not isinstance(raw, list) or not raw:
            raise ValueError("items must be a non-empty list of item objects")
        limit = int(settings.SCREENING_SYNC_MAX_ITEMS)
        if len(raw) > limit:
            raise ValueError(f"at most {limit} items per sync request")
        if not all(isinstance(item, dict) for item in raw):
            raise ValueError("every item must be an object")
        return raw


class ScreeningFilters(Schema):
    """Query filters of GET /screenings (the page comes from the API's one pagination)."""

    date_from: IsoDate | None = Field(None, description="On captured_at, inclusive.")
    date_to: IsoDate | None = Field(None, description="On captured_at, inclusive.")
    risk: RiskLevel | None = None
    label: Label | None = None
    owner_id: DbId | None = None
    model_version: str | None = Field(None, max_length=100)
    source: Literal["online", "sync"] | None = None
    lesion_id: uuid.UUID | None = Field(None, description="Only the screenings of this lesion.")
    unassigned: bool | None = Field(None, description="true: only screenings under no lesion (to assign them); false: only those under one.")


class DeviceComparisonOut(Schema):
    model_version: str
    same_model_version: bool
    top_label: str
    probabilities: dict[str, float]
    latency_ms: float | None
    server_top_label: str | None = Field(..., description="Null when the server could not assess the photo (outcome cannot_assess).")
    agrees_top1: bool | None = Field(..., description="Null when the server could not assess the photo.")
    max_abs_difference: float


ImpressionName = Literal["benign", "monitor", "excise_or_biopsy", "refer_urgently"]


class ReviewOut(Schema):
    """A clinician's assessment of a screening as it stands now (its latest revision)."""

    id: int
    screening_id: uuid.UUID
    clinician_id: int | None
    clinician_name: str
    impression: ImpressionName
    impression_display: str
    note: str
    follow_up_weeks: int | None = Field(..., description="The clinician suggests photographing the lesion again after this many weeks.")
    diagnosis_label: Label | None = Field(..., description="The clinician's diagnosis from the fixed labels, when they know it.")
    revision: int = Field(..., description="1 for the first version; each amendment adds one (the history is kept).")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_impression_display(obj: ScreeningReview) -> str:
        return str(Impression(obj.impression).label)

    @staticmethod
    def resolve_diagnosis_label(obj: ScreeningReview) -> str | None:
        return obj.diagnosis_label or None


class ScreeningOut(Schema):
    """One screening as the API answers it, built from the stored row (the server's answer, the phone's
    answer beside it, the texts a patient reads, and clinicians' reviews)."""

    id: uuid.UUID
    client_uuid: uuid.UUID | None
    owner_id: int
    source: str
    captured_at: datetime
    created_at: datetime
    body_site: str
    note: str
    photo_url: str
    photo_width: int
    photo_height: int
    model_version: str
    model_synthetic: bool
    labels: list[str]
    outcome: Outcome = Field(
        "assessed",
        description=(
            "cannot_assess: the photo is too far from the lesion photos the model knows (the bundle's manifest.ood rule); "
            "no class verdict is given (probabilities, top_label, top_label_display and risk are null) and "
            "recommended_action says to retake the photo or see a clinician."
        ),
    )
    ood_score: float | None = Field(None, description="The rule's out-of-distribution score; null when the model version has no rule.")
    probabilities: dict[str, float] | None
    top_label: str | None
    top_label_display: str | None
    risk: RiskLevel | None
    recommended_action: str
    disclaimer: str
    server_latency_ms: float
    device: DeviceComparisonOut | None
    # Defaults: answers stored for idempotent replays before lesions and reviews existed lack them.
    lesion_id: uuid.UUID | None = Field(None, description="The lesion this screening belongs to; null when unassigned.")
    reviews: list[ReviewOut] = Field(default_factory=list, description="Clinicians' reviews (current versions), oldest first.")

    @staticmethod
    def resolve_reviews(obj: Screening) -> list[ScreeningReview]:
        return list(obj.reviews.all())

    @staticmethod
    def resolve_photo_url(obj: Screening) -> str:
        return presenters.photo_url(obj)

    @staticmethod
    def resolve_model_version(obj: Screening) -> str:
        return obj.model_version.version

    @staticmethod
    def resolve_model_synthetic(obj: Screening) -> bool:
        return obj.model_version.synthetic

    @staticmethod
    def resolve_labels(obj: Screening) -> list[str]:
        return list(LABELS)

    @staticmethod
    def resolve_probabilities(obj: Screening) -> dict[str, float] | None:
        if not presenters.assessed(obj):
            return None
        return dict(zip(LABELS, (float(p) for p in obj.probabilities), strict=True))

    @staticmethod
    def resolve_top_label(obj: Screening) -> str | None:
        return obj.top_label if presenters.assessed(obj) else None

    @staticmethod
    def resolve_risk(obj: Screening) -> str | None:
        return obj.risk if presenters.assessed(obj) else None

    @staticmethod
    def resolve_top_label_display(obj: Screening) -> str | None:
        return presenters.display_name(obj.model_version, obj.top_label) if presenters.assessed(obj) else None

    @staticmethod
    def resolve_recommended_action(obj: Screening) -> str:
        return presenters.recommended_action(obj)

    @staticmethod
    def resolve_disclaimer(obj: Screening) -> str:
        return presenters.disclaimer(obj.model_version)

    @staticmethod
    def resolve_device(obj: Screening) -> dict[str, Any] | None:
        return presenters.device_comparison(obj)


class SyncErrorOut(Schema):
    detail: str
    code: str
    status: int


class SyncItemOut(Schema):
    index: int
    client_uuid: uuid.UUID | None
    status: Literal["created", "duplicate", "error"]
    screening: ScreeningOut | None
    error: SyncErrorOut | None


class SyncOut(Schema):
    created: int
    duplicates: int
    errors: int
    results: list[SyncItemOut]


class ShareIn(StrictSchema):
    clinician_id: DbId


class ShareOut(Schema):
    screening_id: uuid.UUID
    clinician_id: int
    clinician_name: str
    created_at: datetime

    @staticmethod
    def resolve_clinician_name(obj: ScreeningShare) -> str:
        return obj.clinician.full_name or obj.clinician.email


class ModelVersionOut(Schema):
    version: str
    name: str
    synthetic: bool
    is_active: bool
    bundle_created_at: datetime
    imported_at: datetime
    activated_at: datetime | None


class ModelFileOut(Schema):
    name: str
    variant: str | None
    size: int
    sha256: str
    url: str


class SignedManifestOut(Schema):
    version: str
    synthetic: bool
    manifest: dict[str, Any]
    issued_at: str = Field(..., description="When this signature was made (UTC, ISO 8601); the signed copy is `signed_payload`'s `delivery.issued_at`.")
    expires_at: str = Field(..., description="After this the app refuses to install from this manifest (an installed model keeps working).")
    signed_payload: str = Field(
        ...,
        description=(
            'The exact signed text: JSON of `manifest` plus `delivery: {version, issued_at, expires_at}`, sorted keys, separators (",", ":"), UTF-8. '
            "Verify these bytes, then parse them; refuse an expired one or one issued before the manifest already installed."
        ),
    )
    signature: str = Field(..., description="base64 Ed25519 signature of the UTF-8 bytes of `signed_payload`.")
    algorithm: str
    key_id: str
    public_key_url: str
    files: list[ModelFileOut]


class PublicKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str = Field(..., description="base64 of the raw 32-byte Ed25519 public key.")
    encoding: str


class AgreementLabelOut(Schema):
    server_count: int
    phone_count: int
    agreed: int
    recall_vs_server: float | None


class ReviewAgreementOut(Schema):
    n_reviews: int
    n_matched: int = Field(..., description="Reviews where a high risk met excise_or_biopsy/refer_urgently, or a low/medium risk met benign/monitor.")
    agreement: float | None
    sensitivity_vs_clinicians: float | None = Field(..., description="Of the reviews with a concerning impression, the share the model rated high risk.")
    precision_vs_clinicians: float | None = Field(..., description="Of the reviewed screenings the model rated high risk, the share with a concerning impression.")
    table: dict[str, dict[str, int]] = Field(..., description="table[model_risk][impression] = count of reviews.")


class AgreementOut(Schema):
    version: str
    synthetic: bool
    n_with_both: int
    n_agree: int
    top1_agreement: float | None
    n_device_other_version: int
    labels: list[str]
    confusion: dict[str, dict[str, int]] = Field(..., description="confusion[phone_label][server_label] = count.")
    per_label: dict[str, AgreementLabelOut]
    review_agreement: ReviewAgreementOut = Field(..., description="The model's risk level against clinicians' impressions, for this version.")




# -- lesions --

BodyViewName = Literal["front", "back"]


class LesionIn(StrictSchema):
    name: str = Field(..., min_length=1, max_length=80)
    body_view: BodyViewName
    body_x: float = Field(..., ge=0, le=1, description="0 = left edge of the body map, 1 = right edge.")
    body_y: float = Field(..., ge=0, le=1, description="0 = top of the body map, 1 = bottom.")
    body_region: str = Field("", max_length=64, description="Optional named region, e.g. 'left forearm'.")
    notes: str = Field("", max_length=500)


class LesionPatch(StrictSchema):
    name: str | None = Field(None, min_length=1, max_length=80)
    body_view: BodyViewName | None = None
    body_x: float | None = Field(None, ge=0, le=1)
    body_y: float | None = Field(None, ge=0, le=1)
    body_region: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=500)


class LesionOut(Schema):
    id: uuid.UUID
    owner_id: int
    name: str
    body_view: BodyViewName
    body_x: float
    body_y: float
    body_region: str
    notes: str
    follow_up_due_at: datetime | None = Field(..., description="When the pending follow-up reminder is due, if one is set.")
    screening_count: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_screening_count(obj: Lesion) -> int:
        count = getattr(obj, "screening_count", None)
        return int(count) if count is not None else obj.screenings.count()


class LesionAssignIn(StrictSchema):
    lesion_id: uuid.UUID | None = Field(..., description="One of your lesions, or null to leave the screening unassigned.")


class FollowUpIn(StrictSchema):
    weeks: int = Field(..., ge=1, le=104, description="Remind me to photograph this lesion again in this many weeks.")


class TimelineOut(Schema):
    lesion: LesionOut
    screenings: list[ScreeningOut] = Field(..., description="The lesion's screenings you may see, oldest first.")


# -- reviews and the clinician worklist --


class ReviewIn(StrictSchema):
    impression: ImpressionName
    note: str = Field("", max_length=2000)
    follow_up_weeks: int | None = Field(None, ge=1, le=104)
    diagnosis_label: Label | None = Field(None, description="Only when the diagnosis is known (e.g. histology); leave empty otherwise.")


class ReviewRevisionOut(Schema):
    number: int
    impression: ImpressionName
    note: str
    follow_up_weeks: int | None
    diagnosis_label: Label | None
    created_at: datetime

    @staticmethod
    def resolve_diagnosis_label(obj: Any) -> str | None:
        return obj.diagnosis_label or None


class ReviewDetailOut(ReviewOut):
    revisions: list[ReviewRevisionOut] = Field(..., description="Every version, first to last (append-only).")

    @staticmethod
    def resolve_revisions(obj: ScreeningReview) -> list[Any]:
        return list(obj.revisions.all())


class WorklistFilters(Schema):
    risk: RiskLevel | None = None
    reviewed: bool | None = Field(None, description="true: reviewed by any clinician; false: not reviewed yet.")
    date_from: IsoDate | None = Field(None, description="On captured_at, inclusive.")
    date_to: IsoDate | None = Field(None, description="On captured_at, inclusive.")


class WorklistItemOut(ScreeningOut):
    patient_name: str
    reviewed: bool
    lesion_name: str | None

    @staticmethod
    def resolve_patient_name(obj: Screening) -> str:
        return obj.owner.full_name or obj.owner.email

    @staticmethod
    def resolve_reviewed(obj: Screening) -> bool:
        return bool(getattr(obj, "is_reviewed", False))

    @staticmethod
    def resolve_lesion_name(obj: Screening) -> str | None:
        return obj.lesion.name if obj.lesion_id and obj.lesion else None
