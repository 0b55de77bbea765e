"""Routes: /screenings (create, sync, read, share, delete) and /models (delivery, activation, agreement)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import File, Form, Header, Query, Router, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import ValidationError

from accounts.auth import jwt_auth
from accounts.models import User
from core import idempotency
from core.errors import ApplicationError
from core.permissions import require_admin, require_role
from core.schemas import ErrorOut
from lesion_contract.labels import Label, RiskLevel
from screening import delivery, photos, presenters, selectors, services, signing
from screening.error_codes import ScreeningError
from screening.schemas import (
    AgreementOut,
    DeviceResultIn,
    ModelVersionOut,
    PublicKeyOut,
    ScreeningListOut,
    ScreeningOut,
    ShareIn,
    ShareOut,
    SignedManifestOut,
    SyncItemIn,
    SyncOut,
)

screenings_router = Router(auth=jwt_auth, tags=["screenings"])
models_router = Router(tags=["models"])

E4 = {401: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


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
    captured_at: Form[datetime | None] = None,
    body_site: Form[str] = "",
    note: Form[str] = "",
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    """Multipart: `photo` (JPEG, PNG or HEIC; checked by content), optional `device_result` (JSON
    `{model_version, probabilities, latency_ms}`), optional `client_uuid`, `captured_at`, `body_site`, `note`.
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
    )
    return services.screening_create(owner=_user(request), item=item).response()


def _sync_items(request: HttpRequest, raw_items: str) -> list[services.ScreeningInput | ApplicationError]:
    try:
        decoded = json.loads(raw_items)
    except json.JSONDecodeError as exc:
        raise ApplicationError("items must be a JSON list.", code=ScreeningError.SYNC_BATCH_INVALID, status=422) from exc
    if not isinstance(decoded, list) or not decoded:
        raise ApplicationError("items must be a non-empty JSON list.", code=ScreeningError.SYNC_BATCH_INVALID, status=422)
    limit = int(settings.SCREENING_SYNC_MAX_ITEMS)
    if len(decoded) > limit:
        raise ApplicationError(f"At most {limit} items per sync request.", code=ScreeningError.SYNC_BATCH_INVALID, status=422)
    used: set[str] = set()
    out: list[services.ScreeningInput | ApplicationError] = []
    for raw in decoded:
        try:
            item = SyncItemIn.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            out.append(ApplicationError(f"Invalid item: {where}: {first.get('msg')}", code="validation_error", status=422))
            continue
        try:
            upload = request.FILES.get(item.photo)
            if upload is None or item.photo in used:
                raise ApplicationError(
                    f"No file field {item.photo!r} in the request (each item needs its own photo part).",
                    code=ScreeningError.PHOTO_MISSING,
                    status=422,
                )
            used.add(item.photo)
            dev = item.device_result
            out.append(
                services.ScreeningInput(
                    photo=_read_upload(upload),
                    client_uuid=item.client_uuid,
                    captured_at=item.captured_at,
                    body_site=item.body_site.strip(),
                    note=item.note.strip(),
                    device=services.device_result_from(model_version=dev.model_version, probabilities=dev.probabilities, latency_ms=dev.latency_ms)
                    if dev
                    else None,
                    source="sync",
                )
            )
        except ApplicationError as exc:
            exc.extra = {**exc.extra, "client_uuid": str(item.client_uuid)}
            out.append(exc)
    return out


@screenings_router.post("/screenings/sync", response={200: SyncOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 503: ErrorOut})
def sync_screenings(request: HttpRequest, items: Form[str]) -> HttpResponse:
    """Multipart: `items` is a JSON list of `{client_uuid, captured_at, photo, body_site?, note?,
    device_result?}` where `photo` names the file part with that item's image. Each item's `client_uuid`
    is its idempotency key (shared with `POST /screenings`): an item already applied comes back as
    `duplicate` with the stored screening, one with the same key but other content as an item error
    422 `idempotency_key_reused`; when every item is a replay the response carries
    `Idempotent-Replayed: true`. Every item gets its own result, so one bad photo does not sink the batch."""
    parsed = _sync_items(request, items)
    outcomes = services.screenings_sync(owner=_user(request), items=parsed)
    results = []
    for o in outcomes:
        error = None
        client_uuid = o.client_uuid
        if o.error is not None:
            error = {"detail": o.error.message, "code": o.error.code, "status": o.error.status_code}
            client_uuid = client_uuid or o.error.extra.get("client_uuid")
        results.append(
            {
                "index": o.index,
                "client_uuid": str(client_uuid) if client_uuid else None,
                "status": o.status,
                "screening": o.answer.body if o.answer is not None else None,
                "error": error,
            }
        )
    body = {
        "created": sum(1 for o in outcomes if o.status == "created"),
        "duplicates": sum(1 for o in outcomes if o.status == "duplicate"),
        "errors": sum(1 for o in outcomes if o.status == "error"),
        "results": results,
    }
    # The stored answers are already JSON; the whole batch is a replay when every item is one.
    return idempotency.json_response(body, status=200, replayed=bool(outcomes) and all(o.status == "duplicate" for o in outcomes))


@screenings_router.get("/screenings", response={200: ScreeningListOut, 401: ErrorOut, 422: ErrorOut})
def list_screenings(
    request: HttpRequest,
    page: Query[int] = 1,
    page_size: Query[int] = 20,
    date_from: Query[date | None] = None,
    date_to: Query[date | None] = None,
    risk: Query[RiskLevel | None] = None,
    label: Query[Label | None] = None,
    owner_id: Query[int | None] = None,
    model_version: Query[str | None] = None,
    source: Query[Literal["online", "sync"] | None] = None,
) -> dict[str, Any]:
    """Screenings you may see, newest first: your own; as a clinician also those shared with you or of
    patients with an appointment with you; as an admin all. `page_size` is at most 100."""
    if page < 1 or not 1 <= page_size <= 100:
        raise ApplicationError("page must be >= 1 and page_size between 1 and 100.", code="validation_error", status=422)
    filters = selectors.ScreeningFilters(
        date_from=date_from, date_to=date_to, risk=risk, label=label, owner_id=owner_id, model_version=model_version, source=source
    )
    items, count = selectors.screening_list(user=_user(request), filters=filters, page=page, page_size=page_size)
    return {"items": [presenters.screening_out(s) for s in items], "count": count}


