"""Settings: declared once from the environment; EMAIL_URL really configures e-mail; nothing read that is
not declared; every variable documented in .env.example; apps and routers listed, none forgotten."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import environ
import pytest
from django.conf import settings

from config.settings.email import email_config

REPO = Path(__file__).resolve().parents[3]
SERVER = REPO / "server"


def _config(monkeypatch: Any, **variables: str) -> dict[str, Any]:
    for name in ("EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return email_config(environ.Env())


def test_email_url_with_starttls_configures_smtp(monkeypatch: Any) -> None:
    config = _config(monkeypatch, EMAIL_URL="smtp+tls://clinic%40example.org:s3cr%2Ft@mail.example.org:587")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("clinic@example.org", "s3cr/t")
    assert config["EMAIL_USE_TLS"] is True and config["EMAIL_USE_SSL"] is False


def test_email_url_with_implicit_tls_and_plain_smtp(monkeypatch: Any) -> None:
    ssl = _config(monkeypatch, EMAIL_URL="smtp+ssl://u:p@mail.example.org:465")
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"]) == (465, True, False)
    plain = _config(monkeypatch, EMAIL_URL="smtp://relay.internal:25")
    assert (plain["EMAIL_HOST"], plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"], plain["EMAIL_HOST_USER"]) == ("relay.internal", 25, False, "")


def test_smtp_pieces_configure_smtp_without_a_url(monkeypatch: Any) -> None:
    config = _config(monkeypatch, EMAIL_HOST="smtp.example.org", EMAIL_HOST_USER="clinic", EMAIL_HOST_PASSWORD="pw")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("smtp.example.org", 587, True)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("clinic", "pw")


def test_without_mail_configuration_mails_go_to_the_console(monkeypatch: Any) -> None:
    assert _config(monkeypatch)["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_a_broken_email_url_is_a_clear_configuration_error(monkeypatch: Any) -> None:
    with pytest.raises(environ.ImproperlyConfigured, match="schema"):
        _config(monkeypatch, EMAIL_URL="carrier-pigeon://loft")


def test_the_production_settings_module_builds_its_mail_connection_from_email_url(tmp_path: Path) -> None:
    # Given a server started with only EMAIL_URL for mail
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SECRET_KEY": "x" * 50,
        "VAR_DIR": str(tmp_path),
        "EMAIL_URL": "smtp+tls://clinic:pw@mail.example.org:2587",
    }
    probe = (
        "import django, json; django.setup(); from django.core.mail import get_connection; c = get_connection(); "
        "print(json.dumps([type(c).__module__, c.host, c.port, c.username, c.password, c.use_tls, c.use_ssl, c.timeout]))"
    )
    # When Django builds its mail connection
    out = subprocess.run([sys.executable, "-c", probe], cwd=SERVER, env=env, capture_output=True, text=True, timeout=120, check=True)
    # Then it is SMTP with STARTTLS to that server, with that login
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["django.core.mail.backends.smtp", "mail.example.org", 2587, "clinic", "pw", True, False, 10]


def _server_sources() -> list[Path]:
    return [p for p in SERVER.rglob("*.py") if "migrations" not in p.parts and "settings" not in p.parts]


def test_code_reads_settings_directly_and_only_declared_ones() -> None:
    read: set[str] = set()
    for path in _server_sources():
        text = path.read_text(encoding="utf-8")
        assert "getattr(settings" not in text, f"{path}: read settings.X directly (declared in config/settings/)"
        read |= set(re.findall(r"\bsettings\.([A-Z][A-Z0-9_]+)", text))
    unknown = sorted(name for name in read if not hasattr(settings, name))
    assert not unknown, f"settings read but never declared: {unknown}"


def test_every_environment_variable_is_documented_in_env_example() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    read: set[str] = set()
    for path in (SERVER / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r"\b(?:env|_env|source)\.(?:str|int|bool|float|list|db|cache)\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
    assert "EMAIL_URL" in read and "SCREENING_HIGH_RISK_MASS" in read
    missing = sorted(read - documented)
    assert not missing, f"variables read by config/settings but not in .env.example: {missing}"


def test_every_feature_app_is_installed_and_its_router_mounted(client: Any) -> None:
    apps = {p.parent.name for p in SERVER.glob("*/apps.py")}
    assert apps <= set(settings.INSTALLED_APPS), apps - set(settings.INSTALLED_APPS)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for prefix in ("/api/v1/auth/login", "/api/v1/appointments", "/api/v1/notifications/devices", "/api/v1/orders", "/api/v1/posts", "/api/v1/screenings", "/api/v1/models/latest"):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_the_high_risk_mass_is_a_real_setting_used_by_the_rule(settings: Any) -> None:
    from screening.services import risk_level

    probabilities = [0.15, 0.1, 0.0, 0.0, 0.05, 0.7, 0.0]  # nv on top, 30 % high-risk mass
    settings.SCREENING_HIGH_RISK_MASS = 0.35
    assert risk_level("nv", probabilities) == "low"
    settings.SCREENING_HIGH_RISK_MASS = 0.25
    assert risk_level("nv", probabilities) == "high"
