"""Writes: screenings (online and offline sync), shares, deletion, bundle import and activation."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from core import idempotency
from core.errors import ApplicationError, Conflict, NotFound
from core.tasks import run_after_commit
from lesion_contract import risk as contract_risk
from lesion_contract.labels import LABELS, RiskLevel
from screening import bundles, photos, presenters, selectors
from screening.error_codes import ScreeningError
from screening.inference import ENGINE, LoadedModel, Prediction
from screening.models import AccessOutcome, ModelVersion, Screening, ScreeningAccessLog, ScreeningShare
from screening.preprocess import preprocess_pil

logger = logging.getLogger(__name__)

# The operation an idempotency key of a screening belongs to (online create and offline sync alike).
CREATE_SCREENING = "create_screening"


@dataclass(frozen=True)
class DeviceResult:
    """What the phone computed on-device (plain values; validated by `device_result_from`)."""

    model_version: str
    probabilities: list[float]
    latency_ms: float | None = None

    @property
    def top_label(self) -> str:
        return LABELS[int(np.argmax(self.probabilities))]

    def as_dict(self) -> dict[str, Any]:
        return {"model_version": self.model_version, "probabilities": self.probabilities, "latency_ms": self.latency_ms}


def device_result_from(*, model_version: str, probabilities: list[float] | dict[str, float], latency_ms: float | None) -> DeviceResult:
    """Validate an on-device result: 7 finite probabilities in [0, 1] (list in label order or dict by label)."""

    def bad(message: str) -> ApplicationError:
        return ApplicationError(f"device_result: {message}", code=ScreeningError.DEVICE_RESULT_INVALID, status=422)

    if isinstance(probabilities, dict):
        unknown = set(probabilities) - set(LABELS)
        if unknown or len(probabilities) != len(LABELS):
            raise bad(f"probabilities must have exactly the labels {list(LABELS)}")
        values = [float(probabilities[label]) for label in LABELS]
    else:
        values = [float(p) for p in probabilities]
    if len(values) != len(LABELS):
        raise bad(f"probabilities must have {len(LABELS)} values in label order {list(LABELS)}")
    if not all(np.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        raise bad("every probability must be between 0 and 1")
    if not 0.9 <= sum(values) <= 1.1:
        raise bad(f"probabilities must sum to about 1 (got {sum(values):.3f})")
    if latency_ms is not None and not (np.isfinite(latency_ms) and 0 <= latency_ms <= 600_000):
        raise bad("latency_ms must be between 0 and 600000")
    version = (model_version or "").strip()
    if not version or len(version) > 100:
        raise bad("model_version is required (at most 100 characters)")
    return DeviceResult(model_version=version, probabilities=values, latency_ms=latency_ms)


@dataclass
class ScreeningInput:
    """One screening to create: the raw upload and what came with it.

    `idempotency_key` (the `Idempotency-Key` header, or the phone's `client_uuid`) makes the create
    idempotent through core.idempotency; online creates and offline sync items share one key space.
    """

    photo: bytes
    client_uuid: uuid.UUID | None = None
    captured_at: datetime | None = None
    body_site: str = ""
    note: str = ""
    device: DeviceResult | None = None
    source: str = "online"
    idempotency_key: str | None = None
    lesion_id: uuid.UUID | None = None
    photo_sha256: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.photo_sha256 = hashlib.sha256(self.photo).hexdigest()
        if self.idempotency_key is None and self.client_uuid is not None:
            self.idempotency_key = str(self.client_uuid)

    def fingerprint_body(self) -> dict[str, Any]:
        """The canonical body of the request (the photo goes in as its sha256): online and sync alike.

        `lesion_id` is part of it only when sent, so keys stored before lesions existed keep their fingerprint."""
        body: dict[str, Any] = {
            "captured_at": self.captured_at,
            "body_site": self.body_site,
            "note": self.note,
            "device_result": self.device.as_dict() if self.device else None,
        }
        if self.lesion_id is not None:
            body["lesion_id"] = str(self.lesion_id)
        return body

    def keyed(self, owner: User) -> idempotency.IdempotentRequest | None:
        return idempotency.IdempotentRequest.build(
            user=owner, endpoint=CREATE_SCREENING, key=self.idempotency_key, body=self.fingerprint_body(), file_digests={"photo": self.photo_sha256}
        )


def _check_fields(item: ScreeningInput) -> None:
    if item.captured_at is not None:
        if timezone.is_naive(item.captured_at):
            raise ApplicationError("captured_at needs a UTC offset (ISO 8601).", code="validation_error", status=422)
        if item.captured_at > timezone.now() + timedelta(days=1):
            raise ApplicationError("captured_at is in the future.", code="validation_error", status=422)
    if len(item.body_site) > 64:
        raise ApplicationError("body_site is at most 64 characters.", code="validation_error", status=422)
    if len(item.note) > 500:
        raise ApplicationError("note is at most 500 characters.", code="validation_error", status=422)


def _load_for(owner: User) -> Any:
    def load(pk: str) -> Screening:
        screening = Screening.objects.select_related("model_version").filter(pk=pk, owner=owner).first()
        if screening is None:
            raise NotFound("The screening this key created has been deleted.", code=ScreeningError.NOT_FOUND)
        return screening

    return load


@dataclass
class _Prepared:
    item: ScreeningInput
    clean: photos.CleanPhoto
    tensor: np.ndarray


@dataclass
class _Checked:
    item: ScreeningInput
    photo: photos.OpenedPhoto  # type and declared size checked; nothing decoded yet


def _check(item: ScreeningInput, owner: User) -> _Checked:
    """Everything about the input but the pixels, before the model is touched: bad input never loads a model.

    Only the photo's header is read here, so a bomb or a wrong type is refused without waiting for a decode slot."""
    _check_fields(item)
    if item.lesion_id is not None:
        selectors.lesion_of_owner(owner_id=owner.pk, lesion_id=item.lesion_id)
    return _Checked(item=item, photo=photos.open_photo(item.photo, sha256=item.photo_sha256))


def _submit(item: ScreeningInput, clean: photos.CleanPhoto) -> tuple[_Prepared, LoadedModel, Any]:
    """Preprocess a decoded photo, queue it for the model, encode the stored copy and free the bitmap.

    Called under the decode slot that decoded `clean` (photos.decode_photo, before the model is touched:
    a corrupt photo never loads a model either)."""
    try:
        model = ENGINE.current()
        prepared = _Prepared(item=item, clean=clean, tensor=preprocess_pil(clean.image, model.size))
        job = ENGINE.submit(prepared.tensor, model)
    finally:
        clean.release_pixels()  # encodes the stored copy (while the model runs), then frees the bitmap
    return prepared, model, job


def _persist(*, owner: User, prepared: _Prepared, prediction: Prediction, model: LoadedModel) -> idempotency.Answer:
    """Store the photo and the row (once per idempotency key: a concurrent twin replays the winner's answer)."""
    item = prepared.item
    record = model.record
    if not isinstance(record, ModelVersion) or record.pk != prediction.model_version_id:
        record = ModelVersion.objects.get(pk=prediction.model_version_id)
    high_risk = record.manifest.get("high_risk") if isinstance(record.manifest, dict) else None
    bundle_mass = high_risk.get("mass") if isinstance(high_risk, dict) else None
    name = default_storage.save(f"screenings/{owner.pk}/{uuid.uuid4().hex}.jpg", ContentFile(prepared.clean.jpeg))
    probs = prediction.probabilities
    top = LABELS[int(np.argmax(probs))]
    device = item.device
    now = timezone.now()

    def insert() -> Screening:
        screening = Screening.objects.create(
            owner=owner,
            client_uuid=item.client_uuid,
            photo=name,
            photo_sha256=prepared.clean.sha256,
            photo_width=prepared.clean.width,
            photo_height=prepared.clean.height,
            body_site=item.body_site,
            note=item.note,
            lesion_id=item.lesion_id,
            source=item.source,
            captured_at=item.captured_at or now,
            created_at=now,
            model_version=record,
            probabilities=probs,
            top_label=top,
            risk=risk_level(top, probs, bundle_mass),
            server_latency_ms=round(prediction.latency_ms, 3),
            outcome=prediction.outcome,
            ood_score=None if prediction.ood_score is None or not np.isfinite(prediction.ood_score) else float(prediction.ood_score),
            device_model_version=device.model_version if device else "",
            device_probabilities=device.probabilities if device else None,
            device_top_label=device.top_label if device else "",
            device_latency_ms=device.latency_ms if device else None,
        )
        return screening

    try:
        answer = idempotency.respond_once(
            item.keyed(owner), status=201, run=insert, render=presenters.screening_body, load=_load_for(owner), what="screening"
        )
    except BaseException:
        default_storage.delete(name)
        raise
    if answer.replayed:
        default_storage.delete(name)  # the twin request stored its own copy
    return answer


def risk_level(top_label: str, probabilities: dict[str, float] | list[float], bundle_mass: float | None = None) -> RiskLevel:
    """The contract's high-risk rule (``lesion_contract.risk``): high when the top label is high-risk
    (mel, bcc, akiec) OR those classes together reach the high-risk mass; medium for a bkl/df top label.

    The mass in force is the lower of SCREENING_HIGH_RISK_MASS and ``bundle_mass`` (the model's own
    operating point, manifest ``high_risk.mass``): a bundle can only make the rule more cautious.
    ``top_label`` must be the probabilities' argmax (the rule computes it; a mismatch is a bug)."""
    setting = settings.SCREENING_HIGH_RISK_MASS
    mass = contract_risk.effective_high_risk_mass(setting, bundle_mass)
    vector = contract_risk.as_vector(probabilities)
    if LABELS[int(np.argmax(vector))] != top_label:
        raise ValueError(f"top_label {top_label!r} is not the argmax of the probabilities")
    return contract_risk.risk_level(vector, high_risk_mass=mass)


def screening_create(*, owner: User, item: ScreeningInput) -> idempotency.Answer:
    """Check the photo, run the active model, store the cleaned photo and the result; answer 201 + the screening.

    With an idempotency key (header or `client_uuid`) the call is idempotent: the same request again
    replays the stored answer (nothing is computed), the same key with a different request is a 422.
    """
    stored = idempotency.stored_answer(item.keyed(owner), load=_load_for(owner), render=presenters.screening_body)
    if stored is not None:
        return stored
    with ENGINE.request():
        checked = _check(item, owner)
        with photos.decode_slot():
            prepared, model, job = _submit(item, photos.decode_photo(checked.photo))
        prediction = ENGINE.wait(job)
    return _persist(owner=owner, prepared=prepared, prediction=prediction, model=model)


@dataclass
class SyncOutcome:
    index: int
    client_uuid: uuid.UUID | None
    status: str  # "created" | "duplicate" | "error"
    answer: idempotency.Answer | None = None
    error: ApplicationError | None = None


def screenings_sync(*, owner: User, items: list[ScreeningInput | ApplicationError]) -> list[SyncOutcome]:
    """Create a batch of offline screenings; each item succeeds or fails on its own.

    Each item's `client_uuid` is its idempotency key (the same key space as online creates): an item
    already applied comes back as "duplicate" with the stored answer, so a replayed batch after a lost
    response creates nothing new; the same key with different content is an item error (422).
    """
    outcomes: list[SyncOutcome | None] = [None] * len(items)
    todo: list[tuple[int, ScreeningInput]] = []
    seen: dict[uuid.UUID, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, ApplicationError):
            outcomes[index] = SyncOutcome(index=index, client_uuid=None, status="error", error=item)
            continue
        try:
            if item.client_uuid is None:
                raise ApplicationError("client_uuid is required for offline sync.", code=ScreeningError.SYNC_BATCH_INVALID, status=422)
            if item.client_uuid in seen:
                raise ApplicationError(
                    f"client_uuid {item.client_uuid} appears twice in this batch.", code=ScreeningError.SYNC_BATCH_INVALID, status=422
                )
            seen[item.client_uuid] = index
            existing = idempotency.stored_answer(item.keyed(owner), load=_load_for(owner), render=presenters.screening_body)
        except ApplicationError as exc:
            outcomes[index] = SyncOutcome(index=index, client_uuid=getattr(item, "client_uuid", None), status="error", error=exc)
            continue
        if existing is not None:
            outcomes[index] = SyncOutcome(index=index, client_uuid=item.client_uuid, status="duplicate", answer=existing)
        else:
            todo.append((index, item))

    # One photo decoded at a time (memory stays bounded by one image, not by the batch): decode,
    # preprocess, queue for the model, encode the stored copy, drop the pixels, next. The model works
    # on the queued tensors meanwhile and batches them.
    queued: list[tuple[int, _Prepared, LoadedModel, Any]] = []
    for index, item in todo:
        try:
            checked = _check(item, owner)
        except ApplicationError as exc:
            outcomes[index] = SyncOutcome(index=index, client_uuid=item.client_uuid, status="error", error=exc)
            continue
        with photos.decode_slot():
            try:
                clean = photos.decode_photo(checked.photo)
            except ApplicationError as exc:
                outcomes[index] = SyncOutcome(index=index, client_uuid=item.client_uuid, status="error", error=exc)
                continue
            prepared, model, job = _submit(item, clean)
        queued.append((index, prepared, model, job))
    for index, prepared, model, job in queued:
        try:
            prediction = ENGINE.wait(job)
            answer = _persist(owner=owner, prepared=prepared, prediction=prediction, model=model)
        except ApplicationError as exc:
            outcomes[index] = SyncOutcome(index=index, client_uuid=prepared.item.client_uuid, status="error", error=exc)
            continue
        outcomes[index] = SyncOutcome(
            index=index, client_uuid=prepared.item.client_uuid, status="duplicate" if answer.replayed else "created", answer=answer
        )
    return [o for o in outcomes if o is not None]


# -- access: opening a screening, and the access trail (every read by someone other than the owner) --


def _not_found() -> NotFound:
    return NotFound("Screening not found.", code=ScreeningError.NOT_FOUND)


def _access_row(*, actor: User, screening: Screening, action: str, outcome: str, reason: str) -> ScreeningAccessLog:
    return ScreeningAccessLog(
        actor_id=actor.pk if actor.is_authenticated else None,
        actor_email=actor.email or "",
        actor_role=actor.role or "",
        screening_id=screening.pk,
        owner_id=screening.owner_id,
        action=action,
        outcome=outcome,
        reason=reason,
    )


def screening_access_record(*, actor: User, screening: Screening, action: str, granted: bool, reason: str = "") -> None:
    """Write one access-trail row, unless it is the owner reading their own screening."""
    if granted and screening.owner_id == actor.pk:
        return
    outcome = AccessOutcome.GRANTED if granted else AccessOutcome.DENIED
    _access_row(actor=actor, screening=screening, action=action, outcome=outcome, reason=reason).save()


def screenings_list_access_record(*, actor: User, screenings: list[Screening], action: str = "list") -> None:
    """One row (`action`: "list", "worklist", "timeline") per screening of someone else `actor` was shown, with why they may see it."""
    rows = [
        _access_row(actor=actor, screening=s, action=action, outcome=AccessOutcome.GRANTED, reason=selectors.access_reason(actor, s) or "")
        for s in screenings
        if s.owner_id != actor.pk
    ]
    if rows:
        ScreeningAccessLog.objects.bulk_create(rows)


def screening_open(*, user: User, screening_id: uuid.UUID, action: str = "read") -> Screening:
    """The screening if `user` may see it; otherwise it does not exist (404). Both are on the access trail."""
    screening = selectors.screening_find(screening_id)
    if screening is None:
        raise _not_found()
    reason = selectors.access_reason(user, screening)
    screening_access_record(actor=user, screening=screening, action=action, granted=reason is not None, reason=reason or "")
    if reason is None:
        raise _not_found()
    return screening


def screening_open_owned(*, user: User, screening_id: uuid.UUID, action: str) -> Screening:
    """Owner-only operations (share, delete): anyone else gets the same 404 as for a missing id (and a trail row)."""
    screening = selectors.screening_find(screening_id)
    if screening is None:
        raise _not_found()
    if screening.owner_id != user.pk:
        screening_access_record(actor=user, screening=screening, action=action, granted=False, reason="not_owner")
        raise _not_found()
    return screening


@transaction.atomic
def screening_delete(*, screening: Screening) -> None:
    name = screening.photo
    screening.delete()
    run_after_commit(lambda: default_storage.delete(name), what=f"delete photo {name}")


def screenings_delete_for_user(user: User) -> None:
    """Account-deletion hook: the rows go with the user (cascade); the photo files go after commit,
    with anything else left in the account's photo folder (an orphan of an interrupted upload)."""
    names = list(Screening.objects.filter(owner=user).values_list("photo", flat=True))
    folder = f"screenings/{user.pk}"

    def _remove() -> None:
        try:
            _, leftovers = default_storage.listdir(folder)
        except (OSError, NotImplementedError):
            leftovers = []
        for name in [*names, *(f"{folder}/{f}" for f in leftovers)]:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete photo %s of a deleted account", name)
        try:
            Path(default_storage.path(folder)).rmdir()  # local storage only; object stores have no folders
        except (OSError, NotImplementedError):
            pass

    run_after_commit(_remove, what=f"delete {len(names)} photos of a deleted account")


@transaction.atomic
def screening_share(*, screening: Screening, clinician_id: int) -> tuple[ScreeningShare, bool]:
    clinician = User.objects.filter(pk=clinician_id, role=Role.CLINICIAN, is_active=True).first()
    if clinician is None:
        raise ApplicationError("There is no active clinician with that id.", code=ScreeningError.SHARE_TARGET_INVALID, status=422)
    share, created = ScreeningShare.objects.get_or_create(screening=screening, clinician=clinician)
    return share, created


@transaction.atomic
def screening_unshare(*, screening: Screening, clinician_id: int) -> None:
    deleted, _ = ScreeningShare.objects.filter(screening=screening, clinician_id=clinician_id).delete()
    if not deleted:
        raise NotFound("This screening is not shared with that clinician.", code="share_not_found")


# -- registry --


def model_version_import(*, bundle_dir: Path, check_golden: bool = True) -> tuple[ModelVersion, bool]:
    """Validate a bundle (every sha256, the contract, golden vectors) and record it.

    Re-importing an identical bundle is a no-op; a changed bundle under a known version is refused
    (bundles are never edited in place).
    """
    bundle_dir = Path(bundle_dir).resolve()
    try:
        manifest = bundles.validate_bundle_dir(bundle_dir)
    except bundles.BundleInvalid as exc:
        raise ApplicationError(str(exc), code=ScreeningError.BUNDLE_INVALID, status=422) from exc
    digest = bundles.manifest_sha256(bundle_dir)
    known = ModelVersion.objects.filter(version=manifest["version"]).first()
    if known is not None:
        if known.manifest_sha256 != digest:
            raise Conflict(
                f"Version {known.version} is already registered with a different manifest; bundles are never edited in place. "
                "Write a new version instead.",
                code=ScreeningError.BUNDLE_INVALID,
            )
        return known, False
    if check_golden:
        from screening.inference import load_forward

        size = bundles.input_size(manifest)
        forward = load_forward(bundles.h5_path(bundle_dir, manifest), size)
        try:
            bundles.check_golden(bundle_dir, manifest, forward)
        except bundles.BundleInvalid as exc:
            raise ApplicationError(f"{bundle_dir}: golden vectors fail: {exc}", code=ScreeningError.BUNDLE_INVALID, status=422) from exc
    try:
        with transaction.atomic():
            mv = ModelVersion.objects.create(
                version=manifest["version"],
                path=str(bundle_dir),
                manifest=manifest,
                manifest_sha256=digest,
                synthetic=bool(manifest.get("synthetic")),
                bundle_created_at=bundles.parse_created_at(manifest),
            )
    except IntegrityError:
        return ModelVersion.objects.get(version=manifest["version"]), False
    return mv, True


def model_version_activate(*, model_version: ModelVersion, by: User | None = None) -> ModelVersion:
    """Make `model_version` the one active version (activation and rollback are the same operation).

    The bundle's files are re-checked first: a bundle changed on disk since import is refused.
    """
    try:
        bundles.check_files(Path(model_version.path), model_version.manifest)
    except bundles.BundleInvalid as exc:
        raise ApplicationError(f"Bundle on disk no longer matches its manifest: {exc}", code=ScreeningError.BUNDLE_INVALID, status=409) from exc
    try:
        with transaction.atomic():
            # Lock the rows involved, in one query and in primary-key order, so concurrent
            # activations serialise instead of deadlocking.
            locked = list(ModelVersion.objects.select_for_update().filter(Q(active_marker=True) | Q(pk=model_version.pk)).order_by("pk"))
            target = next(mv for mv in locked if mv.pk == model_version.pk)
            if target.is_active:
                return target
            ModelVersion.objects.filter(active_marker=True).update(active_marker=None)
            target.active_marker = True
            target.activated_at = timezone.now()
            target.activated_by = by
            target.save(update_fields=["active_marker", "activated_at", "activated_by"])
            run_after_commit(ENGINE.invalidate, what="reload the model in this process")
    except (IntegrityError, OperationalError) as exc:  # a lost race (or a deadlock victim): nothing changed
        raise Conflict("Another activation happened at the same time; try again.", code="activation_conflict") from exc
    return target