@screenings_router.get("/screenings/{screening_id}", response={200: ScreeningOut, **E4})
def get_screening(request: HttpRequest, screening_id: uuid.UUID) -> dict[str, Any]:
    screening = selectors.screening_get_for(user=_user(request), screening_id=screening_id, action="read")
    return presenters.screening_out(screening)


@screenings_router.get("/screenings/{screening_id}/photo", response={200: None, **E4})
def get_screening_photo(request: HttpRequest, screening_id: uuid.UUID) -> HttpResponseBase:
    """The stored photo: re-encoded JPEG with no metadata."""
    screening = selectors.screening_get_for(user=_user(request), screening_id=screening_id, action="photo")
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
    screening = selectors.screening_get_owned(user=_user(request), screening_id=screening_id, action="delete")
    services.screening_delete(screening=screening)
    return HttpResponse(status=204)


def _share_out(share: Any) -> dict[str, Any]:
    return {
        "screening_id": share.screening_id,
        "clinician_id": share.clinician_id,
        "clinician_name": share.clinician.full_name or share.clinician.email,
        "created_at": share.created_at,
    }


@screenings_router.get("/screenings/{screening_id}/shares", response={200: list[ShareOut], **E4})
def list_screening_shares(request: HttpRequest, screening_id: uuid.UUID) -> list[dict[str, Any]]:
    screening = selectors.screening_get_owned(user=_user(request), screening_id=screening_id, action="list_shares")
    return [_share_out(s) for s in selectors.shares_of(screening)]


@screenings_router.post("/screenings/{screening_id}/shares", response={200: ShareOut, 201: ShareOut, 422: ErrorOut, **E4})
def share_screening(request: HttpRequest, screening_id: uuid.UUID, payload: ShareIn) -> Status[dict[str, Any]]:
    """Owner only: let one clinician see this screening (repeating it is harmless)."""
    screening = selectors.screening_get_owned(user=_user(request), screening_id=screening_id, action="share")
    share, created = services.screening_share(screening=screening, clinician_id=payload.clinician_id)
    return Status(201 if created else 200, _share_out(share))


@screenings_router.delete("/screenings/{screening_id}/shares/{clinician_id}", response={204: None, **E4})
def unshare_screening(request: HttpRequest, screening_id: uuid.UUID, clinician_id: int) -> HttpResponse:
    screening = selectors.screening_get_owned(user=_user(request), screening_id=screening_id, action="unshare")
    services.screening_unshare(screening=screening, clinician_id=clinician_id)
    return HttpResponse(status=204)


# -- models: delivery to phones (public), registry (admins), agreement (clinicians, admins) --


@models_router.get("/models/latest", response={200: SignedManifestOut, 404: ErrorOut, 503: ErrorOut})
def get_latest_model(request: HttpRequest) -> dict[str, Any]:
    """The active bundle's manifest, signed with Ed25519, with per-file download URLs, sizes and sha256."""
    mv = selectors.model_version_active()
    if mv is None:
        raise ApplicationError("No model version is active.", code=ScreeningError.NO_ACTIVE_MODEL, status=404)
    return presenters.signed_manifest(request, mv)


@models_router.get("/models/public-key", response={200: PublicKeyOut, 503: ErrorOut})
def get_model_public_key(request: HttpRequest) -> dict[str, Any]:
    """The Ed25519 public key that verifies `/models/latest` signatures (pin it in the app)."""
    key = signing.load_key()
    return {"algorithm": signing.ALGORITHM, "key_id": key.key_id, "public_key": key.public_key_b64, "encoding": "base64 (raw 32 bytes)"}


@models_router.get("/models", auth=jwt_auth, response={200: list[ModelVersionOut], 401: ErrorOut, 403: ErrorOut})
def list_model_versions(request: HttpRequest) -> list[dict[str, Any]]:
    require_role(_user(request), "clinician")
    return [presenters.model_version_out(mv) for mv in selectors.model_version_list()]


@models_router.post("/models/{version}/activate", auth=jwt_auth, response={200: ModelVersionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def activate_model_version(request: HttpRequest, version: str) -> dict[str, Any]:
    """Admins: make this version the active one (also the way to roll back)."""
    user = _user(request)
    require_admin(user)
    mv = services.model_version_activate(model_version=selectors.model_version_get(version), by=user)
    return presenters.model_version_out(mv)


@models_router.get("/models/{version}/agreement", auth=jwt_auth, response={200: AgreementOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_model_agreement(request: HttpRequest, version: str) -> dict[str, Any]:
    """Clinicians and admins: phone-vs-server top-1 agreement and confusion for this version."""
    require_role(_user(request), "clinician")
    return selectors.agreement_report(model_version=selectors.model_version_get(version))


@models_router.api_operation(["GET", "HEAD"], "/models/{version}/files/{path:name}", response={200: None, 206: None, 304: None, 404: ErrorOut, 416: ErrorOut})
def download_model_file(request: HttpRequest, version: str, name: str) -> HttpResponseBase:
    """Stream one bundle file: `ETag` is its sha256, `If-None-Match` gives 304, `Range` gives 206."""
    return delivery.serve_file(request, selectors.model_version_get(version), name)
