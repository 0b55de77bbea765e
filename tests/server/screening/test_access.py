"""Who sees which screening: the IDOR matrix, lists without foreign ids, filters, audit trail, deletion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from screening.models import Screening, ScreeningAccessLog, ScreeningShare
from tests.server.factories import UserFactory
from tests.server.screening.conftest import image_bytes, upload
from tests.server.screening.factories import ScreeningFactory


@pytest.fixture
def world(registry: Any, as_user: Any) -> dict[str, Any]:
    """An owner with a real screening (photo on disk), shared with one clinician."""
    owner = UserFactory(role="patient")
    people = {
        "owner": owner,
        "other_patient": UserFactory(role="patient"),
        "unrelated_clinician": UserFactory(role="clinician"),
        "sharing_clinician": UserFactory(role="clinician"),
        "admin": UserFactory(role="admin", is_staff=True, is_superuser=True),
    }
    response = as_user(owner).post_multipart("/api/v1/screenings", {"photo": upload(image_bytes())})
    assert response.status_code == 201
    screening = Screening.objects.get(pk=response.json()["id"])
    ScreeningShare.objects.create(screening=screening, clinician=people["sharing_clinician"])
    # Other people's screenings that must never leak into the owner's list
    ScreeningFactory(owner=people["other_patient"], model_version=registry["a"])
    return {"people": people, "screening": screening}


def _client(who: str, world: dict[str, Any], api: Any, as_user: Any) -> Any:
    return api if who == "anonymous" else as_user(world["people"][who])


READ = ("get", "/api/v1/screenings/{id}")
PHOTO = ("get", "/api/v1/screenings/{id}/photo")
SHARES = ("get", "/api/v1/screenings/{id}/shares")
SHARE = ("post", "/api/v1/screenings/{id}/shares")
UNSHARE = ("delete", "/api/v1/screenings/{id}/shares/{clinician}")
DELETE = ("delete", "/api/v1/screenings/{id}")

# Expected status per (who, endpoint). Sharing is the owner's decision; deletion too.
MATRIX = {
    "owner": {READ: 200, PHOTO: 200, SHARES: 200, SHARE: 200, UNSHARE: 204, DELETE: 204},
    "other_patient": {READ: 404, PHOTO: 404, SHARES: 404, SHARE: 404, UNSHARE: 404, DELETE: 404},
    "unrelated_clinician": {READ: 404, PHOTO: 404, SHARES: 404, SHARE: 404, UNSHARE: 404, DELETE: 404},
    "sharing_clinician": {READ: 200, PHOTO: 200, SHARES: 404, SHARE: 404, UNSHARE: 404, DELETE: 404},
    "admin": {READ: 200, PHOTO: 200, SHARES: 404, SHARE: 404, UNSHARE: 404, DELETE: 404},
    "anonymous": {READ: 401, PHOTO: 401, SHARES: 401, SHARE: 401, UNSHARE: 401, DELETE: 401},
}
CASES = [(who, endpoint, status) for who, row in MATRIX.items() for endpoint, status in row.items()]


@pytest.mark.parametrize(("who", "endpoint", "status"), CASES, ids=[f"{w}-{e[0]}-{e[1].rsplit('}', 1)[-1] or 'item'}" for w, e, _ in CASES])
def test_idor_matrix(world: dict[str, Any], api: Any, as_user: Any, who: str, endpoint: tuple[str, str], status: int) -> None:
    screening = world["screening"]
    clinician = world["people"]["sharing_clinician"]
    method, template = endpoint
    path = template.format(id=screening.pk, clinician=clinician.pk)
    client = _client(who, world, api, as_user)
    if method == "post":
        response = client.post(path, {"clinician_id": clinician.pk})
    else:
        response = getattr(client, method)(path)
    assert response.status_code == status, (who, method, path, response.content)
    if status == 404:
        # Indistinguishable from an id that does not exist
        assert response.json()["code"] == "screening_not_found"
        missing = template.format(id="00000000-0000-4000-8000-000000000000", clinician=clinician.pk)
        other = client.post(missing, {"clinician_id": clinician.pk}) if method == "post" else getattr(client, method)(missing)
        assert other.status_code == 404 and other.json() == response.json()
    if status >= 400:
        # A refused write changed nothing
        assert Screening.objects.filter(pk=screening.pk).exists()
        assert ScreeningShare.objects.filter(screening=screening, clinician=clinician).exists()


@pytest.mark.parametrize("who", ["owner", "other_patient", "unrelated_clinician", "sharing_clinician", "admin"])
def test_lists_never_show_foreign_screenings(world: dict[str, Any], as_user: Any, who: str) -> None:
    user = world["people"][who]
    body = as_user(user).get("/api/v1/screenings", {"page_size": 100}).json()
    ids = {item["id"] for item in body["items"]}
    visible = {str(s.pk) for s in Screening.objects.all() if s.owner_id == user.pk}
    if who in ("owner", "sharing_clinician"):
        visible.add(str(world["screening"].pk))
    if who == "admin":
        visible = {str(s.pk) for s in Screening.objects.all()}
    assert ids == visible
    assert body["count"] == len(visible)


def test_anonymous_list_is_401(world: dict[str, Any], api: Any) -> None:
    assert api.get("/api/v1/screenings").status_code == 401


def test_reads_by_others_are_audited_and_owner_reads_are_not(world: dict[str, Any], as_user: Any) -> None:
    screening = world["screening"]
    people = world["people"]
    as_user(people["owner"]).get(f"/api/v1/screenings/{screening.pk}")
    as_user(people["sharing_clinician"]).get(f"/api/v1/screenings/{screening.pk}")
    as_user(people["other_patient"]).get(f"/api/v1/screenings/{screening.pk}")
    as_user(people["admin"]).get(f"/api/v1/screenings/{screening.pk}/photo")
    as_user(people["sharing_clinician"]).get("/api/v1/screenings")
    rows = list(ScreeningAccessLog.objects.filter(screening_id=screening.pk).order_by("id"))
    summary = [(r.actor_id, r.action, r.outcome, r.reason) for r in rows]
    assert summary == [
        (people["sharing_clinician"].pk, "read", "granted", "shared"),
        (people["other_patient"].pk, "read", "denied", ""),
        (people["admin"].pk, "photo", "granted", "admin"),
        (people["sharing_clinician"].pk, "list", "granted", "shared"),
    ]
    assert all(r.owner_id == people["owner"].pk and r.at <= timezone.now() for r in rows)
    assert rows[0].actor_email == people["sharing_clinician"].email


def test_unsharing_removes_access(world: dict[str, Any], as_user: Any) -> None:
    screening = world["screening"]
    people = world["people"]
    clinician = as_user(people["sharing_clinician"])
    assert clinician.get(f"/api/v1/screenings/{screening.pk}").status_code == 200
    assert as_user(people["owner"]).delete(f"/api/v1/screenings/{screening.pk}/shares/{people['sharing_clinician'].pk}").status_code == 204
    assert clinician.get(f"/api/v1/screenings/{screening.pk}").status_code == 404


def test_share_target_must_be_a_clinician(world: dict[str, Any], as_user: Any) -> None:
    screening = world["screening"]
    owner = as_user(world["people"]["owner"])
    bad = owner.post(f"/api/v1/screenings/{screening.pk}/shares", {"clinician_id": world["people"]["other_patient"].pk})
    assert bad.status_code == 422 and bad.json()["code"] == "share_target_invalid"
    new = UserFactory(role="clinician")
    ok = owner.post(f"/api/v1/screenings/{screening.pk}/shares", {"clinician_id": new.pk})
    assert ok.status_code == 201 and ok.json()["clinician_id"] == new.pk
    assert owner.post(f"/api/v1/screenings/{screening.pk}/shares", {"clinician_id": new.pk, "role": "admin"}).status_code == 422


@pytest.mark.skipif(not apps.is_installed("appointments"), reason="appointments app not installed")
def test_clinician_with_an_appointment_sees_the_patients_screenings_until_it_is_cancelled(world: dict[str, Any], as_user: Any) -> None:
    from appointments.models import Appointment

    screening = world["screening"]
    clinician = world["people"]["unrelated_clinician"]
    client = as_user(clinician)
    assert client.get(f"/api/v1/screenings/{screening.pk}").status_code == 404
    start = timezone.now() + dt.timedelta(days=2)
    appointment = Appointment.objects.create(
        clinician=clinician, patient=world["people"]["owner"], start=start, end=start + dt.timedelta(minutes=20), time_zone="UTC", status="booked"
    )
    assert client.get(f"/api/v1/screenings/{screening.pk}").status_code == 200
    assert str(screening.pk) in {i["id"] for i in client.get("/api/v1/screenings").json()["items"]}
    assert ScreeningAccessLog.objects.filter(actor_id=clinician.pk, reason="appointment").exists()
    appointment.status = "cancelled"
    appointment.save(update_fields=["status"])
    assert client.get(f"/api/v1/screenings/{screening.pk}").status_code == 404
    assert client.get("/api/v1/screenings").json()["count"] == 0


def test_list_filters_and_pagination(registry: Any, patient: Any, as_user: Any) -> None:
    now = timezone.now()
    old = now - dt.timedelta(days=40)
    for label in ("mel", "mel", "nv", "bkl"):
        ScreeningFactory(owner=patient, label=label, model_version=registry["a"], captured_at=now)
    ScreeningFactory(owner=patient, label="bcc", model_version=registry["a"], captured_at=old)
    client = as_user(patient)

    def count(**params: Any) -> int:
        response = client.get("/api/v1/screenings", params)
        assert response.status_code == 200, response.content
        return int(response.json()["count"])

    assert count() == 5
    assert count(risk="high") == 3
    assert count(risk="medium") == 1
    assert count(label="mel") == 2
    assert count(date_from=(now - dt.timedelta(days=1)).date().isoformat()) == 4
    assert count(date_to=(old + dt.timedelta(days=1)).date().isoformat()) == 1
    page1 = client.get("/api/v1/screenings", {"page_size": 2}).json()
    page3 = client.get("/api/v1/screenings", {"page_size": 2, "page": 3}).json()
    assert len(page1["items"]) == 2 and len(page3["items"]) == 1 and page1["count"] == 5
    assert page3["items"][0]["top_label"] == "bcc"  # newest first: the old one is last
    # The API's one pagination: a page size over 100 is capped, a page size of 0 is a clear 422
    capped = client.get("/api/v1/screenings", {"page_size": 101})
    assert capped.status_code == 200 and capped.json()["count"] == 5
    assert client.get("/api/v1/screenings", {"page_size": 0}).status_code == 422
    assert client.get("/api/v1/screenings", {"risk": "extreme"}).status_code == 422


def test_owner_deletes_screening_and_photo(world: dict[str, Any], as_user: Any, media_files: Any, django_capture_on_commit_callbacks: Any) -> None:
    screening = world["screening"]
    assert len(media_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world["people"]["owner"]).delete(f"/api/v1/screenings/{screening.pk}")
    assert response.status_code == 204
    assert not Screening.objects.filter(pk=screening.pk).exists()
    assert media_files() == []


def test_account_deletion_removes_photos(world: dict[str, Any], as_user: Any, media_files: Any, django_capture_on_commit_callbacks: Any) -> None:
    from tests.server.factories import DEFAULT_PASSWORD

    owner = world["people"]["owner"]
    assert len(media_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(owner).post("/api/v1/auth/delete-account", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204
    assert not Screening.objects.filter(owner_id=owner.pk).exists()
    assert media_files() == []
