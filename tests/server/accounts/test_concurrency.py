"""Concurrent refreshes of one token on the real MariaDB: exactly one wins; the reuse ends the session unless within the grace."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.server.factories import DEFAULT_PASSWORD, UserFactory


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("grace", [10, 0], ids=["within-grace", "no-grace"])
def test_twenty_concurrent_refreshes_of_one_token_exactly_one_succeeds(grace, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = grace
    UserFactory(email="race@example.org")
    pair = Client().post("/api/v1/auth/login", {"email": "race@example.org", "password": DEFAULT_PASSWORD}, content_type="application/json").json()
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    winners: list[dict[str, str]] = []
    lock = threading.Lock()

    def refresh() -> None:
        try:
            client = Client()
            barrier.wait()
            response = client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, content_type="application/json")
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 200:
                    winners.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == [200] + [401] * 19
    # and the session: kept when the reuses came within the grace (one client racing itself), ended without it
    expected = 200 if grace else 401
    assert Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {winners[0]['access']}"}).status_code == expected
    assert Client().post("/api/v1/auth/refresh", {"refresh": winners[0]["refresh"]}, content_type="application/json").status_code == expected
