"""Sessions end when they should: logout, password change and refresh-token reuse stop access tokens at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts.models import RevokedSession
from tests.server.conftest import ApiClient
from tests.server.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-good-pass-42"


def login(api: ApiClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    response = api.post("/api/v1/auth/login", {"email": email, "password": password})
    assert response.status_code == 200
    return response.json()


def me(access: str) -> int:
    return ApiClient(access).get("/api/v1/auth/me").status_code


def refresh(api: ApiClient, token: str):
    return api.post("/api/v1/auth/refresh", {"refresh": token})


def test_logout_ends_this_sessions_access_token_and_no_other_session(api):
    # given one account signed in on two devices
    UserFactory(email="pat@example.org")
    phone = login(api, "pat@example.org")
    laptop = login(api, "pat@example.org")
    assert me(phone["access"]) == 200

    # when the phone signs out
    assert ApiClient(phone["access"]).post("/api/v1/auth/logout", {"refresh": phone["refresh"]}).status_code == 204

    # then the phone's access token (15 minutes of life left) is refused at once, the laptop goes on
    assert me(phone["access"]) == 401
    assert refresh(api, phone["refresh"]).status_code == 401
    assert me(laptop["access"]) == 200
    assert refresh(api, laptop["refresh"]).status_code == 200


def test_logout_also_ends_the_access_tokens_of_later_rotations_of_that_session(api):
    # given a session that was refreshed (the access token in hand comes from the rotated pair)
    UserFactory(email="pat@example.org")
    first = login(api, "pat@example.org")
    rotated = refresh(api, first["refresh"]).json()

    # when it signs out with its current refresh token
    ApiClient(rotated["access"]).post("/api/v1/auth/logout", {"refresh": rotated["refresh"]})

    # then no access token of the session works any more, old or new
    assert me(first["access"]) == 401
    assert me(rotated["access"]) == 401


def test_password_change_ends_every_access_token_and_the_new_pair_works(api, as_user):
    # given two sessions and a token from before sessions had ids
    user = UserFactory(email="pat@example.org")
    other_device = login(api, "pat@example.org")
    this_device = login(api, "pat@example.org")
    legacy = as_user(user)  # conftest's token: no `sid` claim

    # when the password is changed on this device
    response = ApiClient(this_device["access"]).post(
        "/api/v1/auth/change-password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200

    # then every access token issued before is refused at once; the pair it returned works
    assert me(other_device["access"]) == 401
    assert me(this_device["access"]) == 401
    assert legacy.get("/api/v1/auth/me").status_code == 401
    assert me(response.json()["access"]) == 200
    assert refresh(api, response.json()["refresh"]).status_code == 200


def _rotated_seconds_ago(refresh_token: str, seconds: int) -> None:
    BlacklistedToken.objects.filter(token__jti=RefreshToken(refresh_token, verify=False)["jti"]).update(
        blacklisted_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_reusing_a_rotated_refresh_token_revokes_its_whole_session(api):
    # given a session rotated a minute ago (an attacker holds the old refresh token) and a second session
    UserFactory(email="pat@example.org")
    first = login(api, "pat@example.org")
    other = login(api, "pat@example.org")
    rotated = refresh(api, first["refresh"]).json()
    assert me(rotated["access"]) == 200
    _rotated_seconds_ago(first["refresh"], 60)

    # when the old refresh token is presented again
    reused = refresh(api, first["refresh"])

    # then it is refused and the whole chain it came from ends: the rotated pair too
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_reused"
    assert me(rotated["access"]) == 401
    assert refresh(api, rotated["refresh"]).status_code == 401
    assert RevokedSession.objects.filter(sid=AccessToken(rotated["access"])["sid"], reason="reused").exists()
    # and the account's other session is not touched
    assert me(other["access"]) == 200
    assert refresh(api, other["refresh"]).status_code == 200


@override_settings(REFRESH_REUSE_GRACE_SECONDS=10)
def test_a_second_refresh_within_seconds_is_refused_without_ending_the_session(api):
    # given a token just rotated by one tab, when another tab sharing it refreshes with it a moment later
    UserFactory(email="pat@example.org")
    first = login(api, "pat@example.org")
    rotated = refresh(api, first["refresh"]).json()
    second = refresh(api, first["refresh"])

    # then that refresh is refused, and the session (the pair the first tab got) goes on
    assert second.status_code == 401
    assert second.json()["code"] == "token_reused"
    assert me(rotated["access"]) == 200
    assert refresh(api, rotated["refresh"]).status_code == 200

    # but once the grace has passed, a reuse ends the session
    _rotated_seconds_ago(first["refresh"], 11)
    refresh(api, first["refresh"])
    assert me(rotated["access"]) == 401


def test_replaying_a_refresh_token_of_an_ended_session_ends_nothing_else(api):
    # given a session that signed out and a live one
    UserFactory(email="pat@example.org")
    old = login(api, "pat@example.org")
    ApiClient(old["access"]).post("/api/v1/auth/logout", {"refresh": old["refresh"]})
    live = login(api, "pat@example.org")

    # when the old session's refresh token is replayed
    assert refresh(api, old["refresh"]).status_code == 401

    # then the live session goes on
    assert me(live["access"]) == 200


def test_the_session_check_is_the_one_query_that_loads_the_user(api, django_assert_num_queries):
    # given a signed-in session, when an authenticated route that only reads the user is called,
    # then one query authenticates it (user, generation and revocation together)
    UserFactory(email="pat@example.org")
    pair = login(api, "pat@example.org")
    client = ApiClient(pair["access"])
    with django_assert_num_queries(1):
        assert client.get("/api/v1/auth/me").status_code == 200


def test_ended_sessions_and_expired_tokens_are_forgotten_once_no_token_can_use_them(api):
    from accounts.services import sessions_purge_expired
    from accounts.tasks import purge_expired_sessions

    # given two signed-out sessions, one ended longer ago than a refresh token lives, and a live one
    UserFactory(email="pat@example.org")
    old, recent, live = (login(api, "pat@example.org") for _ in range(3))
    old_token = RefreshToken(old["refresh"])
    old_sid, old_jti, recent_sid = old_token["sid"], old_token["jti"], RefreshToken(recent["refresh"])["sid"]
    for pair in (old, recent):
        assert ApiClient(pair["access"]).post("/api/v1/auth/logout", {"refresh": pair["refresh"]}).status_code == 204
    RevokedSession.objects.filter(sid=old_sid).update(revoked_at=timezone.now() - timedelta(days=16))
    OutstandingToken.objects.filter(jti=old_jti).update(expires_at=timezone.now() - timedelta(days=2))

    # when the daily purge runs
    purged = sessions_purge_expired()

    # then only the old session and its expired token are gone; the recent revocation still holds, the live session goes on
    assert purged == {"revoked_sessions": 1, "expired_tokens": 1}
    assert set(RevokedSession.objects.values_list("sid", flat=True)) == {recent_sid}
    assert me(recent["access"]) == 401 and refresh(api, recent["refresh"]).status_code == 401
    assert me(live["access"]) == 200 and refresh(api, live["refresh"]).status_code == 200
    # and it is a periodic task (nothing left to purge the second time)
    assert purge_expired_sessions.call_local() == {"revoked_sessions": 0, "expired_tokens": 0}
