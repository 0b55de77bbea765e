"""Privacy for health data: the user's data export (zip of data.json + photos/), account deletion on disk,
and the append-only privacy audit trail."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from appointments.models import Appointment
from core.models import PrivacyAuditEvent
from notifications.models import Device, Notification
from shop.models import Order
from tests.server.factories import DEFAULT_PASSWORD, UserFactory

# The screening fixtures (tiny bundles, signing key, registry; screening_settings is autouse) so photos
# go through the real upload path.
from tests.server.screening.conftest import (  # noqa: F401
    bundle_root,
    image_bytes,
    media_files,
    registry,
    screening_settings,
    signing_key_file,
    upload,
)

EXPORT = "/api/v1/auth/me/export"


def _exif_with_gps(owner_tag: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = owner_tag  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    return exif.tobytes()


def _screen(client: Any, owner_tag: str, color: tuple[int, int, int]) -> dict[str, Any]:
    photo = image_bytes("JPEG", (80, 40), color=color, exif=_exif_with_gps(owner_tag), comment=owner_tag.encode())
    assert owner_tag.encode() in photo
    response = client.post_multipart("/api/v1/screenings", {"photo": upload(photo), "note": f"note of {owner_tag}"})
    assert response.status_code == 201, response.content
    return dict(response.json())


def _person(owner_tag: str, clinician: Any, role: str = "patient") -> Any:
    user = UserFactory(role=role, full_name=f"Person {owner_tag}", email=f"{owner_tag}@example.org", phone="+49 30 1234")
    start = timezone.now() + timedelta(days=3)
    Appointment.objects.create(clinician=clinician, patient=user, start=start, end=start + timedelta(minutes=30), time_zone="UTC", reason=f"visit of {owner_tag}")
    Order.objects.create(
        number=f"ORD-{owner_tag}", user=user, customer_name=user.full_name, customer_email=user.email, currency="EUR",
        subtotal_minor=1000, tax_rate_percent=19, tax_minor=190, total_minor=1190,
    )
    Notification.objects.create(user=user, kind="test", title=f"hello {owner_tag}", body="b", dedupe_key=f"n-{owner_tag}", due_at=timezone.now(), next_attempt_at=timezone.now())
    Device.objects.create(user=user, token=f"ExponentPushToken[{owner_tag}]", platform="android")
    return user


@pytest.fixture
def two_people(registry: Any, clinician: Any, as_user: Any) -> dict[str, Any]:  # noqa: F811
    alice, bob = _person("alice", clinician), _person("bob", clinician)
    return {
        "alice": alice,
        "bob": bob,
        "alice_screenings": [_screen(as_user(alice), "alice", (180, 90, 60)), _screen(as_user(alice), "alice", (150, 80, 70))],
        "bob_screenings": [_screen(as_user(bob), "bob", (90, 60, 180))],
    }


def _archive(response: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_holds_the_users_data_and_photos_and_nothing_of_anyone_else(two_people: dict[str, Any], as_user: Any, media_files: Any) -> None:  # noqa: F811
    alice, bob = two_people["alice"], two_people["bob"]
    # When Alice downloads her data
    response = as_user(alice).get(EXPORT)
    # Then she gets one zip, not cached anywhere
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="skinscreen-data-')
    assert response["Cache-Control"] == "no-store"
    archive = _archive(response)
    data = json.loads(archive.read("data.json"))
    # with her profile, consents, screenings, appointments, orders, notifications and push devices
    assert data["profile"]["email"] == "alice@example.org" and data["profile"]["full_name"] == "Person alice"
    assert "password" not in data["profile"]
    assert isinstance(data["consents"], dict)
    assert sorted(s["id"] for s in data["screenings"]) == sorted(s["id"] for s in two_people["alice_screenings"])
    assert {s["note"] for s in data["screenings"]} == {"note of alice"}
    assert [a["reason"] for a in data["appointments"]] == ["visit of alice"]
    assert [o["number"] for o in data["orders"]] == ["ORD-alice"]
    assert [n["title"] for n in data["notifications"]] == ["hello alice"]
    assert [d["token"] for d in data["push_devices"]] == ["ExponentPushToken[alice]"]
    # and exactly her photos, byte for byte the stored (cleaned) copies
    photos = sorted(n for n in archive.namelist() if n.startswith("photos/"))
    assert photos == sorted(f"photos/{s['id']}.jpg" for s in two_people["alice_screenings"])
    stored = {p.read_bytes() for p in media_files()}
    for name in photos:
        assert archive.read(name) in stored
    # And nothing of Bob's anywhere in the archive
    everything = b"".join(archive.read(n) for n in archive.namelist())
    bob_markers = [bob.email, bob.full_name, "note of bob", "visit of bob", "ORD-bob", "ExponentPushToken[bob]", two_people["bob_screenings"][0]["id"]]
    for marker in bob_markers:
        assert marker.encode() not in everything, marker
    bob_photos = {p.read_bytes() for p in media_files() if p.parent.name == str(bob.pk)}
    assert len(bob_photos) == 1 and not bob_photos & {archive.read(n) for n in photos}


def test_exported_photos_carry_no_metadata(two_people: dict[str, Any], as_user: Any) -> None:
    archive = _archive(as_user(two_people["alice"]).get(EXPORT))
    for name in (n for n in archive.namelist() if n.startswith("photos/")):
        raw = archive.read(name)
        for marker in (b"Exif", b"PhoneMaker", b"alice", b"ICC_PROFILE"):
            assert marker not in raw, (name, marker)
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0
            assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)


def test_export_needs_a_session_is_rate_limited_and_audited(two_people: dict[str, Any], as_user: Any, api: Any, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.PRIVACY_EXPORT_RATE = "2/hour"
    alice = two_people["alice"]
    # Given no session, there is nothing to download
    assert api.get(EXPORT).status_code == 401
    # When Alice downloads her data three times within the hour
    answers = [as_user(alice).get(EXPORT) for _ in range(3)]
    # Then the third is refused with a clear 429, and Bob's own limit is untouched
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "export_throttled" and answers[2].json()["detail"]
    assert as_user(two_people["bob"]).get(EXPORT).status_code == 200
    # And each export is on the privacy audit trail, with counts and no personal data
    events = list(PrivacyAuditEvent.objects.filter(user_id=alice.pk, action="export"))
    assert len(events) == 2
    assert events[0].detail["screenings"] == 2 and events[0].detail["photos"] == 2
    assert "alice" not in json.dumps([e.detail for e in events])


def test_deleting_an_account_removes_its_photos_from_disk_and_keeps_orders_pseudonymised(
    two_people: dict[str, Any], as_user: Any, media_files: Any, settings: Any, django_capture_on_commit_callbacks: Any  # noqa: F811
) -> None:
    alice, bob = two_people["alice"], two_people["bob"]
    media = Path(settings.MEDIA_ROOT)
    alice_files = [p for p in media_files() if p.parent.name == str(alice.pk)]
    bob_files = [p for p in media_files() if p.parent.name == str(bob.pk)]
    assert len(alice_files) == 2 and len(bob_files) == 1
    orphan = media / "screenings" / str(alice.pk) / "interrupted-upload.jpg"
    orphan.write_bytes(b"\xff\xd8 left by an interrupted upload")
    # When Alice deletes her account
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(alice).post("/api/v1/auth/delete-account", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204
    # Then her photos (and their folder) are gone from disk; Bob's are untouched
    assert not any(p.exists() for p in [*alice_files, orphan])
    assert not (media / "screenings" / str(alice.pk)).exists()
    assert all(p.exists() for p in bob_files)
    # Her devices, notifications and appointments are gone; her order is kept for the books without her identity
    assert not Device.objects.filter(token="ExponentPushToken[alice]").exists()
    assert not Notification.objects.filter(dedupe_key="n-alice").exists()
    assert not Appointment.objects.filter(reason="visit of alice").exists()
    order = Order.objects.get(number="ORD-alice")
    assert (order.user_id, order.customer_email) == (None, "") and "alice" not in order.customer_name
    assert Order.objects.get(number="ORD-bob").customer_email == "bob@example.org"
    # And the deletion is on the privacy audit trail
    assert PrivacyAuditEvent.objects.filter(user_id=alice.pk, action="delete").count() == 1
