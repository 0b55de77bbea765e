"""Routes: /screenings (create, sync, read, share, delete, lesion, reviews), /lesions (records, timeline, follow-up),
/clinician/worklist, and /models (delivery, activation, agreement)."""

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import File, Form, Header, Query, Router, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ValidationError

from accounts.auth import jwt_auth
from core import idempotency
from core.auth import request_user
from core.errors import ApplicationError
from core.pagination import Pages
from core.permissions import require_admin, require_role
from core.schemas import DbId, ErrorOut, IsoDateTime
from screening import delivery, lesions, photos, presenters, reviews, selectors, services, signing
from screening.error_codes import ScreeningError
from screening.models import Lesion, Screening, ScreeningReview, ScreeningShare
from screening.schemas import (
    AgreementOut,
    DeviceResultIn,
    FollowUpIn,
    LesionAssignIn,
    LesionIn,
    LesionOut,
    LesionPatch,
    ModelVersionOut,
    PublicKeyOut,
    ReviewDetailOut,
    ReviewIn,
    ScreeningFilters,
    ScreeningOut,
    ShareIn,
    ShareOut,
    SignedManifestOut,
    SyncBatchIn,
    SyncItemIn,
    SyncOut,
    TimelineOut,
    WorklistFilters,
    WorklistItemOut,
)

screenings_router = Router(auth=jwt_auth, tags=["screenings"])
models_router = Router(tags=["models"])

E4 = {401: ErrorOut, 404: ErrorOut}


def _read_upload(upload: Any) -> bytes:
    """Refuse an oversized file by its size before reading it into memory."""
    limit = photos.max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(f"The photo is {upload.size} bytes; the limit is {limit}.", code=ScreeningError.PHOTO_TOO_LARGE, status=413)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ApplicationError(f"The photo is larger than the limit of {limit} bytes.", code=ScreeningError.PHOTO_TOO_LARGE, status=413)
    return data


def _device(raw: str | None) -> services.DeviceResult | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        parsed = DeviceResultIn.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        raise ApplicationError(f"device_result is invalid: {message}", code=ScreeningError.DEVICE_RESULT_INVALID, status=422) from exc
    return services.device_result_from(model_version=parsed.model_version, probabilities=parsed.probabilities, latency_ms=parsed.latency_ms)


def _idempotency_key(header: str | None, client_uuid: uuid.UUID | None) -> tuple[str | None, uuid.UUID | None]:
    """One key per create: the `Idempotency-Key` header or `client_uuid` (they must agree when both are sent).

    Returns (key, client_uuid to store); a UUID-shaped header doubles as the client_uuid."""
    key = idempotency.validate_key(header)
    if key is None:
        return (str(client_uuid) if client_uuid else None), client_uuid
    try:
        header_uuid: uuid.UUID | None = uuid.UUID(key)
    except ValueError:
        header_uuid = None
    if client_uuid is not None and header_uuid != client_uuid:
        raise ApplicationError("Idempotency-Key and client_uuid differ; send one key.", code="validation_error", status=422)
    return key, client_uuid or header_uuid


