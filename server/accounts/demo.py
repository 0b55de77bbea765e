"""Demo accounts for the embedded default: one per role, passwords printed by seed_demo.

The demo admin (a superuser with a published password) exists only while the embedded server listens
on a loopback address: with HOST=0.0.0.0 (or any address others can reach) it is not created, and an
existing one is disabled, with a line saying so. Outside the embedded default (EMBEDDED/DEBUG off) it
is never created.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

from accounts import services
from accounts.models import Role, User

DEMO_PASSWORD = "demo-pass-2026"
DEMO_ADMIN_EMAIL = "admin@demo.skinscreen.local"
DEMO_USERS = [
    (DEMO_ADMIN_EMAIL, "Ada Admin", Role.ADMIN, "Europe/London"),
    ("clinician@demo.skinscreen.local", "Dr. Clara Klein", Role.CLINICIAN, "Europe/Berlin"),
    ("clinician2@demo.skinscreen.local", "Dr. Omar Haddad", Role.CLINICIAN, "America/New_York"),
    ("patient@demo.skinscreen.local", "Pat Patient", Role.PATIENT, "Europe/Berlin"),
]


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


def demo_admin_refusal() -> str | None:
    """Why the demo admin must not exist now, or None when it may (embedded default on loopback)."""
    if not (settings.EMBEDDED or settings.DEBUG):
        return "this is not the embedded default (EMBEDDED and DEBUG are off)"
    if not is_loopback(settings.EMBEDDED_HOST):
        return f"the server listens on HOST={settings.EMBEDDED_HOST}, not a loopback address"
    return None


def _without_demo_admin(refusal: str) -> str:
    admin = User.objects.filter(email=DEMO_ADMIN_EMAIL, is_active=True).first()
    if admin is not None:
        services.user_set_active(user=admin, active=False)  # its sessions end too
    done = "the existing demo admin was disabled" if admin is not None else "no demo admin was created"
    return (
        f"  !! {done}: {refusal}, and its password is published. "
        "Create your own admin with `manage.py createsuperuser`; it comes back on 127.0.0.1."
    )


def seed() -> list[str]:
    """Create the demo users if missing; return lines to print."""
    lines = []
    refusal = demo_admin_refusal()
    for email, name, role, tz in DEMO_USERS:
        if email == DEMO_ADMIN_EMAIL and refusal:
            lines.append(_without_demo_admin(refusal))
            continue
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "role": role, "time_zone": tz, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        note = ""
        if email == DEMO_ADMIN_EMAIL:
            if not user.is_active:  # disabled while the server listened beyond loopback
                services.user_set_active(user=user, active=True)
            note = "  (exists only while the server listens on loopback)"
        lines.append(f"  {role:<10} {email}  password: {DEMO_PASSWORD}{note}")
    return lines
