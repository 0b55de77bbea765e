"""The demo admin (a superuser with a published password) exists only while the embedded server listens on loopback."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts import demo
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
    # the other demo users are still there
    assert User.objects.filter(email="patient@demo.skinscreen.local").exists()


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
