"""Per-account login lockout (django-axes over the shared cache) on the API login and the admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from tests.server.factories import DEFAULT_PASSWORD, UserFactory

SERVER_DIR = Path(__file__).resolve().parents[3] / "server"
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, email: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", {"email": email, "password": password}, content_type="application/json")


@pytest.mark.django_db
def test_api_login_locks_the_account_after_repeated_failures_even_for_the_right_password():
    # given an account and 25 wrong passwords from one client
    UserFactory(email="locked@example.org")
    client = Client()
    statuses = [_login(client, "locked@example.org", "wrong-password-123").status_code for _ in range(25)]

    # when the right password is tried
    response = _login(client, "Locked@Example.org ", DEFAULT_PASSWORD)

    # then the failures up to the limit were 401s, the rest and the right password a JSON 429 with Retry-After
    assert statuses == [401] * 9 + [429] * 16
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "login_locked"
    assert "Try again in" in body["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])
    assert response["Content-Type"].startswith("application/json")
    # and another account is not affected
    UserFactory(email="other@example.org")
    assert _login(client, "other@example.org", DEFAULT_PASSWORD).status_code == 200


@pytest.mark.django_db
def test_admin_login_locks_the_account_after_repeated_failures_even_for_the_right_password():
    # given a superuser and 25 wrong passwords on /admin/login/
    UserFactory(email="boss@example.org", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(25):
        client.post("/admin/login/?next=/admin/", {"username": "boss@example.org", "password": "wrong-password-123"})

    # when the right password is tried
    response = client.post("/admin/login/?next=/admin/", {"username": "boss@example.org", "password": DEFAULT_PASSWORD})

    # then it is refused with 429 and Retry-After, and the admin is not signed in
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # back to the login page


@pytest.mark.django_db
def test_admin_login_works_with_the_right_password_when_not_locked():
    # given a superuser without failures, when the right password is posted, then the admin is signed in
    UserFactory(email="boss2@example.org", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "boss2@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=1, LOGIN_LOCKOUT_MAX_SECONDS=60)
def test_the_lock_expires_and_the_next_lock_lasts_longer():
    UserFactory(email="backoff@example.org")
    client = Client()

    # given a first lock (1 s)
    first = [_login(client, "backoff@example.org", "wrong-password-123") for _ in range(3)]
    assert [r.status_code for r in first] == [401, 401, 429]
    assert first[-1]["Retry-After"] == "1"
    assert _login(client, "backoff@example.org", DEFAULT_PASSWORD).status_code == 429

    # when it has expired, then the right password works again
    time.sleep(1.2)
    assert _login(client, "backoff@example.org", DEFAULT_PASSWORD).status_code == 200

    # given a second lock, then it lasts twice as long
    second = [_login(client, "backoff@example.org", "wrong-password-123") for _ in range(3)]
    assert [r.status_code for r in second] == [401, 401, 429]
    assert second[-1]["Retry-After"] == "2"
    time.sleep(1.2)
    still = _login(client, "backoff@example.org", DEFAULT_PASSWORD)
    assert still.status_code == 429
    assert still["Retry-After"] == "1"
    time.sleep(1.0)
    assert _login(client, "backoff@example.org", DEFAULT_PASSWORD).status_code == 200


_CHILD = """
import json, sys
import django
django.setup()
from django.test import Client
email, password, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = Client()
print(json.dumps([client.post("/api/v1/auth/login", {"email": email, "password": password}, content_type="application/json").status_code for _ in range(times)]))
"""


def _in_another_process(cache_url: str, email: str, password: str, times: int) -> list[int]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}",
        "CACHE_URL": cache_url,
    }
    done = subprocess.run([sys.executable, "-c", _CHILD, email, password, str(times)], cwd=SERVER_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_url", [REDIS_TEST_URL, "dbcache://skinscreen_cache"], ids=["redis", "database"])
def test_the_lockout_is_shared_by_processes_through_the_cache(cache_url):
    import redis

    if cache_url.startswith("redis"):
        redis.Redis.from_url(cache_url).flushdb()
    elif cache_url.startswith("dbcache"):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM skinscreen_cache")
    UserFactory(email="shared@example.org")

    # given 6 failures in one process and 4 in another (10 = the limit)
    first = _in_another_process(cache_url, "shared@example.org", "wrong-password-123", 6)
    second = _in_another_process(cache_url, "shared@example.org", "wrong-password-123", 4)

    # when a third process tries the right password
    third = _in_another_process(cache_url, "shared@example.org", DEFAULT_PASSWORD, 1)

    # then the second process saw the limit reached and the third is refused
    assert first == [401] * 6
    assert second == [401, 401, 401, 429]
    assert third == [429]
