"""Two accounts registering one push token at the same moment on the real MariaDB: one gets it, one a 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from notifications.models import Device
from tests.server.factories import DEFAULT_PASSWORD, UserFactory


def _access(email: str) -> str:
    UserFactory(email=email)
    response = Client().post("/api/v1/auth/login", {"email": email, "password": DEFAULT_PASSWORD}, content_type="application/json")
    return response.json()["access"]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_accounts_registering_one_token_at_once_one_wins_the_other_gets_409():
    accounts = {"a@example.org": _access("a@example.org"), "b@example.org": _access("b@example.org")}
    for round_ in range(8):
        token = f"ExponentPushToken[race{round_:02d}abcdefghijklmnop]"
        barrier = threading.Barrier(2)
        results: dict[str, tuple[int, str]] = {}
        lock = threading.Lock()

        def register(email: str, access: str, token: str = token, barrier: threading.Barrier = barrier, results: dict = results) -> None:
            try:
                client = Client()
                barrier.wait()
                response = client.post(
                    "/api/v1/notifications/devices",
                    {"token": token, "platform": "android"},
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {access}"},
                )
                with lock:
                    results[email] = (response.status_code, response.json().get("code", ""))
            finally:
                connection.close()

        threads = [threading.Thread(target=register, args=(email, access)) for email, access in accounts.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        # exactly one 201 and one 409 push_token_in_use, and the row belongs to the winner
        assert sorted(results.values()) == [(201, ""), (409, "push_token_in_use")], results
        winner = next(email for email, (status, _) in results.items() if status == 201)
        assert list(Device.objects.filter(token=token).values_list("user__email", flat=True)) == [winner]
