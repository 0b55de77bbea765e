"""Fixtures for server tests: users of each role and an authenticated JSON client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.server.factories import UserFactory


class ApiClient:
    """A thin JSON client over Django's test client; `as_user` adds a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(path, data, content_type="application/json", headers=self._headers(headers))

    def post_multipart(self, path: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, data, headers=self._headers(headers))

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.put(path, data, content_type="application/json", headers=self._headers(headers))

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self._headers(headers))

    def delete(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.delete(path, data, content_type="application/json", headers=self._headers(headers))


def token_for(user: Any) -> str:
    from ninja_jwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user).access_token)


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def as_user():
    """`as_user(user)` -> ApiClient authenticated as that user."""

    def make(user: Any) -> ApiClient:
        return ApiClient(token_for(user))

    return make


@pytest.fixture
def patient(db: Any) -> Any:
    return UserFactory(role="patient")


@pytest.fixture
def clinician(db: Any) -> Any:
    return UserFactory(role="clinician", time_zone="Europe/Berlin")


@pytest.fixture
def admin_user(db: Any) -> Any:
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """`@pytest.mark.mariadb` tests (real concurrency) run only when the database is MariaDB/MySQL."""
    from django.db import connection

    if connection.vendor == "mysql":
        return
    skip = pytest.mark.skip(reason="concurrency test: runs in the MariaDB leg (DATABASE_URL=mysql://...)")
    for item in items:
        if "mariadb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _remove_test_media_root() -> Any:
    """The test settings put uploads in a fresh temporary folder; remove it when the session ends."""
    import shutil

    from django.conf import settings

    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
