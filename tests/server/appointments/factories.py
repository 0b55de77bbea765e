"""Factories for appointment tests: clinicians with a profile and weekly availability."""

from __future__ import annotations

from datetime import time

from appointments import services
from appointments.models import ClinicianProfile
from tests.server.factories import UserFactory

ALL_WEEK = list(range(7))


def make_clinician(
    *, time_zone: str = "Europe/Berlin", windows: list[tuple[int, time, time]] | None = None, slot_minutes: int = 30, **user_fields
) -> ClinicianProfile:
    """A bookable clinician; by default available every day 09:00-17:00 in their zone."""
    user = UserFactory(role="clinician", time_zone=time_zone, **user_fields)
    profile = services.clinician_profile_upsert(user=user, speciality="Dermatology", clinic="Test clinic", time_zone=time_zone, slot_minutes=slot_minutes)
    services.availability_set_weekly(profile=profile, windows=windows if windows is not None else [(d, time(9), time(17)) for d in ALL_WEEK])
    return profile
