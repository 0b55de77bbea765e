"""Production settings: `check --deploy` is clean, https is enforced, static files go out compressed and
cached, CSP and CORS headers are set, and media switch to object storage on one variable.

Each test starts Django in a subprocess with production variables (DEBUG and EMBEDDED off), as the
image does; the test settings module is never involved.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings.storage import storages_config

REPO = Path(__file__).resolve().parents[3]
SERVER = REPO / "server"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "SECURE_", "AWS_", "CORS_", "CONTENT_SECURITY"))}
    for name in ("DEBUG", "EMBEDDED", "CACHE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SIGNING_KEY", "STATIC_ROOT", "VAR_DIR"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="screening.example.org",
        CSRF_TRUSTED_ORIGINS="https://screening.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CORS_ALLOWED_ORIGINS="https://app.example.org",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=SERVER, env=env, capture_output=True, text=True, timeout=300)


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    # Given the variables of a production deployment (.env.example's security section)
    env = production_env(tmp_path)
    # When Django's deployment checklist runs, warnings counting as failures
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    # Then nothing is reported
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_malformed_proxy_header_refuses_to_start(tmp_path):
    result = manage(production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"), "check")
    assert result.returncode != 0 and "SECURE_PROXY_SSL_HEADER must be" in result.stderr


PROBE = r"""
import json, django
django.setup()
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
c = Client()
css = "/static/" + staticfiles_storage.stored_name("admin/css/base.css")
out = {}
def record(name, r, body=True):
    out[name] = {"status": r.status_code, "headers": {k.lower(): v for k, v in r.headers.items()},
                 "length": len(b"".join(r.streaming_content) if r.streaming else r.content) if body else None}
record("http_page", c.get("/api/v1/clinic", HTTP_HOST="screening.example.org"))
record("http_health", c.get("/healthz", HTTP_HOST="screening.example.org"))
proxied = {"HTTP_HOST": "screening.example.org", "HTTP_X_FORWARDED_PROTO": "https"}
record("css_br", c.get(css, HTTP_ACCEPT_ENCODING="gzip, deflate, br", **proxied))
record("css_plain", c.get(css, **proxied))
record("api", c.get("/api/v1/clinic", **proxied))
record("cors_allowed", c.options("/api/v1/products", HTTP_ORIGIN="https://app.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **proxied))
record("cors_other", c.options("/api/v1/products", HTTP_ORIGIN="https://evil.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **proxied))
out["css"] = css
print("PROBE" + json.dumps(out))
"""


@pytest.mark.slow
def test_production_serves_https_only_compressed_static_and_security_headers(tmp_path):
    # Given a production deployment whose static files were collected (hashed names, .gz/.br copies)
    env = production_env(tmp_path)
    collected = manage(env, "collectstatic", "--noinput", "-v", "0")
    assert collected.returncode == 0, collected.stderr
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css.br"))
    # When plain http, https through the proxy, and cross-origin preflights arrive
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=SERVER, env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    out = json.loads(probe.stdout.split("PROBE", 1)[1])
    # Then plain http is redirected to https, except the health probe of the load balancer
    assert out["http_page"]["status"] == 301 and out["http_page"]["headers"]["location"].startswith("https://")
    assert out["http_health"]["status"] == 200
    # and the hashed stylesheet goes out brotli-compressed, much smaller, cached for a year as immutable
    css_br, css_plain = out["css_br"], out["css_plain"]
    assert css_br["status"] == 200 and css_br["headers"]["content-encoding"] == "br"
    assert css_br["length"] < css_plain["length"] / 2 and "content-encoding" not in css_plain["headers"]
    max_age = int(css_br["headers"]["cache-control"].split("max-age=")[1].split(",")[0])
    assert max_age >= 365 * 24 * 3600 and "immutable" in css_br["headers"]["cache-control"]
    # and API answers carry HSTS and a CSP that lets the web app's WebAssembly run but nothing foreign
    api = out["api"]["headers"]
    assert api["strict-transport-security"].startswith("max-age=31536000")
    csp = api["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # and CORS answers the configured origin only
    assert out["cors_allowed"]["headers"].get("access-control-allow-origin") == "https://app.example.org"
    assert "access-control-allow-origin" not in out["cors_other"]["headers"]


def test_media_go_to_object_storage_when_a_bucket_is_configured(tmp_path):
    # Given no bucket: the file system
    env = production_env(tmp_path)
    assert storages_config(_Env({}), production=True)["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    # When a bucket (and an S3-compatible endpoint) is configured
    configured = storages_config(
        _Env({"AWS_STORAGE_BUCKET_NAME": "clinic-media", "AWS_S3_ENDPOINT_URL": "https://s3.example.org", "AWS_S3_REGION_NAME": "eu-central-1"}),
        production=True,
    )
    # Then uploads go to that private bucket with signed URLs
    assert configured["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = configured["default"]["OPTIONS"]
    assert options["bucket_name"] == "clinic-media" and options["endpoint_url"] == "https://s3.example.org"
    assert options["querystring_auth"] is True and options["default_acl"] is None and options["file_overwrite"] is False
    # and the settings module Django loads picks it from the environment
    env.update(AWS_STORAGE_BUCKET_NAME="clinic-media", AWS_S3_ENDPOINT_URL="https://s3.example.org", AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s")
    code = "import django; django.setup(); from django.core.files.storage import storages; d = storages['default']; print(type(d).__module__, type(d).__name__, d.bucket_name)"
    shown = subprocess.run([sys.executable, "-c", code], cwd=SERVER, env=env, capture_output=True, text=True, timeout=120)
    assert shown.stdout.split() == ["storages.backends.s3", "S3Storage", "clinic-media"], shown.stderr[-2000:]


class _Env:
    """The slice of environ.Env that storages_config reads, over a plain dict."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def str(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def int(self, name: str, default: int = 0) -> int:
        return int(self.values.get(name, default))
