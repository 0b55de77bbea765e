"""A user's data export (one zip: data.json + photos/), its per-user rate limit and the privacy audit trail.

Reads the other apps' rows about the user directly (read-only): the export is the one place that must
see everything the platform holds about a person, and it must not miss a table an app forgot to hook.
The archive is written to an anonymous temporary file (removed when closed), photos copied in chunks,
so memory stays bounded whatever the number of photos.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

from accounts.error_codes import AccountsError
from accounts.models import User
from core.errors import ApplicationError
from core.models import PrivacyAuditEvent
from core.throttling import hit

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Never exported: secrets and Django's internal flags.
_USER_HIDDEN = {"password", "is_superuser", "is_staff"}


@dataclass(frozen=True)
class Export:
    """An open archive positioned at its start (the caller streams and closes it), its name and size."""

    file: IO[bytes]
    filename: str
    size: int


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _row(obj: models.Model, *, exclude: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """Every concrete column of a row (foreign keys as their ids), JSON-ready."""
    return {
        field.attname: _plain(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in exclude and field.attname not in exclude
    }


def export_rate_check(*, user: User) -> None:
    """At most PRIVACY_EXPORT_RATE exports per user (fixed window over the cache); 429 past it."""
    rate = str(settings.PRIVACY_EXPORT_RATE)
    wait = hit(f"privacy-export:{user.pk}", rate)
    if wait is not None:
        limit, _, period_text = rate.partition("/")
        raise ApplicationError(
            f"You can download your data {limit} times per {period_text.strip()}. Try again in {wait} seconds.",
            code=AccountsError.EXPORT_THROTTLED,
            status=429,
            extra={"retry_after": wait},
        )


def user_export_data(*, user: User) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Everything held about `user`, and the photos to add as (storage name, archive name)."""
    from appointments.models import Appointment
    from notifications.models import Device, Notification
    from screening.models import Lesion, Screening, ScreeningAccessLog, ScreeningReview
    from shop.models import Order

    profile = _row(user, exclude=_USER_HIDDEN)
    consents = {name: value for name, value in profile.items() if name.endswith("_consent")}
    photos: list[tuple[str, str]] = []
    screenings = []
    for s in Screening.objects.filter(owner=user).select_related("model_version").prefetch_related("shares__clinician").order_by("created_at"):
        item = _row(s, exclude={"owner", "photo", "request_hash"})
        item["model_version"] = s.model_version.version
        item["photo"] = f"photos/{s.pk}.jpg"
        item["shared_with"] = [{"clinician": share.clinician.full_name or "Clinician", "since": _plain(share.created_at)} for share in s.shares.all()]
        photos.append((s.photo, item["photo"]))
        screenings.append(item)
    reviews = [
        {**_row(r, exclude={"clinician"}), "revisions": [_row(v, exclude={"review"}) for v in r.revisions.order_by("number")]}
        for r in ScreeningReview.objects.filter(screening__owner=user).order_by("created_at")
    ]
    appointments = [
        {**_row(a, exclude={"patient", "clinician", "cancelled_by"}), "clinician": a.clinician.full_name or "Clinician", "cancelled_by_me": a.cancelled_by_id == user.pk}
        for a in Appointment.objects.filter(patient=user).select_related("clinician").order_by("start")
    ]
    # A clinician's own diary: times and status, not the patients (their data is theirs to export).
    appointments_as_clinician = [_row(a, exclude={"patient", "clinician", "cancelled_by", "reason"}) for a in Appointment.objects.filter(clinician=user).order_by("start")]
    orders = [
        {**_row(o, exclude={"user"}), "lines": [_row(line, exclude={"order", "product"}) for line in o.lines.all()]}
        for o in Order.objects.filter(user=user).prefetch_related("lines").order_by("created_at")
    ]
    notifications = [_row(n, exclude={"user", "claim_token", "claimed_at", "dedupe_key"}) for n in Notification.objects.filter(user=user).order_by("created_at")]
    devices = [_row(d, exclude={"user"}) for d in Device.objects.filter(user=user).order_by("created_at")]
    access = [
        {"at": _plain(e.at), "screening_id": str(e.screening_id), "by_role": e.actor_role, "action": e.action, "outcome": e.outcome, "reason": e.reason}
        for e in ScreeningAccessLog.objects.filter(owner_id=user.pk).exclude(actor_id=user.pk).order_by("at")
    ]
    data = {
        "format_version": FORMAT_VERSION,
        "exported_at": _plain(timezone.now()),
        "notice": "Screening results are screening aids, not diagnoses.",
        "profile": profile,
        "consents": consents,
        "screenings": screenings,
        "lesions": [_row(lesion, exclude={"owner"}) for lesion in Lesion.objects.filter(owner=user).order_by("created_at")],
        "clinician_reviews_of_my_screenings": reviews,
        "appointments": appointments,
        "appointments_as_clinician": appointments_as_clinician,
        "orders": orders,
        "notifications": notifications,
        "push_devices": devices,
        "who_accessed_my_screenings": access,
    }
    return data, photos


def user_export(*, user: User) -> Export:
    """Check the rate limit, build the archive in a temporary file, record the export on the privacy audit trail."""
    export_rate_check(user=user)
    data, photos = user_export_data(user=user)
    # Handed to the response, which closes (and so removes) it after the last byte.
    spool = tempfile.TemporaryFile(prefix="export-", dir=settings.PRIVACY_EXPORT_TMP_DIR or None)
    missing = 0
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            for stored, name in photos:
                try:
                    with default_storage.open(stored, "rb") as src, archive.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w") as dst:
                        # Stored photos were re-encoded from pixels at upload (no EXIF, GPS or ICC); copied as is.
                        shutil.copyfileobj(src, dst, 256 * 1024)
                except OSError:
                    missing += 1
                    logger.warning("Export for user %s: photo %s is missing from storage", user.pk, stored)
            data["photos_missing"] = missing
            archive.writestr(zipfile.ZipInfo("data.json", date_time=(1980, 1, 1, 0, 0, 0)), json.dumps(data, ensure_ascii=False, indent=2), compress_type=zipfile.ZIP_DEFLATED)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    PrivacyAuditEvent.objects.create(user_id=user.pk, action=PrivacyAuditEvent.Action.EXPORT, detail={"screenings": len(data["screenings"]), "photos": len(photos) - missing, "bytes": size})
    logger.info("privacy: user %s exported their data (%d screenings, %d bytes)", user.pk, len(data["screenings"]), size)
    return Export(file=spool, filename=f"skinscreen-data-{timezone.now():%Y-%m-%d}.zip", size=size)


def user_deletion_audit(*, user_id: int) -> None:
    """Record an account deletion on the privacy audit trail (the former id only)."""
    PrivacyAuditEvent.objects.create(user_id=user_id, action=PrivacyAuditEvent.Action.DELETE)
    logger.info("privacy: user %s deleted their account", user_id)
