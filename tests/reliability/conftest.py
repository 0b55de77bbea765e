"""The reliability suites' world: one user of each role, an appointment, a screening, an order, a post.

Every identity the authorisation matrix, the mass-assignment probes and the schemathesis run speak as,
and the objects whose ids fill the path parameters of the API's object endpoints.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.server.conftest import ApiClient, token_for

TINY_MODEL = "2026.01.01-synthetic-reliability"
IDENTITIES = ("anonymous", "owner", "other_patient", "clinician", "unrelated_clinician", "admin")


@pytest.fixture(scope="session")
def reliability_bundle_root(tmp_path_factory: Any) -> Path:
    from tests.server.screening.bundle_factory import build_tiny_bundle

    root = tmp_path_factory.mktemp("reliability-artifacts")
    build_tiny_bundle(root, TINY_MODEL, seed=1, created_at="2026-01-01T00:00:00Z")
    return root


@pytest.fixture(scope="session")
def reliability_signing_key(tmp_path_factory: Any) -> Path:
    from screening.signing import generate_key_file

    path = tmp_path_factory.mktemp("reliability-keys") / "model_signing_ed25519.key"
    generate_key_file(path)
    return path


@pytest.fixture
def reliability_settings(settings: Any, reliability_bundle_root: Path, reliability_signing_key: Path, tmp_path: Path) -> Any:
    settings.MODEL_SIGNING_KEY = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODEL_ARTIFACTS_DIR = reliability_bundle_root
    settings.MODEL_SIGNING_KEY_FILE = reliability_signing_key
    settings.SCREENING_MODEL_CHECK_SECONDS = 0
    return settings


@dataclass
class World:
    """Who is who, what exists, and a client per identity."""

    users: dict[str, Any]
    objects: dict[str, Any]
    clients: dict[str, ApiClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str) -> ApiClient:
        return self.clients[who]


def photo_bytes() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (180, 90, 60))
    for x in range(16, 32):
        for y in range(12, 24):
            image.putpixel((x, y), (60, 30, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def build_world(bundle_root: Path) -> World:
    """Users of each role and one object of each kind, made through the services and the API."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from appointments import selectors as appointment_selectors
    from appointments import services as appointment_services
    from blog import services as blog_services
    from notifications.models import Device, Notification
    from screening import services as screening_services
    from screening.models import Screening
    from shop import services as shop_services
    from tests.server.appointments.factories import make_clinician
    from tests.server.factories import UserFactory
    from tests.server.shop.factories import ProductFactory

    model_version, _ = screening_services.model_version_import(bundle_dir=bundle_root / TINY_MODEL, check_golden=False)
    screening_services.model_version_activate(model_version=model_version)

    owner = UserFactory(role="patient", email="owner@example.org", time_zone="Europe/Berlin")
    users = {
        "owner": owner,
        "other_patient": UserFactory(role="patient", email="other.patient@example.org"),
        "clinician": make_clinician(email="clinician@example.org").user,
        "unrelated_clinician": make_clinician(email="unrelated.clinician@example.org", time_zone="America/New_York").user,
        "admin": UserFactory(role="admin", is_staff=True, is_superuser=True, email="admin@example.org"),
    }

    # An upcoming appointment: the owner with the clinician (that is what gives the clinician access).
    today = timezone.localdate()
    slots, _ = appointment_selectors.slot_list(clinician_id=users["clinician"].pk, first=today + timedelta(days=2), last=today + timedelta(days=8), tz_name="UTC")
    appointment = appointment_services.appointment_book(actor=owner, clinician_id=users["clinician"].pk, start=slots[0].start, reason="A mole changed")
    # A day off of the clinician's (the exception endpoints' object).
    exception, _ = appointment_services.availability_exception_add(
        actor=users["clinician"], profile=users["clinician"].clinician_profile, day=today + timedelta(days=30), reason="Leave"
    )

    # A screening of the owner's, made through the API (the photo is on disk), not shared with anyone.
    response = ApiClient(token_for(owner)).post_multipart(
        "/api/v1/screenings", {"photo": SimpleUploadedFile("lesion.jpg", photo_bytes(), content_type="image/jpeg")}
    )
    assert response.status_code == 201, response.content
    screening = Screening.objects.get(pk=response.json()["id"])

    product = ProductFactory(stock=50, price_minor=1250)
    order = shop_services.order_place(user=owner, items=[(product.pk, 1)])

    post = blog_services.post_create(
        author=users["clinician"], title="Checking your skin", body="Once a **month**.", tags=["prevention"], published_at=timezone.now() - timedelta(days=1)
    )
    draft = blog_services.post_create(author=users["clinician"], title="Draft about moles", body="Not yet published.")

    lesion = ApiClient(token_for(owner)).post("/api/v1/lesions", {"name": "Left forearm mole", "body_view": "front", "body_x": 0.3, "body_y": 0.4})
    assert lesion.status_code == 201, lesion.content

    device = Device.objects.create(user=owner, token="ExponentPushToken[reliability-owner-0001]", platform="ios")
    now = timezone.now()
    notification = Notification.objects.filter(user=owner).first() or Notification.objects.create(
        user=owner, kind="reliability", title="Hello", body="A notification.", dedupe_key=f"reliability:{owner.pk}", due_at=now, next_attempt_at=now
    )

    objects = {
        "appointment": appointment,
        "exception": exception,
        "screening": screening,
        "product": product,
        "order": order,
        "post": post,
        "draft": draft,
        "device": device,
        "notification": notification,
        "model_version": model_version,
        "lesion_id": lesion.json()["id"],
        "free_slots": [slot.start for slot in slots[1:4]],
    }
    world = World(users=users, objects=objects)
    world.clients["anonymous"] = ApiClient()
    for who, user in users.items():
        world.tokens[who] = token_for(user)
        world.clients[who] = ApiClient(world.tokens[who])
    return world


