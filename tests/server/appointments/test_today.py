"""A clinician's appointments today (their own zone, patient names), and marking a visit done or no-show again."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from appointments.models import Appointment
from tests.server.appointments.factories import make_clinician
from tests.server.factories import UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _at(day: Any, hour: int, minute: int, **kw: Any) -> Appointment:
    start = datetime.combine(day, time(hour, minute), tzinfo=BERLIN)
    return Appointment.objects.create(start=start, end=start + timedelta(minutes=30), time_zone="Europe/Berlin", **kw)


def test_todays_appointments_are_the_clinicians_own_local_day_with_patient_names(db: Any, as_user: Any) -> None:
    # Given a clinician in Berlin with appointments just inside and just outside their local today
    clinician = make_clinician(time_zone="Europe/Berlin").user
    other_clinician = make_clinician(time_zone="Europe/Berlin").user
    ada = UserFactory(role="patient", full_name="Ada Patient")
    bob = UserFactory(role="patient", full_name="Bob Patient")
    today = timezone.now().astimezone(BERLIN).date()
    late = _at(today, 23, 25, clinician=clinician, patient=bob)
    early = _at(today, 0, 5, clinician=clinician, patient=ada)
    _at(today, 9, 0, clinician=clinician, patient=ada, status="cancelled")
    _at(today - timedelta(days=1), 23, 25, clinician=clinician, patient=ada)
    _at(today + timedelta(days=1), 0, 5, clinician=clinician, patient=bob)
    _at(today, 10, 0, clinician=other_clinician, patient=bob)
    # When the clinician asks for today
    response = as_user(clinician).get("/api/v1/appointments/today")
    # Then they get their own, not cancelled, in start order, with the patients' names
    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [early.pk, late.pk]
    assert [a["patient"]["full_name"] for a in body] == ["Ada Patient", "Bob Patient"]
    # And patients are refused
    assert as_user(ada).get("/api/v1/appointments/today").status_code == 403


def test_marking_a_visit_again_is_harmless_and_an_unrelated_clinician_cannot(db: Any, as_user: Any) -> None:
    # Given an appointment that started 40 minutes ago
    clinician = make_clinician(time_zone="Europe/Berlin").user
    patient = UserFactory(role="patient")
    start = timezone.now() - timedelta(minutes=40)
    appointment = Appointment.objects.create(clinician=clinician, patient=patient, start=start, end=start + timedelta(minutes=30), time_zone="UTC")
    url = f"/api/v1/appointments/{appointment.pk}/status"
    # When its clinician marks it done twice (a retried request)
    first = as_user(clinician).post(url, {"status": "done"})
    second = as_user(clinician).post(url, {"status": "done"})
    # Then both answer done
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "done"
    # And another clinician does not even see it (404), nothing changes
    stranger = UserFactory(role="clinician")
    response = as_user(stranger).post(url, {"status": "no_show"})
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "done"
