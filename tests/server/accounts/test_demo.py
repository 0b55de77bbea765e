"""Demo accounts have a published password: it signs in only while the embedded server listens on loopback (the demo admin exists only then)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts import demo, services
from accounts.models import User
from tests.server.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _admin() -> User | None:
    return User.objects.filter(email=demo.DEMO_ADMIN_EMAIL).first()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_on_loopback_the_demo_admin_is_created_and_its_password_printed(host):
    with override_settings(EMBEDDED=True, EMBEDDED_HOST=host):
        lines = demo.seed()
    admin = _admin()
    assert admin is not None and admin.is_active and admin.is_superuser
    assert any(demo.DEMO_ADMIN_EMAIL in line and "exists only while the server listens on loopback" in line for line in lines)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "screening.example.org"])
def test_beyond_loopback_no_demo_admin_is_created_and_a_line_says_why(host):
    # given the embedded server about to listen on an address others can reach
    with override_settings(EMBEDDED=True, EMBEDDED_HOST=host):
        # when the demo data is seeded
        lines = demo.seed()

    # then there is no demo admin, no line prints its password, and one line says why
    assert _admin() is None
    assert not any(demo.DEMO_ADMIN_EMAIL in line for line in lines)
    assert any(line.strip().startswith("!! no demo admin was created") and f"HOST={host}" in line for line in lines)
    # the other demo users are still there (the demo clinics hang on them) but their published password does not sign in
    patient = User.objects.get(email="patient@demo.skinscreen.local")
    assert not patient.has_usable_password() and not patient.check_password(demo.DEMO_PASSWORD)
    assert not any("password: " + demo.DEMO_PASSWORD in line for line in lines)
    assert any(line.strip().startswith("!! the demo users") and "patient@demo.skinscreen.local" in line and f"HOST={host}" in line for line in lines)


def test_an_existing_demo_admin_is_disabled_when_the_server_listens_beyond_loopback_and_comes_back_on_loopback(api):
    # given a demo admin created on loopback, signed in through the API
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="127.0.0.1"):
        demo.seed()
    pair = api.post("/api/v1/auth/login", {"email": demo.DEMO_ADMIN_EMAIL, "password": demo.DEMO_PASSWORD}).json()

    # when the server is started on 0.0.0.0
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="0.0.0.0"):
        lines = demo.seed()

    # then the demo admin is disabled, its session ends and its published password no longer signs in
    assert not _admin().is_active  # type: ignore[union-attr]
    assert any("the existing demo admin was disabled" in line and "HOST=0.0.0.0" in line for line in lines)
    assert ApiClient(pair["access"]).get("/api/v1/auth/me").status_code == 401
    assert api.post("/api/v1/auth/login", {"email": demo.DEMO_ADMIN_EMAIL, "password": demo.DEMO_PASSWORD}).status_code == 401

    # and back on loopback it is there again
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="127.0.0.1"):
        demo.seed()
    assert _admin().is_active  # type: ignore[union-attr]


def test_outside_the_embedded_default_the_demo_admin_is_never_created():
    with override_settings(EMBEDDED=False, DEBUG=False, EMBEDDED_HOST="127.0.0.1"):
        lines = demo.seed()
    assert _admin() is None
    assert any("not the embedded default" in line for line in lines)


def test_the_seed_command_prints_the_refusal():
    out = StringIO()
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="0.0.0.0"):
        call_command("seed_demo", stdout=out)
    assert "!! no demo admin was created: the server listens on HOST=0.0.0.0" in out.getvalue()
    assert _admin() is None


def test_a_demo_clinician_signed_in_on_loopback_is_signed_out_beyond_it_and_gets_the_demo_password_back(api):
    email = "clinician@demo.skinscreen.local"
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="127.0.0.1"):
        demo.seed()
    pair = api.post("/api/v1/auth/login", {"email": email, "password": demo.DEMO_PASSWORD}).json()
    # when the server is started on 0.0.0.0
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="0.0.0.0"):
        demo.seed()
    # then the published password no longer signs in and the session in hand has ended; the account stays active
    assert api.post("/api/v1/auth/login", {"email": email, "password": demo.DEMO_PASSWORD}).status_code == 401
    assert ApiClient(pair["access"]).get("/api/v1/auth/me").status_code == 401
    assert User.objects.get(email=email).is_active
    # and a password its owner set is kept: seeding again beyond loopback, or back on loopback, does not touch it
    user = User.objects.get(email=email)
    user.set_password("Their-own-pass-77")
    user.save(update_fields=["password"])
    for host in ("0.0.0.0", "127.0.0.1"):
        with override_settings(EMBEDDED=True, EMBEDDED_HOST=host):
            demo.seed()
        assert User.objects.get(email=email).check_password("Their-own-pass-77")
    # a cleared one gets the demo password back on loopback
    services.user_clear_password(user=User.objects.get(email=email))
    with override_settings(EMBEDDED=True, EMBEDDED_HOST="127.0.0.1"):
        demo.seed()
    assert api.post("/api/v1/auth/login", {"email": email, "password": demo.DEMO_PASSWORD}).status_code == 200