def path_values(world: World) -> dict[str, Any]:
    """A real value for every path parameter of the API (a new parameter name must be added here)."""
    o, u = world.objects, world.users
    return {
        "clinician_id": u["clinician"].pk,
        "exception_id": o["exception"].pk,
        "appointment_id": o["appointment"].pk,
        "notification_id": o["notification"].pk,
        "token": o["device"].token,
        "product_id": o["product"].pk,
        "order_id": o["order"].pk,
        "slug": o["post"].slug,
        "screening_id": o["screening"].pk,
        "lesion_id": o["lesion_id"],
        "version": o["model_version"].version,
        "name": "model.h5",
    }


def query_values(world: World) -> dict[str, Any]:
    """Values for required query parameters."""
    today = timezone.localdate()
    return {"start": (today + timedelta(days=2)).isoformat(), "end": (today + timedelta(days=3)).isoformat()}


def valid_body(operation_id: str, world: World) -> dict[str, Any]:
    """A body each JSON write operation accepts (so a refusal is about who asks, or about extra fields)."""
    from ninja_jwt.tokens import RefreshToken

    from tests.server.factories import DEFAULT_PASSWORD

    o, u = world.objects, world.users
    today = timezone.localdate()
    refresh = str(RefreshToken.for_user(u["owner"]))
    bodies: dict[str, dict[str, Any]] = {
        "register_user": {"email": "new.user@example.org", "password": "a-Long-passw0rd-for-tests", "full_name": "New User"},
        "login_user": {"email": u["owner"].email, "password": DEFAULT_PASSWORD},
        "refresh_token": {"refresh": refresh},
        "logout_user": {"refresh": refresh},
        "update_me": {"full_name": "Renamed Person"},
        "change_password": {"current_password": DEFAULT_PASSWORD, "new_password": "another-Long-passw0rd-2026"},
        "delete_account": {"password": DEFAULT_PASSWORD},
        "set_availability": {"windows": [{"weekday": 0, "start": "09:00", "end": "12:00"}]},
        "create_exception": {"date": (today + timedelta(days=40)).isoformat(), "reason": "Conference"},
        "create_appointment": {"clinician_id": u["clinician"].pk, "start": o["free_slots"][0].isoformat()},
        "reschedule_appointment": {"start": o["free_slots"][1].isoformat()},
        "set_appointment_status": {"status": "done"},
        "register_device": {"token": "ExponentPushToken[reliability-new-0002]", "platform": "android"},
        "create_order": {"items": [{"product_id": o["product"].pk, "quantity": 1}]},
        "set_order_status": {"status": "paid"},
        "create_post": {"title": "A new post", "body": "Some text."},
        "update_post": {"title": "A renamed post"},
        "share_screening": {"clinician_id": u["clinician"].pk},
        "assign_screening_lesion": {"lesion_id": o["lesion_id"]},
        "write_screening_review": {"impression": "monitor"},
        "create_lesion": {"name": "Back mole", "body_view": "back", "body_x": 0.5, "body_y": 0.5},
        "update_lesion": {"name": "Renamed mole"},
        "set_lesion_follow_up": {"weeks": 4},
    }
    if operation_id not in bodies:
        raise KeyError(f"no valid body for {operation_id}: add one to tests/reliability/conftest.py valid_body()")
    return bodies[operation_id]


@pytest.fixture
def world(db: Any, reliability_settings: Any, reliability_bundle_root: Path) -> World:
    return build_world(reliability_bundle_root)


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """The API's own OpenAPI document, as served (new endpoints appear here without editing the suites)."""
    from django.test import Client

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document."""
    for path, item in sorted(document["paths"].items()):
        for method, operation in sorted(item.items()):
            if method in {"get", "put", "post", "patch", "delete", "head", "options"}:
                yield method.upper(), path, operation