@screenings_router.post(
    "/screenings",
    response={201: ScreeningOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="Screen one lesion photo with the authoritative server model",
)
def create_screening(
    request: HttpRequest,
    photo: File[UploadedFile],
    device_result: Form[str | None] = None,
    client_uuid: Form[uuid.UUID | None] = None,
    captured_at: Form[IsoDateTime | None] = None,
    body_site: Form[str] = "",
    note: Form[str] = "",
    lesion_id: Form[uuid.UUID | None] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    """Multipart: `photo` (JPEG, PNG or HEIC; checked by content), optional `device_result` (JSON
    `{model_version, probabilities, latency_ms}`), optional `client_uuid`, `captured_at`, `body_site`, `note`,
    `lesion_id` (one of your lesions; 422 `lesion_not_found` otherwise).
    Idempotent with `client_uuid` or an `Idempotency-Key` header (the same key space as `/screenings/sync`):
    the same request again answers the first 201 and body with `Idempotent-Replayed: true`; the same key
    with a different photo or fields is a 422 `idempotency_key_reused`."""
    key, stored_uuid = _idempotency_key(idempotency_key, client_uuid)
    item = services.ScreeningInput(
        photo=_read_upload(photo),
        client_uuid=stored_uuid,
        idempotency_key=key,
        captured_at=captured_at,
        body_site=body_site.strip(),
        note=note.strip(),
        device=_device(device_result),
        source="online",
        lesion_id=lesion_id,
    )
    return services.screening_create(owner=request_user(request), item=item).response()


def _sync_item(request: HttpRequest, raw: dict[str, Any], used: set[str]) -> services.ScreeningInput | ApplicationError:
    """One item of a sync batch, checked on its own: a bad item becomes that item's error, not the batch's."""
    try:
        item = SyncItemIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return ApplicationError(f"Invalid item: {where}: {first.get('msg')}", code="validation_error", status=422)
    try:
        upload = request.FILES.get(item.photo)
        if upload is None or item.photo in used:
            raise ApplicationError(
                f"No file field {item.photo!r} in the request (each item needs its own photo part).", code=ScreeningError.PHOTO_MISSING, status=422
            )
        used.add(item.photo)
        dev = item.device_result
        return services.ScreeningInput(
            photo=_read_upload(upload),
            client_uuid=item.client_uuid,
            captured_at=item.captured_at,
            body_site=item.body_site.strip(),
            note=item.note.strip(),
            device=services.device_result_from(model_version=dev.model_version, probabilities=dev.probabilities, latency_ms=dev.latency_ms) if dev else None,
            source="sync",
            lesion_id=item.lesion_id,
        )
    except ApplicationError as exc:
        exc.extra = {**exc.extra, "client_uuid": str(item.client_uuid)}
        return exc


@screenings_router.post("/screenings/sync", response={200: SyncOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 503: ErrorOut})
def sync_screenings(request: HttpRequest, batch: Form[SyncBatchIn]) -> HttpResponse:
    """Multipart: `items` is a JSON list (at most SCREENING_SYNC_MAX_ITEMS) of `{client_uuid, captured_at,
    photo, body_site?, note?, device_result?, lesion_id?}` where `photo` names the file part with that item's image.
    Each item's `client_uuid` is its idempotency key (shared with `POST /screenings`): an item already
    applied comes back as `duplicate` with the stored screening, one with the same key but other content
    as an item error 422 `idempotency_key_reused`; when every item is a replay the response carries
    `Idempotent-Replayed: true`. Every item gets its own result, so one bad photo does not sink the batch."""
    used: set[str] = set()
    items = [_sync_item(request, raw, used) for raw in batch.items]
    outcomes = services.screenings_sync(owner=request_user(request), items=items)
    # The stored answers are JSON already: the body goes out as it is.
    return idempotency.json_response(presenters.sync_body(outcomes), status=200, replayed=all(o.status == "duplicate" for o in outcomes))


class ScreeningPages(Pages):
    """The API's one pagination; the page shown is written to the access trail (screenings of others)."""

    action = "list"

    def paginate_queryset(self, queryset: QuerySet[Screening], pagination: Any, request: HttpRequest, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination=pagination, request=request, **params)
        page["items"] = list(page["items"])
        services.screenings_list_access_record(actor=request_user(request), screenings=page["items"], action=self.action)
        return page


class WorklistPages(ScreeningPages):
    action = "worklist"


@screenings_router.get("/screenings", response={200: list[ScreeningOut], 401: ErrorOut, 422: ErrorOut})
@paginate(ScreeningPages)
def list_screenings(request: HttpRequest, filters: Query[ScreeningFilters]) -> QuerySet[Screening]:
    """Screenings you may see, newest first: your own; as a clinician also those shared with you or of
    patients with an appointment with you (upcoming, or within SCREENING_CLINICIAN_ACCESS_DAYS after it);
    as an admin all. `page_size` is capped at 100."""
    return selectors.screening_list(user=request_user(request), **filters.model_dump())


@screenings_router.get("/screenings/{screening_id}", response={200: ScreeningOut, **E4})
def get_screening(request: HttpRequest, screening_id: uuid.UUID) -> Screening:
    return services.screening_open(user=request_user(request), screening_id=screening_id, action="read")


@screenings_router.get("/screenings/{screening_id}/photo", response={200: None, **E4})
def get_screening_photo(request: HttpRequest, screening_id: uuid.UUID) -> HttpResponseBase:
    """The stored photo: re-encoded JPEG with no metadata."""
    screening = services.screening_open(user=request_user(request), screening_id=screening_id, action="photo")
    try:
        fh = default_storage.open(screening.photo, "rb")
    except OSError as exc:
        raise HttpError(404, "The photo file is gone.") from exc
    response = FileResponse(fh, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@screenings_router.delete("/screenings/{screening_id}", response={204: None, **E4})
def delete_screening(request: HttpRequest, screening_id: uuid.UUID) -> HttpResponse:
    """Owner only: removes the screening and its photo."""
    screening = services.screening_open_owned(user=request_user(request), screening_id=screening_id, action="delete")
    services.screening_delete(screening=screening)
    return HttpResponse(status=204)


@screenings_router.get("/screenings/{screening_id}/shares", response={200: list[ShareOut], **E4})
def list_screening_shares(request: HttpRequest, screening_id: uuid.UUID) -> list[ScreeningShare]:
    screening = services.screening_open_owned(user=request_user(request), screening_id=screening_id, action="list_shares")
    return selectors.shares_of(screening)


@screenings_router.post("/screenings/{screening_id}/shares", response={200: ShareOut, 201: ShareOut, 422: ErrorOut, **E4})
def share_screening(request: HttpRequest, screening_id: uuid.UUID, payload: ShareIn) -> Status[ScreeningShare]:
    """Owner only: let one clinician see this screening (repeating it is harmless)."""
    screening = services.screening_open_owned(user=request_user(request), screening_id=screening_id, action="share")
    share, created = services.screening_share(screening=screening, clinician_id=payload.clinician_id)
    return Status(201 if created else 200, share)


@screenings_router.delete("/screenings/{screening_id}/shares/{clinician_id}", response={204: None, **E4})
def unshare_screening(request: HttpRequest, screening_id: uuid.UUID, clinician_id: DbId) -> HttpResponse:
    screening = services.screening_open_owned(user=request_user(request), screening_id=screening_id, action="unshare")
    services.screening_unshare(screening=screening, clinician_id=clinician_id)
    return HttpResponse(status=204)


# -- models: delivery to phones (public), registry (admins), agreement (clinicians, admins) --


@models_router.get("/models/latest", response={200: SignedManifestOut, 404: ErrorOut, 503: ErrorOut})
def get_latest_model(request: HttpRequest) -> dict[str, Any]:
    """The active bundle's manifest, signed with Ed25519, with per-file download URLs, sizes and sha256."""
    mv = selectors.model_version_active()
    if mv is None:
        raise ApplicationError("No model version is active.", code=ScreeningError.NO_ACTIVE_MODEL, status=404)
    return delivery.signed_manifest(request, mv)


@models_router.get("/models/public-key", response={200: PublicKeyOut, 503: ErrorOut})
def get_model_public_key(request: HttpRequest) -> dict[str, Any]:
    """The Ed25519 public key that verifies `/models/latest` signatures (pin it in the app)."""
    key = signing.load_key()
    return {"algorithm": signing.ALGORITHM, "key_id": key.key_id, "public_key": key.public_key_b64, "encoding": "base64 (raw 32 bytes)"}


@models_router.get("/models", auth=jwt_auth, response={200: list[ModelVersionOut], 401: ErrorOut, 403: ErrorOut})
def list_model_versions(request: HttpRequest) -> list[dict[str, Any]]:
    require_role(request_user(request), "clinician")
    return [presenters.model_version_out(mv) for mv in selectors.model_version_list()]


@models_router.post("/models/{version}/activate", auth=jwt_auth, response={200: ModelVersionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def activate_model_version(request: HttpRequest, version: str) -> dict[str, Any]:
    """Admins: make this version the active one (also the way to roll back)."""
    user = request_user(request)
    require_admin(user)
    mv = services.model_version_activate(model_version=selectors.model_version_get(version), by=user)
    return presenters.model_version_out(mv)


@models_router.get("/models/{version}/agreement", auth=jwt_auth, response={200: AgreementOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_model_agreement(request: HttpRequest, version: str) -> dict[str, Any]:
    """Clinicians and admins: phone-vs-server top-1 agreement and confusion for this version."""
    require_role(request_user(request), "clinician")
    return selectors.agreement_report(model_version=selectors.model_version_get(version))


@models_router.api_operation(["GET", "HEAD"], "/models/{version}/files/{path:name}", response={200: None, 206: None, 304: None, 404: ErrorOut, 416: ErrorOut})
def download_model_file(request: HttpRequest, version: str, name: str) -> HttpResponseBase:
    """Stream one bundle file: `ETag` is its sha256, `If-None-Match` gives 304, `Range` gives 206."""
    return delivery.serve_file(request, selectors.model_version_get(version), name)


# -- a screening's lesion and its reviews --


@screenings_router.put("/screenings/{screening_id}/lesion", response={200: ScreeningOut, 422: ErrorOut, **E4})
def assign_screening_lesion(request: HttpRequest, screening_id: uuid.UUID, payload: LesionAssignIn) -> Screening:
    """Owner only: put the screening under one of your lesions, or `{"lesion_id": null}` to unassign it."""
    screening = services.screening_open_owned(user=request_user(request), screening_id=screening_id, action="assign_lesion")
    return lesions.screening_assign_lesion(screening=screening, lesion_id=payload.lesion_id)


@screenings_router.get("/screenings/{screening_id}/reviews", response={200: list[ReviewDetailOut], **E4})
def list_screening_reviews(request: HttpRequest, screening_id: uuid.UUID) -> list[ScreeningReview]:
    """Everyone who may see the screening: its reviews with every revision (the amendment history)."""
    screening = services.screening_open(user=request_user(request), screening_id=screening_id, action="reviews")
    return selectors.reviews_of(screening)


@screenings_router.put("/screenings/{screening_id}/review", response={200: ReviewDetailOut, 201: ReviewDetailOut, 403: ErrorOut, 422: ErrorOut, **E4})
def write_screening_review(request: HttpRequest, screening_id: uuid.UUID, payload: ReviewIn) -> Status[ScreeningReview]:
    """Clinicians the screening is shared with, or with an appointment with its owner: write your review
    (201) or amend it (200; a new revision, the earlier ones are kept). Sending it unchanged adds nothing.
    The owner gets a push. Patients and admins cannot write reviews (403 `review_not_allowed`)."""
    user = request_user(request)
    screening = services.screening_open(user=user, screening_id=screening_id, action="review")
    item = reviews.ReviewInput(
        impression=payload.impression, note=payload.note, follow_up_weeks=payload.follow_up_weeks, diagnosis_label=payload.diagnosis_label or ""
    )
    review, created = reviews.review_write(clinician=user, screening=screening, item=item)
    return Status(201 if created else 200, ScreeningReview.objects.prefetch_related("revisions").get(pk=review.pk))


# -- lesions --


@screenings_router.get("/lesions", response={200: list[LesionOut], 401: ErrorOut, 422: ErrorOut}, tags=["lesions"])
@paginate(Pages)
def list_lesions(request: HttpRequest, owner_id: DbId | None = None) -> QuerySet[Lesion]:
    """Your lesions by name (clinicians and admins: `owner_id` for a patient whose lesions they may see)."""
    return lesions.lesion_list(user=request_user(request), owner_id=owner_id)


@screenings_router.post("/lesions", response={201: LesionOut, 401: ErrorOut, 422: ErrorOut}, tags=["lesions"])
def create_lesion(request: HttpRequest, payload: LesionIn) -> Status[Lesion]:
    """A new lesion of yours: a name and where it is on the body map (front or back, x and y in 0..1)."""
    return Status(201, lesions.lesion_create(owner=request_user(request), **payload.model_dump()))


@screenings_router.get("/lesions/{lesion_id}", response={200: LesionOut, **E4}, tags=["lesions"])
def get_lesion(request: HttpRequest, lesion_id: uuid.UUID) -> Lesion:
    return lesions.lesion_open(user=request_user(request), lesion_id=lesion_id)


@screenings_router.patch("/lesions/{lesion_id}", response={200: LesionOut, 422: ErrorOut, **E4}, tags=["lesions"])
def update_lesion(request: HttpRequest, lesion_id: uuid.UUID, payload: LesionPatch) -> Lesion:
    """Owner only."""
    lesion = lesions.lesion_open_owned(user=request_user(request), lesion_id=lesion_id)
    return lesions.lesion_update(lesion=lesion, data=payload.model_dump(exclude_unset=True))


@screenings_router.delete("/lesions/{lesion_id}", response={204: None, **E4}, tags=["lesions"])
def delete_lesion(request: HttpRequest, lesion_id: uuid.UUID) -> HttpResponse:
    """Owner only: the lesion goes; its screenings stay, unassigned; its pending reminder is cancelled."""
    lesions.lesion_delete(lesion=lesions.lesion_open_owned(user=request_user(request), lesion_id=lesion_id))
    return HttpResponse(status=204)


@screenings_router.get("/lesions/{lesion_id}/timeline", response={200: TimelineOut, **E4}, tags=["lesions"])
def get_lesion_timeline(request: HttpRequest, lesion_id: uuid.UUID) -> dict[str, Any]:
    """The lesion's screenings oldest first, each with its photo URL, result, model version and reviews."""
    user = request_user(request)
    lesion = lesions.lesion_open(user=user, lesion_id=lesion_id)
    return {"lesion": lesion, "screenings": lesions.lesion_timeline(user=user, lesion=lesion)}


@screenings_router.put("/lesions/{lesion_id}/follow-up", response={200: LesionOut, 422: ErrorOut, **E4}, tags=["lesions"])
def set_lesion_follow_up(request: HttpRequest, lesion_id: uuid.UUID, payload: FollowUpIn) -> Lesion:
    """Owner only: remind me (push) to photograph this lesion again in `weeks` weeks; replaces a pending reminder."""
    lesion = lesions.lesion_open_owned(user=request_user(request), lesion_id=lesion_id)
    return lesions.lesion_follow_up_set(lesion=lesion, weeks=payload.weeks)


@screenings_router.delete("/lesions/{lesion_id}/follow-up", response={200: LesionOut, **E4}, tags=["lesions"])
def cancel_lesion_follow_up(request: HttpRequest, lesion_id: uuid.UUID) -> Lesion:
    """Owner only: cancel the pending follow-up reminder (harmless when there is none)."""
    return lesions.lesion_follow_up_cancel(lesion=lesions.lesion_open_owned(user=request_user(request), lesion_id=lesion_id))


# -- the clinician worklist --


@screenings_router.get("/clinician/worklist", response={200: list[WorklistItemOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}, tags=["clinician"])
@paginate(WorklistPages)
def list_worklist(request: HttpRequest, filters: Query[WorklistFilters]) -> QuerySet[Screening]:
    """Clinicians (and admins): screenings shared with you and those of patients with an appointment with
    you (upcoming, or within SCREENING_CLINICIAN_ACCESS_DAYS after it), high risk first, newest first.
    Filters: `risk`, `reviewed`, `date_from`, `date_to`. Every row shown goes on the access trail."""
    user = request_user(request)
    require_role(user, "clinician")
    return selectors.worklist(clinician=user, **filters.model_dump())
