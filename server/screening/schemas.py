"""Screening and model-delivery schemas; inputs forbid unknown fields."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import WithJsonSchema, field_validator

from core.schemas import StrictSchema
from lesion_contract.labels import LABELS, Label, RiskLevel
from screening import presenters
from screening.models import Screening, ScreeningShare


class DeviceResultIn(StrictSchema):
    model_version: str = Field(..., max_length=100)
    probabilities: list[float] | dict[str, float]
    latency_ms: float | None = None


class SyncItemIn(StrictSchema):
    client_uuid: uuid.UUID
    captured_at: datetime
    photo: str = Field(..., min_length=1, max_length=100, description="Name of the multipart file field holding this item's photo.")
    body_site: str = Field("", max_length=64)
    note: str = Field("", max_length=500)
    device_result: DeviceResultIn | None = None


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

    date_from: date | None = Field(None, description="On captured_at, inclusive.")
    date_to: date | None = Field(None, description="On captured_at, inclusive.")
    risk: RiskLevel | None = None
    label: Label | None = None
    owner_id: int | None = None
    model_version: str | None = Field(None, max_length=100)
    source: Literal["online", "sync"] | None = None


class DeviceComparisonOut(Schema):
    model_version: str
    same_model_version: bool
    top_label: str
    probabilities: dict[str, float]
    latency_ms: float | None
    server_top_label: str
    agrees_top1: bool
    max_abs_difference: float


class ScreeningOut(Schema):
    """One screening as the API answers it, built from the stored row (the server's answer, the phone's
    answer beside it, and the texts a patient reads)."""

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
    probabilities: dict[str, float]
    top_label: str
    top_label_display: str
    risk: RiskLevel
    recommended_action: str
    disclaimer: str
    server_latency_ms: float
    device: DeviceComparisonOut | None

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
    def resolve_probabilities(obj: Screening) -> dict[str, float]:
        return dict(zip(LABELS, (float(p) for p in obj.probabilities), strict=True))

    @staticmethod
    def resolve_top_label_display(obj: Screening) -> str:
        return presenters.display_name(obj.model_version, obj.top_label)

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
    clinician_id: int


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
