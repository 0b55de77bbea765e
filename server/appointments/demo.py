"""Demo clinician profiles and weekly availability for the demo clinicians (idempotent)."""

from __future__ import annotations

from datetime import time

from accounts.models import User
from appointments import services
from appointments.models import ClinicianProfile

DEMO_CLINICIANS = [
    ("clinician@demo.skinscreen.local", "Dermatology", "Hautklinik Mitte (demo)", "Europe/Berlin"),
    ("clinician2@demo.skinscreen.local", "Dermatology", "Harbor Skin Clinic (demo)", "America/New_York"),
]
# Monday-Friday 09:00-12:00 and 13:00-17:00 local time; Saturday morning for the first clinician.
WEEKDAY_WINDOWS = [(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(17)) for d in range(5)]


def seed() -> list[str]:
    lines = []
    for email, speciality, clinic, tz in DEMO_CLINICIANS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        existed = ClinicianProfile.objects.filter(user=user).exists()
        profile = services.clinician_profile_upsert(user=user, speciality=speciality, clinic=clinic, time_zone=tz, slot_minutes=30)
        if not existed or not profile.availability.exists():
            windows = list(WEEKDAY_WINDOWS)
            if email.startswith("clinician@"):
                windows.append((5, time(9), time(12)))
            services.availability_set_weekly(profile=profile, windows=windows)
        lines.append(f"  clinician  {email}: {clinic}, {tz}, 30-minute slots")
    return lines
