"""Demo accounts for the embedded default: one per role, passwords printed by seed_demo."""

from __future__ import annotations

from accounts.models import Role, User

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin@demo.skinscreen.local", "Ada Admin", Role.ADMIN, "Europe/London"),
    ("clinician@demo.skinscreen.local", "Dr. Clara Klein", Role.CLINICIAN, "Europe/Berlin"),
    ("clinician2@demo.skinscreen.local", "Dr. Omar Haddad", Role.CLINICIAN, "America/New_York"),
    ("patient@demo.skinscreen.local", "Pat Patient", Role.PATIENT, "Europe/Berlin"),
]


def seed() -> list[str]:
    """Create the demo users if missing; return lines to print."""
    lines = []
    for email, name, role, tz in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "role": role, "time_zone": tz, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        lines.append(f"  {role:<10} {email}  password: {DEMO_PASSWORD}")
    return lines
