"""The data migration core 0002 moves the old per-app keys (shop.CheckoutKey, appointments.BookingIdempotencyKey,
screenings' client_uuid) into core.IdempotencyKey: after the upgrade, a client retrying a request it made
before the upgrade gets the replay of what it created, not a second order, booking or screening."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from PIL import Image

from tests.server.conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0001_initial"), ("shop", "0001_initial"), ("appointments", "0001_initial"), ("screening", "0001_initial")]
LABELS = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    plan_targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(plan_targets)
    return executor.loader.project_state(plan_targets).apps


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 60, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def old_schema() -> Any:
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        _migrate(None)


def test_keys_from_the_old_tables_replay_after_the_upgrade(old_schema: Any) -> None:
    # Given a database from before the upgrade, with one keyed order, booking and synced screening
    apps = old_schema
    User = apps.get_model("accounts", "User")
    patient = User.objects.create(email="old-patient@example.org", role="patient")
    clinician = User.objects.create(email="old-clinician@example.org", role="clinician")

    Product = apps.get_model("shop", "Product")
    Order = apps.get_model("shop", "Order")
    product = Product.objects.create(sku="SPF50", name="Sun cream", price_minor=1000, stock=10)
    order = Order.objects.create(
        number="SS-OLD-1", user=patient, status="pending", currency="EUR", subtotal_minor=2000, tax_rate_percent=19, tax_minor=380, total_minor=2380
    )
    apps.get_model("shop", "OrderLine").objects.create(
        order=order, product=product, product_name="Sun cream", product_sku="SPF50", quantity=2, unit_price_minor=1000, line_total_minor=2000
    )
    apps.get_model("shop", "CheckoutKey").objects.create(user=patient, key="old-checkout-key", request_hash="a" * 64, order=order)
    apps.get_model("shop", "CheckoutKey").objects.create(user=patient, key="k-1", request_hash="b" * 64, order=order)  # too short for the new rule

    apps.get_model("appointments", "ClinicianProfile").objects.create(user=clinician, time_zone="UTC")
    start = (timezone.now() + dt.timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    appointment = apps.get_model("appointments", "Appointment").objects.create(
        clinician=clinician, patient=patient, start=start, end=start + dt.timedelta(minutes=30), time_zone="UTC", reason="mole on the back"
    )
    apps.get_model("appointments", "BookingIdempotencyKey").objects.create(owner=patient, key="old-booking-key", request_hash="c" * 64, appointment=appointment)

    mv = apps.get_model("screening", "ModelVersion").objects.create(
        version="2026.01.01-old", path="/nowhere", manifest={"labels": LABELS, "label_info": {}}, manifest_sha256="d" * 64,
        synthetic=True, bundle_created_at=timezone.now(), active_marker=True,
    )
    photo = _photo()
    client_uuid = uuid.uuid4()
    captured = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    screening = apps.get_model("screening", "Screening").objects.create(
        owner=patient, client_uuid=client_uuid, request_hash="e" * 64, photo="screenings/old.jpg", photo_sha256=hashlib.sha256(photo).hexdigest(),
        photo_width=32, photo_height=24, body_site="back", note="", source="sync", captured_at=captured, created_at=timezone.now(),
        model_version=mv, probabilities=[0.05, 0.05, 0.05, 0.05, 0.1, 0.65, 0.05], top_label="nv", risk="low", server_latency_ms=3.0,
    )

    # When the upgrade runs
    _migrate(None)

    # Then the addressable keys are in core.IdempotencyKey (the malformed one is not) ...
    from core.models import IdempotencyKey

    moved = {(k.endpoint, k.key): k for k in IdempotencyKey.objects.all()}
    assert set(moved) == {("create_order", "old-checkout-key"), ("create_appointment", "old-booking-key"), ("create_screening", str(client_uuid))}
    assert moved[("create_order", "old-checkout-key")].resource_id == str(order.pk)

    # ... and retrying each request with its old key answers what it created, creating nothing new
    from accounts.models import User as LiveUser
    from appointments.models import Appointment
    from screening.models import Screening
    from shop.models import Order as LiveOrder

    client = ApiClient(token_for(LiveUser.objects.get(pk=patient.pk)))
    order_again = client.post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 2}]}, headers={"Idempotency-Key": "old-checkout-key"})
    assert order_again.status_code == 201, order_again.content
    assert order_again.headers.get("Idempotent-Replayed") == "true"
    assert order_again.json()["number"] == "SS-OLD-1" and LiveOrder.objects.count() == 1

    booking_again = client.post(
        "/api/v1/appointments",
        {"clinician_id": clinician.pk, "start": start.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(), "reason": "mole on the back"},
        headers={"Idempotency-Key": "old-booking-key"},
    )
    assert booking_again.status_code == 201, booking_again.content
    assert booking_again.json()["id"] == appointment.pk and booking_again.headers.get("Idempotent-Replayed") == "true"
    assert Appointment.objects.count() == 1

    meta = {"client_uuid": str(client_uuid), "captured_at": captured.isoformat(), "photo": "p0", "body_site": "back"}
    sync_again = client.post_multipart(
        "/api/v1/screenings/sync", {"items": json.dumps([meta]), "p0": SimpleUploadedFile("p0.jpg", photo, content_type="image/jpeg")}
    )
    result = sync_again.json()["results"][0]
    assert result["status"] == "duplicate", result
    assert result["screening"]["id"] == str(screening.pk)
    assert Screening.objects.count() == 1

    # A changed request under a moved key is refused, never applied twice
    changed = client.post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 3}]}, headers={"Idempotency-Key": "old-checkout-key"})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
