"""Clinician reviews (append-only revisions, the patient told by push), the worklist, and review agreement."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment
from notifications.models import Device, Notification
from screening import reviews
from screening.models import ScreeningAccessLog, ScreeningReview, ScreeningReviewRevision, ScreeningShare
from tests.server.factories import UserFactory
from tests.server.notifications.fake_expo import FakeExpo
from tests.server.screening.factories import LesionFactory, ReviewFactory, ScreeningFactory


@pytest.fixture
def fake_expo(settings: Any) -> Any:
    server = FakeExpo().start()
    settings.EXPO_PUSH_HOST = server.url
    yield server
    server.stop()


@pytest.fixture
def shared(registry: Any) -> dict[str, Any]:
    owner = UserFactory(role="patient")
    clinician = UserFactory(role="clinician", full_name="Dr Ada Lovelace")
    screening = ScreeningFactory(owner=owner, model_version=registry["a"], label="mel")
    ScreeningShare.objects.create(screening=screening, clinician=clinician)
    return {"owner": owner, "clinician": clinician, "screening": screening}


def test_review_is_written_amended_with_history_and_the_patient_is_pushed_after_commit(
    shared: dict[str, Any], as_user: Any, fake_expo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Given a screening shared with a clinician, and the owner's phone
    owner, clinician, screening = shared["owner"], shared["clinician"], shared["screening"]
    Device.objects.create(user=owner, token="ExponentPushToken[review-owner-0001]", platform="ios")
    url = f"/api/v1/screenings/{screening.pk}/review"
    # When the clinician writes a review
    with django_capture_on_commit_callbacks(execute=True):
        first = as_user(clinician).put(url, {"impression": "excise_or_biopsy", "note": "Irregular border.", "follow_up_weeks": 2})
    # Then it is stored as revision 1 and the owner's phone got one push that names no finding
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["impression"], body["revision"], body["clinician_name"], body["diagnosis_label"]) == ("excise_or_biopsy", 1, "Dr Ada Lovelace", None)
    assert [r["number"] for r in body["revisions"]] == [1]
    assert fake_expo.requests == 1
    pushed = Notification.objects.get(user=owner, kind="screening_review")
    assert pushed.status == "sent" and "excise" not in pushed.body.lower() and "Irregular" not in pushed.body
    # When the clinician amends it (histology came back)
    with django_capture_on_commit_callbacks(execute=True):
        amended = as_user(clinician).put(url, {"impression": "refer_urgently", "note": "Histology: melanoma.", "diagnosis_label": "mel"})
    # Then the review says the new thing, and both versions are kept in order
    assert amended.status_code == 200
    assert (amended.json()["impression"], amended.json()["revision"], amended.json()["diagnosis_label"]) == ("refer_urgently", 2, "mel")
    assert [(r["number"], r["impression"]) for r in amended.json()["revisions"]] == [(1, "excise_or_biopsy"), (2, "refer_urgently")]
    assert Notification.objects.filter(user=owner, kind="screening_review").count() == 2
    # When the same amendment is sent again (a retried request), nothing is added
    with django_capture_on_commit_callbacks(execute=True):
        again = as_user(clinician).put(url, {"impression": "refer_urgently", "note": "Histology: melanoma.", "diagnosis_label": "mel"})
    assert again.status_code == 200 and again.json()["revision"] == 2
    assert ScreeningReviewRevision.objects.count() == 2 and Notification.objects.filter(kind="screening_review").count() == 2
    assert fake_expo.requests == 2
    # And the patient sees the current review on the result, and the history under /reviews
    result = as_user(owner).get(f"/api/v1/screenings/{screening.pk}").json()
    assert [(r["impression"], r["revision"]) for r in result["reviews"]] == [("refer_urgently", 2)]
    history = as_user(owner).get(f"/api/v1/screenings/{screening.pk}/reviews").json()
    assert [len(r["revisions"]) for r in history] == [2]


def test_a_suggested_follow_up_becomes_the_lesions_reminder(shared: dict[str, Any], registry: Any, as_user: Any) -> None:
    # Given a shared screening filed under one of the owner's lesions, and another one filed under none
    owner, clinician, screening = shared["owner"], shared["clinician"], shared["screening"]
    lesion = LesionFactory(owner=owner)
    screening.lesion = lesion
    screening.save(update_fields=["lesion"])
    loose = ScreeningFactory(owner=owner, model_version=registry["a"])
    ScreeningShare.objects.create(screening=loose, clinician=clinician)
    url = f"/api/v1/screenings/{screening.pk}/review"

    def pending() -> list[int]:
        return [n.data["weeks"] for n in Notification.objects.filter(user=owner, kind="lesion_follow_up", status="pending")]

    # When the clinician suggests a photo again in 6 weeks
    before = timezone.now()
    assert as_user(clinician).put(url, {"impression": "monitor", "follow_up_weeks": 6}).status_code == 201
    # Then the lesion has a follow-up reminder due then, one notification row waiting for it
    lesion.refresh_from_db()
    assert lesion.follow_up_due_at is not None and before + timedelta(weeks=6) <= lesion.follow_up_due_at <= timezone.now() + timedelta(weeks=6)
    assert pending() == [6]
    # When the review is amended to 4 weeks, the reminder moves (still one); a note-only amendment leaves it
    assert as_user(clinician).put(url, {"impression": "monitor", "follow_up_weeks": 4}).status_code == 200
    assert pending() == [4]
    due = Notification.objects.get(user=owner, kind="lesion_follow_up", status="pending").due_at
    assert as_user(clinician).put(url, {"impression": "monitor", "note": "Looks stable.", "follow_up_weeks": 4}).status_code == 200
    assert Notification.objects.get(user=owner, kind="lesion_follow_up", status="pending").due_at == due
    # And a screening filed under no lesion keeps the suggestion on the review only
    assert as_user(clinician).put(f"/api/v1/screenings/{loose.pk}/review", {"impression": "monitor", "follow_up_weeks": 2}).status_code == 201
    assert pending() == [4]


def test_a_rolled_back_review_sends_nothing(shared: dict[str, Any], fake_expo: Any, django_capture_on_commit_callbacks: Any) -> None:
    # Given a review written inside a transaction that then fails
    from django.db import transaction

    Device.objects.create(user=shared["owner"], token="ExponentPushToken[review-owner-0002]", platform="ios")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        reviews.review_write(clinician=shared["clinician"], screening=shared["screening"], item=reviews.ReviewInput(impression="benign"))
        raise RuntimeError("boom")
    # Then neither the review nor a notification exists, and nothing was pushed
    assert not ScreeningReview.objects.exists() and not Notification.objects.exists()
    assert fake_expo.requests == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"impression": "cancer"}, "validation_error"),
        ({"impression": "benign", "diagnosis_label": "melanoma"}, "validation_error"),
        ({"impression": "benign", "follow_up_weeks": 0}, "validation_error"),
        ({"impression": "benign", "follow_up_weeks": 200}, "validation_error"),
        ({"impression": "benign", "note": "x" * 2001}, "validation_error"),
        ({"impression": "benign", "clinician_id": 1}, "validation_error"),
        ({"impression": "benign", "revision": 7}, "validation_error"),
    ],
)
def test_bad_reviews_are_422_and_write_nothing(shared: dict[str, Any], as_user: Any, payload: dict[str, Any], code: str) -> None:
    response = as_user(shared["clinician"]).put(f"/api/v1/screenings/{shared['screening'].pk}/review", payload)
    assert response.status_code == 422 and response.json()["code"] == code
    assert not ScreeningReview.objects.exists() and not Notification.objects.exists()


def test_a_clinician_with_an_appointment_may_review_and_after_the_window_may_not(registry: Any, as_user: Any, settings: Any) -> None:
    # Given a patient whose appointment with a clinician ended 10 days ago (window 30 days)
    patient = UserFactory(role="patient")
    clinician = UserFactory(role="clinician")
    screening = ScreeningFactory(owner=patient, model_version=registry["a"])
    end = timezone.now() - timedelta(days=10)
    Appointment.objects.create(clinician=clinician, patient=patient, start=end - timedelta(minutes=30), end=end, time_zone="UTC", status="done")
    url = f"/api/v1/screenings/{screening.pk}/review"
    # Then the clinician may review
    assert as_user(clinician).put(url, {"impression": "monitor"}).status_code == 201
    # But with a 5-day window the screening is not theirs to see any more: 404, nothing changes
    settings.SCREENING_CLINICIAN_ACCESS_DAYS = 5
    response = as_user(clinician).put(url, {"impression": "benign"})
    assert response.status_code == 404
    assert ScreeningReview.objects.get().impression == "monitor"


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_amendments_get_consecutive_revisions(registry: Any) -> None:
    # Given a review and 6 threads amending it at once, each with a different note
    owner = UserFactory(role="patient")
    clinician = UserFactory(role="clinician")
    screening = ScreeningFactory(owner=owner, model_version=registry["a"])
    ScreeningShare.objects.create(screening=screening, clinician=clinician)
    reviews.review_write(clinician=clinician, screening=screening, item=reviews.ReviewInput(impression="monitor"))
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def amend(i: int) -> None:
        try:
            barrier.wait()
            reviews.review_write(clinician=clinician, screening=screening, item=reviews.ReviewInput(impression="monitor", note=f"look {i}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=amend, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every amendment is one revision, numbered 1..7 without a gap or a repeat, and one push row each
    assert errors == []
    review = ScreeningReview.objects.get()
    numbers = list(ScreeningReviewRevision.objects.filter(review=review).order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 8)) and review.revision == 7
    assert Notification.objects.filter(kind="screening_review").count() == 7


# -- the worklist --


def test_worklist_is_high_risk_first_then_newest_with_filters_and_audit(registry: Any, as_user: Any) -> None:
    # Given a clinician with one shared screening, an appointment patient's screenings, and a stranger's
    clinician = UserFactory(role="clinician")
    shared_owner = UserFactory(role="patient", full_name="Pat Shared")
    appointment_patient = UserFactory(role="patient", full_name="Pat Appointment")
    stranger = UserFactory(role="patient")
    now = timezone.now()
    Appointment.objects.create(
        clinician=clinician, patient=appointment_patient, start=now + timedelta(days=2), end=now + timedelta(days=2, minutes=30), time_zone="UTC"
    )
    old_high = ScreeningFactory(owner=appointment_patient, model_version=registry["a"], label="mel", captured_at=now - timedelta(days=9))
    new_low = ScreeningFactory(owner=appointment_patient, model_version=registry["a"], label="nv", captured_at=now - timedelta(days=1))
    new_high = ScreeningFactory(owner=shared_owner, model_version=registry["a"], label="bcc", captured_at=now - timedelta(days=2))
    medium = ScreeningFactory(owner=appointment_patient, model_version=registry["a"], label="bkl", captured_at=now - timedelta(days=3))
    ScreeningShare.objects.create(screening=new_high, clinician=clinician)
    ScreeningFactory(owner=shared_owner, model_version=registry["a"], label="mel")  # not shared: not on the list
    ScreeningFactory(owner=stranger, model_version=registry["a"], label="mel")
    ReviewFactory(screening=old_high, clinician=clinician)
    client = as_user(clinician)
    # When the clinician opens the worklist
    body = client.get("/api/v1/clinician/worklist").json()
    # Then it holds exactly what they may see, high risk first and newest first inside each risk level
    assert [item["id"] for item in body["items"]] == [str(new_high.pk), str(old_high.pk), str(medium.pk), str(new_low.pk)]
    assert body["count"] == 4
    first = body["items"][0]
    assert (first["patient_name"], first["reviewed"], first["risk"]) == ("Pat Shared", False, "high")
    assert body["items"][1]["reviewed"] is True
    # And every row shown is on the access trail
    assert ScreeningAccessLog.objects.filter(actor_id=clinician.pk, action="worklist").count() == 4
    # Filters: risk, reviewed, date range; pages
    ids = lambda params: [item["id"] for item in client.get("/api/v1/clinician/worklist", params).json()["items"]]  # noqa: E731
    assert ids({"risk": "high"}) == [str(new_high.pk), str(old_high.pk)]
    assert ids({"reviewed": "false"}) == [str(new_high.pk), str(medium.pk), str(new_low.pk)]
    assert ids({"reviewed": "true"}) == [str(old_high.pk)]
    assert ids({"date_from": (now - timedelta(days=3)).date().isoformat(), "date_to": (now - timedelta(days=2)).date().isoformat()}) == [
        str(new_high.pk),
        str(medium.pk),
    ]
    assert ids({"page_size": 2, "page": 2}) == [str(medium.pk), str(new_low.pk)]
    assert client.get("/api/v1/clinician/worklist", {"risk": "extreme"}).status_code == 422
    assert client.get("/api/v1/clinician/worklist", {"page_size": 1000}).json()["count"] == 4


# -- the agreement report --


def test_agreement_report_counts_reviews_per_model_version(registry: Any, as_user: Any) -> None:
    # Given reviews of screenings under version A: high+excise (match), high+benign (miss), low+monitor (match),
    # low+refer (miss), medium+benign (match); and one under version B
    clinician = UserFactory(role="clinician")
    a, b = registry["a"], registry["b"]
    for label, impression in [("mel", "excise_or_biopsy"), ("bcc", "benign"), ("nv", "monitor"), ("nv", "refer_urgently"), ("bkl", "benign")]:
        ReviewFactory(screening=ScreeningFactory(model_version=a, label=label), clinician=clinician, impression=impression)
    ReviewFactory(screening=ScreeningFactory(model_version=b, label="mel"), clinician=clinician, impression="refer_urgently")
    # When a clinician asks for version A's agreement
    report = as_user(clinician).get(f"/api/v1/models/{a.version}/agreement").json()["review_agreement"]
    # Then only A's reviews count, and the match rule is high <-> excise/refer, low/medium <-> benign/monitor
    assert (report["n_reviews"], report["n_matched"]) == (5, 3)
    assert report["agreement"] == pytest.approx(0.6)
    assert report["sensitivity_vs_clinicians"] == pytest.approx(0.5)  # 2 concerning impressions, 1 flagged high
    assert report["precision_vs_clinicians"] == pytest.approx(0.5)  # 2 high, 1 concerning
    assert report["table"]["high"] == {"benign": 1, "monitor": 0, "excise_or_biopsy": 1, "refer_urgently": 0}
    assert report["table"]["medium"]["benign"] == 1
    other = as_user(clinician).get(f"/api/v1/models/{b.version}/agreement").json()["review_agreement"]
    assert (other["n_reviews"], other["n_matched"]) == (1, 1)
