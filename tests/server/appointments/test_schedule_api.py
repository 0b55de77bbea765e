"""Clinicians manage their own weekly availability and days off; others cannot."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from appointments.models import AvailabilityException, WeeklyAvailability
from tests.server.appointments.factories import make_clinician
from tests.server.factories import UserFactory

pytestmark = pytest.mark.django_db


def future_day(days: int):
    return (timezone.now() + timedelta(days=days)).date()


def test_clinician_replaces_weekly_availability_and_slots_follow(as_user):
    profile = make_clinician(time_zone="Europe/Berlin")
    client = as_user(profile.user)
    body = {"windows": [{"weekday": d, "start": "14:00", "end": "15:00"} for d in range(7)]}

    response = client.put(f"/api/v1/clinicians/{profile.user_id}/availability", body)

    assert response.status_code == 200
    assert len(response.json()["weekly"]) == 7
    day = future_day(3)
    slots = client.get(f"/api/v1/clinicians/{profile.user_id}/slots", {"start": day.isoformat(), "end": day.isoformat(), "tz": "Europe/Berlin"}).json()["items"]
    assert [datetime.fromisoformat(s["start"]).strftime("%H:%M") for s in slots] == ["14:00", "14:30"]


@pytest.mark.parametrize(
    "windows",
    [
        [{"weekday": 7, "start": "09:00", "end": "10:00"}],
        [{"weekday": 1, "start": "10:00", "end": "09:00"}],
        [{"weekday": 1, "start": "09:07", "end": "10:00"}],
        [{"weekday": 1, "start": "09:00", "end": "11:00"}, {"weekday": 1, "start": "10:00", "end": "12:00"}],
        [{"weekday": 1, "start": "9 am", "end": "10:00"}],
    ],
)
def test_bad_windows_are_422_and_keep_the_old_schedule(as_user, windows):
    profile = make_clinician()
    before = list(WeeklyAvailability.objects.values_list("weekday", "start_time", "end_time"))
    response = as_user(profile.user).put(f"/api/v1/clinicians/{profile.user_id}/availability", {"windows": windows})
    assert response.status_code == 422
    assert list(WeeklyAvailability.objects.values_list("weekday", "start_time", "end_time")) == before


def test_others_cannot_touch_the_schedule(as_user, patient, admin_user):
    profile = make_clinician()
    other = make_clinician()
    url = f"/api/v1/clinicians/{profile.user_id}"
    for client in (as_user(patient), as_user(other.user)):
        assert client.get(f"{url}/availability").status_code == 403
        assert client.put(f"{url}/availability", {"windows": []}).status_code == 403
        assert client.post(f"{url}/exceptions", {"date": future_day(3).isoformat()}).status_code == 403
    assert AvailabilityException.objects.count() == 0
    assert as_user(admin_user).post(f"{url}/exceptions", {"date": future_day(3).isoformat()}).status_code == 201


def test_day_off_removes_slots_and_reports_booked_appointments(as_user, patient):
    profile = make_clinician(time_zone="Europe/Berlin", windows=[(d, time(9), time(11)) for d in range(7)])
    day = future_day(4)
    import zoneinfo

    start = datetime.combine(day, time(9, 30), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    booked = as_user(patient).post("/api/v1/appointments", {"clinician_id": profile.user_id, "start": start.isoformat()}).json()
    client = as_user(profile.user)

    response = client.post(f"/api/v1/clinicians/{profile.user_id}/exceptions", {"date": day.isoformat(), "reason": "conference"})

    assert response.status_code == 201
    assert response.json()["affected_appointment_ids"] == [booked["id"]]
    slots = client.get(f"/api/v1/clinicians/{profile.user_id}/slots", {"start": day.isoformat(), "end": day.isoformat(), "tz": "Europe/Berlin"}).json()
    assert slots["items"] == []
    assert client.get(f"/api/v1/clinicians/{profile.user_id}/availability").json()["exceptions"][0]["reason"] == "conference"
    exception_id = response.json()["id"]
    assert client.delete(f"/api/v1/clinicians/{profile.user_id}/exceptions/{exception_id}").status_code == 204
    assert client.delete(f"/api/v1/clinicians/{profile.user_id}/exceptions/{exception_id}").status_code == 404


def test_blocked_window_removes_only_those_slots(as_user):
    profile = make_clinician(time_zone="UTC", windows=[(d, time(9), time(11)) for d in range(7)])
    day = future_day(5)
    client = as_user(profile.user)
    assert client.post(f"/api/v1/clinicians/{profile.user_id}/exceptions", {"date": day.isoformat(), "start_time": "09:30", "end_time": "10:30"}).status_code == 201
    slots = client.get(f"/api/v1/clinicians/{profile.user_id}/slots", {"start": day.isoformat(), "end": day.isoformat(), "tz": "UTC"}).json()["items"]
    assert [datetime.fromisoformat(s["start"]).strftime("%H:%M") for s in slots] == ["09:00", "10:30"]


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2020-01-01"},
        {"date": "not-a-date"},
        {"date": "2099-01-01", "start_time": "10:00"},
        {"date": "2099-01-01", "start_time": "11:00", "end_time": "10:00"},
    ],
)
def test_bad_exceptions_are_422(as_user, body):
    profile = make_clinician()
    response = as_user(profile.user).post(f"/api/v1/clinicians/{profile.user_id}/exceptions", body)
    assert response.status_code == 422
    assert AvailabilityException.objects.count() == 0


def test_patient_cannot_see_exception_reasons(as_user):
    profile = make_clinician()
    assert as_user(UserFactory(role="patient")).get(f"/api/v1/clinicians/{profile.user_id}/availability").status_code == 403
