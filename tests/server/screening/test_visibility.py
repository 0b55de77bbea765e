"""When a clinician sees a patient's screenings through an appointment: while it is upcoming and within
SCREENING_CLINICIAN_ACCESS_DAYS after it ends; never through a cancelled one or without one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from screening.models import ScreeningAccessLog
from tests.server.factories import UserFactory
from tests.server.screening.factories import ScreeningFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(registry: Any, settings: Any) -> dict[str, Any]:
    settings.SCREENING_CLINICIAN_ACCESS_DAYS = 30
    patient = UserFactory(role="patient")
    return {
        "patient": patient,
        "clinician": UserFactory(role="clinician"),
        "screening": ScreeningFactory(owner=patient, model_version=registry["a"]),
    }


def _appointment(world: dict[str, Any], *, starts_in: dt.timedelta, status: str = AppointmentStatus.BOOKED, clinician: Any = None) -> Appointment:
    start = timezone.now() + starts_in
    return Appointment.objects.create(
        clinician=clinician or world["clinician"],
        patient=world["patient"],
        start=start,
        end=start + dt.timedelta(minutes=30),
        time_zone="UTC",
        status=status,
    )


def _sees(world: dict[str, Any], as_user: Any, clinician: Any = None) -> bool:
    client = as_user(clinician or world["clinician"])
    screening_id = str(world["screening"].pk)
    detail = client.get(f"/api/v1/screenings/{screening_id}").status_code
    listed = screening_id in {item["id"] for item in client.get("/api/v1/screenings").json()["items"]}
    assert (detail == 200) == listed, "the detail and the list must agree"
    assert detail in (200, 404)
    return detail == 200


def test_an_upcoming_appointment_gives_access(world: dict[str, Any], as_user: Any) -> None:
    _appointment(world, starts_in=dt.timedelta(days=3))
    assert _sees(world, as_user)
    assert ScreeningAccessLog.objects.filter(actor_id=world["clinician"].pk, reason="appointment", outcome="granted").exists()


def test_access_lasts_the_window_after_the_visit(world: dict[str, Any], as_user: Any) -> None:
    # A visit that was held 29 days ago: still within the 30-day window
    _appointment(world, starts_in=-dt.timedelta(days=29), status=AppointmentStatus.DONE)
    assert _sees(world, as_user)


def test_access_ends_after_the_window(world: dict[str, Any], as_user: Any) -> None:
    _appointment(world, starts_in=-dt.timedelta(days=31), status=AppointmentStatus.DONE)
    assert not _sees(world, as_user)
    assert ScreeningAccessLog.objects.filter(actor_id=world["clinician"].pk, outcome="denied").exists()


def test_the_window_is_a_setting(world: dict[str, Any], as_user: Any, settings: Any) -> None:
    _appointment(world, starts_in=-dt.timedelta(days=10), status=AppointmentStatus.DONE)
    assert _sees(world, as_user)
    settings.SCREENING_CLINICIAN_ACCESS_DAYS = 7
    assert not _sees(world, as_user)


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_a_cancelled_or_missed_appointment_gives_no_access(world: dict[str, Any], as_user: Any, status: str) -> None:
    _appointment(world, starts_in=dt.timedelta(days=3) if status == AppointmentStatus.CANCELLED else -dt.timedelta(days=1), status=status)
    assert not _sees(world, as_user)


def test_an_unrelated_clinician_sees_nothing(world: dict[str, Any], as_user: Any) -> None:
    _appointment(world, starts_in=dt.timedelta(days=3))
    other = UserFactory(role="clinician")
    assert not _sees(world, as_user, clinician=other)
    # and another patient's appointment with our clinician does not open this patient's screenings
    Appointment.objects.all().delete()
    stranger = UserFactory(role="patient")
    start = timezone.now() + dt.timedelta(days=2)
    Appointment.objects.create(clinician=world["clinician"], patient=stranger, start=start, end=start + dt.timedelta(minutes=30), time_zone="UTC")
    assert not _sees(world, as_user)
