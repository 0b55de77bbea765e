"""Move the per-app idempotency keys (shop.CheckoutKey, appointments.BookingIdempotencyKey and the
screenings' (owner, client_uuid) + request_hash) into core.IdempotencyKey; the apps' next migrations
drop the old tables and columns.

Each moved row gets the fingerprint of the request rebuilt from what it created (the order's lines in
product order; the booking as first booked; the screening's fields and photo digest), so a client that
retries across the upgrade is answered with a replay. Where the request cannot be rebuilt (a product
since deleted, an appointment since rescheduled) the old hash is kept: a retry is then refused with
422 idempotency_key_reused, never applied twice. The stored answer is rendered on the first replay
(response_body stays NULL until then). Keys the new rule cannot address (shorter than 8 characters,
or with characters other than letters, digits, '_' and '-') are not moved: a retry with them is
refused as an invalid key before any lookup.

The fingerprint code is a frozen copy of core.idempotency.fingerprint as of this migration.
"""

import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import migrations

KEY = re.compile(r"[A-Za-z0-9_-]{8,128}")


def _default(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _fingerprint(endpoint, body, files=None):
    document = {"method": "POST", "endpoint": endpoint, "body": body, "files": files or {}}
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def _orders(apps):
    CheckoutKey = apps.get_model("shop", "CheckoutKey")
    OrderLine = apps.get_model("shop", "OrderLine")
    for old in CheckoutKey.objects.exclude(order=None).iterator():
        if not KEY.fullmatch(old.key):
            continue
        lines = list(OrderLine.objects.filter(order_id=old.order_id).order_by("product_id").values_list("product_id", "quantity"))
        if lines and all(pid is not None for pid, _ in lines):
            fingerprint = _fingerprint("create_order", {"items": [{"product_id": p, "quantity": q} for p, q in lines]})
        else:
            fingerprint = old.request_hash
        yield dict(user_id=old.user_id, endpoint="create_order", key=old.key, fingerprint=fingerprint, resource_id=str(old.order_id), created_at=old.created_at)


def _bookings(apps):
    BookingIdempotencyKey = apps.get_model("appointments", "BookingIdempotencyKey")
    for old in BookingIdempotencyKey.objects.select_related("appointment").iterator():
        if not KEY.fullmatch(old.key):
            continue
        a = old.appointment
        if a.revision == 1:
            body = {
                "clinician_id": a.clinician_id,
                "start": a.start,
                "reason": a.reason,
                "patient_id": None if a.patient_id == old.owner_id else a.patient_id,
            }
            fingerprint = _fingerprint("create_appointment", body)
        else:
            fingerprint = old.request_hash
        yield dict(user_id=old.owner_id, endpoint="create_appointment", key=old.key, fingerprint=fingerprint, resource_id=str(a.pk), created_at=old.created_at)


def _screenings(apps):
    Screening = apps.get_model("screening", "Screening")
    for s in Screening.objects.exclude(client_uuid=None).iterator():
        device = None
        if s.device_model_version:
            device = {"model_version": s.device_model_version, "probabilities": s.device_probabilities, "latency_ms": s.device_latency_ms}
        body = {
            # The service stored `now` in both when the request had no captured_at.
            "captured_at": None if s.captured_at == s.created_at else s.captured_at,
            "body_site": s.body_site,
            "note": s.note,
            "device_result": device,
        }
        fingerprint = _fingerprint("create_screening", body, {"photo": s.photo_sha256})
        yield dict(user_id=s.owner_id, endpoint="create_screening", key=str(s.client_uuid), fingerprint=fingerprint, resource_id=str(s.pk), created_at=s.created_at)


def forwards(apps, schema_editor):
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")
    for source in (_orders, _bookings, _screenings):
        batch = []
        for row in source(apps):
            batch.append(IdempotencyKey(response_status=201, response_body=None, **row))
            if len(batch) >= 500:
                IdempotencyKey.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        IdempotencyKey.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("shop", "0001_initial"),
        ("appointments", "0001_initial"),
        ("screening", "0001_initial"),
    ]

    # Backwards: the old tables come back empty (keys are short-lived retry aids; nothing else is lost).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
