"""Demo accounts for the embedded default: one per role, passwords printed by seed_demo.

Their password is published (here and in the output), so it signs in only while the embedded server listens
on a loopback address. With HOST=0.0.0.0 (or any address others can reach) the demo admin (a superuser) is
not created and an existing one is disabled; the other demo users are still created, because the demo
clinics, slots and blog posts hang on them, but with no password that signs in (an existing one set to the
demo password loses it, and its sessions end), with a line saying so. Back on loopback they get the demo
password again. Outside the embedded default (EMBEDDED/DEBUG off) the demo admin is never created.
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
    without_password = []
    for email, name, role, tz in DEMO_USERS:
        if email == DEMO_ADMIN_EMAIL and refusal:
            lines.append(_without_demo_admin(refusal))
            continue
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "role": role, "time_zone": tz, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
        )
        if refusal:
            if created or user.check_password(DEMO_PASSWORD):
                services.user_clear_password(user=user)
            without_password.append(email)
            continue
        if created or not user.has_usable_password():  # new, or its published password was cleared beyond loopback
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        note = ""
        if email == DEMO_ADMIN_EMAIL:
            if not user.is_active:  # disabled while the server listened beyond loopback
                services.user_set_active(user=user, active=True)
            note = "  (exists only while the server listens on loopback)"
        lines.append(f"  {role:<10} {email}  password: {DEMO_PASSWORD}{note}")
    if without_password:
        lines.append(
            f"  !! the demo users {', '.join(without_password)} have no password that signs in: {refusal}, and the demo "
            "password is published. Set one with `manage.py changepassword <email>`; the demo password comes back on 127.0.0.1."
        )
    return lines
