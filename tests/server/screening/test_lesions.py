"""Lesions: records, assigning screenings (online, sync, later), the timeline and the follow-up reminder."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from notifications.models import Notification
from screening import lesions
from screening.models import Lesion, Screening
from tests.server.factories import UserFactory
from tests.server.screening.conftest import image_bytes, upload
from tests.server.screening.factories import LesionFactory, ReviewFactory, ScreeningFactory


def test_create_and_list_lesions(patient: Any, as_user: Any) -> None:
    # Given a patient
    client = as_user(patient)
    # When they add a lesion on the back of the body map
    response = client.post("/api/v1/lesions", {"name": " Mole left shoulder ", "body_view": "back", "body_x": 0.31, "body_y": 0.22, "body_region": "left shoulder"})
    # Then it is theirs, trimmed, with no screenings and no reminder yet
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Mole left shoulder" and body["owner_id"] == patient.pk
    assert (body["body_view"], body["body_x"], body["body_y"], body["body_region"]) == ("back", 0.31, 0.22, "left shoulder")
    assert body["screening_count"] == 0 and body["follow_up_due_at"] is None
    listed = client.get("/api/v1/lesions").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x", "body_view": "side", "body_x": 0.5, "body_y": 0.5},
        {"name": "x", "body_view": "front", "body_x": 1.5, "body_y": 0.5},
        {"name": "x", "body_view": "front", "body_x": 0.5, "body_y": -0.1},
        {"name": "", "body_view": "front", "body_x": 0.5, "body_y": 0.5},
        {"name": "x", "body_view": "front", "body_x": 0.5},
        {"name": "x", "body_view": "front", "body_x": 0.5, "body_y": 0.5, "owner_id": 1},
    ],
)
def test_bad_lesions_are_422_and_store_nothing(patient: Any, as_user: Any, payload: dict[str, Any]) -> None:
    response = as_user(patient).post("/api/v1/lesions", payload)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert Lesion.objects.count() == 0


def test_patch_with_out_of_range_coordinate_changes_nothing(patient: Any, as_user: Any) -> None:
    lesion = LesionFactory(owner=patient, name="keep")
    response = as_user(patient).patch(f"/api/v1/lesions/{lesion.pk}", {"name": "new", "body_x": 2})
    assert response.status_code == 422
    lesion.refresh_from_db()
    assert (lesion.name, lesion.body_x) == ("keep", 0.4)


def test_old_screenings_are_unassigned_and_can_be_assigned_and_unassigned(registry: Any, patient: Any, as_user: Any) -> None:
    # Given a screening taken before lesions existed, and a lesion
    screening = ScreeningFactory(owner=patient, model_version=registry["a"])
    lesion = LesionFactory(owner=patient)
    client = as_user(patient)
    assert client.get(f"/api/v1/screenings/{screening.pk}").json()["lesion_id"] is None
    # When the owner assigns it
    response = client.put(f"/api/v1/screenings/{screening.pk}/lesion", {"lesion_id": str(lesion.pk)})
    # Then it belongs to the lesion
    assert response.status_code == 200 and response.json()["lesion_id"] == str(lesion.pk)
    assert client.get(f"/api/v1/lesions/{lesion.pk}").json()["screening_count"] == 1
    # And unassigning takes it out again
    response = client.put(f"/api/v1/screenings/{screening.pk}/lesion", {"lesion_id": None})
    assert response.status_code == 200 and response.json()["lesion_id"] is None
    assert Screening.objects.get(pk=screening.pk).lesion_id is None


def test_a_screening_cannot_go_under_another_persons_lesion(registry: Any, patient: Any, as_user: Any) -> None:
    screening = ScreeningFactory(owner=patient, model_version=registry["a"])
    foreign = LesionFactory(owner=UserFactory(role="patient"))
    response = as_user(patient).put(f"/api/v1/screenings/{screening.pk}/lesion", {"lesion_id": str(foreign.pk)})
    assert response.status_code == 422 and response.json()["code"] == "lesion_not_found"
    assert Screening.objects.get(pk=screening.pk).lesion_id is None


def test_create_and_sync_accept_a_lesion_id(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    # Given a lesion of the patient and one of someone else
    lesion = LesionFactory(owner=patient)
    foreign = LesionFactory(owner=UserFactory(role="patient"))
    client = as_user(patient)
    # When a screening is taken online for the lesion
    online = client.post_multipart("/api/v1/screenings", {"photo": upload(image_bytes()), "lesion_id": str(lesion.pk)})
    # Then it belongs to it
    assert online.status_code == 201, online.content
    assert online.json()["lesion_id"] == str(lesion.pk)
    # When offline captures are synced, one for the lesion and one naming a foreign lesion
    good = {"client_uuid": str(uuid.uuid4()), "captured_at": timezone.now().isoformat(), "photo": "p0", "lesion_id": str(lesion.pk)}
    bad = {"client_uuid": str(uuid.uuid4()), "captured_at": timezone.now().isoformat(), "photo": "p1", "lesion_id": str(foreign.pk)}
    data = {"items": json.dumps([good, bad]), "p0": upload(image_bytes(color=(10, 200, 30))), "p1": upload(image_bytes(color=(200, 10, 30)))}
    body = client.post_multipart("/api/v1/screenings/sync", data).json()
    # Then the good one is created under the lesion and the foreign one is refused on its own
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][0]["screening"]["lesion_id"] == str(lesion.pk)
    assert body["results"][1]["error"]["code"] == "lesion_not_found"
    assert Screening.objects.filter(lesion=lesion).count() == 2
    assert not Screening.objects.filter(client_uuid=bad["client_uuid"]).exists()
    assert len(media_files()) == 2  # the refused item stored no photo
    # And the online create with a foreign lesion is a 422 that stores nothing
    refused = client.post_multipart("/api/v1/screenings", {"photo": upload(image_bytes()), "lesion_id": str(foreign.pk)})
    assert refused.status_code == 422 and refused.json()["code"] == "lesion_not_found"
    assert Screening.objects.filter(owner=patient).count() == 2


def test_timeline_is_oldest_first_with_photos_results_versions_and_reviews(registry: Any, patient: Any, as_user: Any) -> None:
    # Given three screenings of one lesion taken months apart (under two model versions), one reviewed
    lesion = LesionFactory(owner=patient)
    now = timezone.now()
    newest = ScreeningFactory(owner=patient, model_version=registry["b"], lesion=lesion, captured_at=now, label="mel")
    oldest = ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion, captured_at=now - timedelta(days=120))
    middle = ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion, captured_at=now - timedelta(days=60))
    ScreeningFactory(owner=patient, model_version=registry["a"])  # unassigned: not in the timeline
    review = ReviewFactory(screening=newest, impression="excise_or_biopsy", note="asymmetric", follow_up_weeks=4)
    # When the owner opens the timeline
    body = as_user(patient).get(f"/api/v1/lesions/{lesion.pk}/timeline").json()
    # Then it holds the lesion's screenings oldest first, each with what the app compares side by side
    assert body["lesion"]["id"] == str(lesion.pk)
    assert [s["id"] for s in body["screenings"]] == [str(oldest.pk), str(middle.pk), str(newest.pk)]
    last = body["screenings"][-1]
    assert last["photo_url"] == f"/api/v1/screenings/{newest.pk}/photo"
    assert (last["model_version"], last["top_label"], last["risk"]) == (registry["b"].version, "mel", "high")
    assert body["screenings"][0]["model_version"] == registry["a"].version
    assert [(r["id"], r["impression"], r["note"], r["follow_up_weeks"]) for r in last["reviews"]] == [(review.pk, "excise_or_biopsy", "asymmetric", 4)]
    assert body["screenings"][0]["reviews"] == []


def test_follow_up_reminder_is_a_notification_row_and_a_new_one_replaces_it(patient: Any, as_user: Any) -> None:
    # Given a lesion
    lesion = LesionFactory(owner=patient)
    client = as_user(patient)
    # When the patient asks to be reminded in 6 weeks
    before = timezone.now()
    response = client.put(f"/api/v1/lesions/{lesion.pk}/follow-up", {"weeks": 6})
    # Then one pending notification row is due in 6 weeks, and the lesion says when
    assert response.status_code == 200
    rows = list(Notification.objects.filter(user=patient, kind="lesion_follow_up"))
    assert len(rows) == 1 and rows[0].status == "pending"
    assert before + timedelta(weeks=6) <= rows[0].due_at <= timezone.now() + timedelta(weeks=6)
    assert rows[0].data["lesion_id"] == str(lesion.pk)
    assert "mole" not in rows[0].body.lower() and lesion.name not in rows[0].body  # nothing medical on a lock screen
    assert response.json()["follow_up_due_at"] is not None
    # When they change it to 2 weeks
    client.put(f"/api/v1/lesions/{lesion.pk}/follow-up", {"weeks": 2})
    # Then the first is cancelled and only the new one is pending
    statuses = sorted(Notification.objects.filter(user=patient, kind="lesion_follow_up").values_list("status", flat=True))
    assert statuses == ["cancelled", "pending"]
    # When they cancel it, nothing is pending
    cancelled = client.delete(f"/api/v1/lesions/{lesion.pk}/follow-up")
    assert cancelled.status_code == 200 and cancelled.json()["follow_up_due_at"] is None
    assert not Notification.objects.filter(user=patient, kind="lesion_follow_up", status="pending").exists()


def test_a_due_follow_up_shows_in_the_app_with_the_lesion_to_open(patient: Any, as_user: Any) -> None:
    # Given a follow-up set 6 weeks ago for 6 weeks: due now
    lesion = LesionFactory(owner=patient)
    lesions.lesion_follow_up_set(lesion=lesion, weeks=6, now=timezone.now() - timedelta(weeks=6, seconds=1))
    # When the patient opens their notifications
    listed = as_user(patient).get("/api/v1/notifications").json()["items"]
    # Then the reminder says which lesion it is about, so the app can open it
    assert [(n["kind"], n["data"]["lesion_id"]) for n in listed] == [("lesion_follow_up", str(lesion.pk))]


@pytest.mark.parametrize("weeks", [0, -1, 105, "six"])
def test_follow_up_out_of_range_is_422(patient: Any, as_user: Any, weeks: Any) -> None:
    lesion = LesionFactory(owner=patient)
    response = as_user(patient).put(f"/api/v1/lesions/{lesion.pk}/follow-up", {"weeks": weeks})
    assert response.status_code == 422
    assert not Notification.objects.exists()


def test_deleting_a_lesion_keeps_its_screenings_unassigned_and_cancels_its_reminder(registry: Any, patient: Any, as_user: Any) -> None:
    lesion = LesionFactory(owner=patient)
    screening = ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion)
    lesions.lesion_follow_up_set(lesion=lesion, weeks=3)
    response = as_user(patient).delete(f"/api/v1/lesions/{lesion.pk}")
    assert response.status_code == 204
    assert Screening.objects.get(pk=screening.pk).lesion_id is None
    assert list(Notification.objects.filter(kind="lesion_follow_up").values_list("status", flat=True)) == ["cancelled"]


def test_a_clinician_with_one_shared_screening_counts_only_what_they_see(registry: Any, patient: Any, as_user: Any) -> None:
    # Given a lesion with two screenings, one of them shared with a clinician
    from screening.models import ScreeningShare

    clinician = UserFactory(role="clinician")
    lesion = LesionFactory(owner=patient)
    shared = ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion)
    ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion)
    ScreeningShare.objects.create(screening=shared, clinician=clinician)
    # Then the owner counts two, and the clinician (lesion and list alike) one: the other one stays unknown to them
    assert as_user(patient).get(f"/api/v1/lesions/{lesion.pk}").json()["screening_count"] == 2
    assert as_user(clinician).get(f"/api/v1/lesions/{lesion.pk}").json()["screening_count"] == 1
    listed = as_user(clinician).get("/api/v1/lesions", {"owner_id": patient.pk}).json()["items"]
    assert [(item["id"], item["screening_count"]) for item in listed] == [(str(lesion.pk), 1)]
    assert [s["id"] for s in as_user(clinician).get(f"/api/v1/lesions/{lesion.pk}/timeline").json()["screenings"]] == [str(shared.pk)]


def test_screenings_can_be_listed_by_lesion_or_as_unassigned(registry: Any, patient: Any, as_user: Any) -> None:
    # Given one screening under a lesion and two taken before lesions existed
    lesion = LesionFactory(owner=patient)
    under = ScreeningFactory(owner=patient, model_version=registry["a"], lesion=lesion)
    loose = {str(ScreeningFactory(owner=patient, model_version=registry["a"]).pk) for _ in range(2)}
    client = as_user(patient)
    # Then the app can list the ones still to assign, and those of one lesion
    ids = lambda params: {s["id"] for s in client.get("/api/v1/screenings", params).json()["items"]}  # noqa: E731
    assert ids({"unassigned": "true"}) == loose
    assert ids({"unassigned": "false"}) == {str(under.pk)}
    assert ids({"lesion_id": str(lesion.pk)}) == {str(under.pk)}
    assert client.get("/api/v1/screenings", {"lesion_id": "not-a-uuid"}).status_code == 422
