"""The signed manifest carries its freshness (version, issued_at, expires_at) so a phone can refuse a replay;
download URLs are https behind a TLS proxy configured with SECURE_PROXY_SSL_HEADER."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from screening import services, signing
from tests.server.screening.conftest import VERSION_A, VERSION_B


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _public_key(api: Any) -> str:
    return str(api.get("/api/v1/models/public-key").json()["public_key"])


def test_the_signature_covers_version_issue_time_and_expiry(registry: Any, api: Any, settings: Any) -> None:
    # Given manifests accepted for one hour
    settings.MODEL_MANIFEST_TTL_SECONDS = 3600
    before = datetime.now().astimezone()
    # When a phone fetches the active manifest
    body = api.get("/api/v1/models/latest").json()
    after = datetime.now().astimezone()
    # Then the signed text holds the bundle manifest plus its delivery freshness
    signed = json.loads(body["signed_payload"])
    delivery = signed.pop("delivery")
    assert signed == body["manifest"] == registry["a"].manifest
    assert delivery["version"] == VERSION_A == signed["version"]
    issued, expires = _when(delivery["issued_at"]), _when(delivery["expires_at"])
    assert before - timedelta(milliseconds=1) <= issued <= after
    assert expires - issued == timedelta(hours=1)
    assert (body["issued_at"], body["expires_at"]) == (delivery["issued_at"], delivery["expires_at"])
    assert signing.verify(_public_key(api), body["signed_payload"].encode(), body["signature"])
    # And moving the expiry (or the issue time) breaks the signature
    for field, forged in (("expires_at", "2099-01-01T00:00:00.000Z"), ("issued_at", "2099-01-01T00:00:00.000Z")):
        tampered = body["signed_payload"].replace(delivery[field], forged)
        assert tampered != body["signed_payload"]
        assert not signing.verify(_public_key(api), tampered.encode(), body["signature"])


def test_a_deliberate_rollback_is_issued_after_the_manifest_it_replaces(registry: Any, api: Any) -> None:
    # Given the phone installed B from a manifest issued while B was active
    services.model_version_activate(model_version=registry["b"])
    newer = json.loads(api.get("/api/v1/models/latest").json()["signed_payload"])
    # When the server rolls back to A on purpose
    services.model_version_activate(model_version=registry["a"])
    rolled_back = json.loads(api.get("/api/v1/models/latest").json()["signed_payload"])
    # Then A's manifest is issued later than B's (the phone accepts it), while a replay of a manifest
    # captured before B existed stays older than B's (the phone refuses it)
    assert newer["delivery"]["version"] == VERSION_B and rolled_back["delivery"]["version"] == VERSION_A
    assert _when(rolled_back["delivery"]["issued_at"]) > _when(newer["delivery"]["issued_at"])


def test_download_urls_are_https_behind_a_tls_proxy(registry: Any, api: Any, settings: Any) -> None:
    # Given a server behind a TLS proxy that sets X-Forwarded-Proto
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # When a phone fetches the manifest through it (the proxy passes the Host on)
    body = api.get("/api/v1/models/latest", headers={"X-Forwarded-Proto": "https", "Host": "testserver"}).json()
    # Then every URL in it is https (a phone refusing http, or a mixed-content web app, can download)
    urls = [f["url"] for f in body["files"]] + [body["public_key_url"]]
    assert urls and all(u.startswith("https://testserver/api/v1/models/") for u in urls), urls


def test_the_forwarded_header_is_ignored_without_the_setting(registry: Any, api: Any, settings: Any) -> None:
    # Given no proxy configured, a client's own X-Forwarded-Proto is not trusted
    settings.SECURE_PROXY_SSL_HEADER = None
    body = api.get("/api/v1/models/latest", headers={"X-Forwarded-Proto": "https", "Host": "testserver"}).json()
    assert all(f["url"].startswith("http://testserver/") for f in body["files"])
