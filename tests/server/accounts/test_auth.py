"""Accounts API: registration, login, token rotation, logout, profile, password, deletion."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts import hooks
from accounts.models import User
from tests.server.conftest import ApiClient
from tests.server.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "a-Very-good-pass-99"


def register(api: ApiClient, **overrides: object):
    body = {"email": "new@example.org", "password": GOOD_PASSWORD, "full_name": "New Person", **overrides}
    return api.post("/api/v1/auth/register", body)


def login(api: ApiClient, email: str, password: str = DEFAULT_PASSWORD):
    return api.post("/api/v1/auth/login", {"email": email, "password": password})


# --- registration -----------------------------------------------------------------------------


def test_register_creates_a_patient_and_returns_its_profile(api):
    response = register(api, email="New@Example.org", time_zone="Europe/Berlin", phone="+49 30 1234567")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.org"
    assert body["role"] == "patient"
    assert body["time_zone"] == "Europe/Berlin"
    assert "password" not in body
    assert User.objects.get(email="new@example.org").check_password(GOOD_PASSWORD)


def test_register_duplicate_email_is_409_case_insensitive(api):
    UserFactory(email="taken@example.org")

    response = register(api, email="TAKEN@example.org")

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


@pytest.mark.parametrize("password", ["short", "1234567890123", "password1234"])
def test_register_weak_password_is_422_and_writes_nothing(api, password):
    response = register(api, password=password)

    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.org", "a b@c.org"])
def test_register_bad_email_is_422(api, email):
    response = register(api, email=email)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_email"
    assert not User.objects.exists()


@pytest.mark.parametrize("field,value", [("role", "admin"), ("is_staff", True), ("is_superuser", True), ("id", 99)])
def test_register_mass_assignment_is_refused(api, field, value):
    response = register(api, **{field: value})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"][-1] == field
    assert not User.objects.exists()


def test_register_validation_keeps_field_details(api):
    response = api.post("/api/v1/auth/register", {"email": 12, "password": ["x"]})

    assert response.status_code == 422
    fields = {tuple(e["loc"])[-1] for e in response.json()["errors"]}
    assert {"email", "password"} <= fields


def test_register_bad_time_zone_is_422(api):
    response = register(api, time_zone="Mars/Olympus")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_time_zone"


def test_malformed_json_is_400_with_clear_message(api):
    response = api.client.post("/api/v1/auth/register", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not User.objects.exists()


def test_oversized_body_is_413(api):
    huge = "x" * (settings.MAX_REQUEST_BYTES + 1)
    response = api.client.post("/api/v1/auth/register", huge, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_json_body_over_the_form_limit_is_413_not_500(api):
    body = '{"email": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = api.client.post("/api/v1/auth/register", body, content_type="application/json")

    assert response.status_code in (413, 422)
    assert response.json()["code"] in ("too_large", "validation_error")


# --- login, refresh, logout -------------------------------------------------------------------


def test_login_returns_a_token_pair_that_authenticates(api):
    user = UserFactory(email="pat@example.org")

    response = login(api, "PAT@example.org")

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.id
    me = ApiClient(body["access"]).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "pat@example.org"


def test_login_wrong_password_is_401(api):
    UserFactory(email="pat@example.org")

    response = login(api, "pat@example.org", "wrong-password-123")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_of_deactivated_user_is_401(api):
    UserFactory(email="gone@example.org", is_active=False)

    assert login(api, "gone@example.org").status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_dies(api):
    UserFactory(email="pat@example.org")
    first = login(api, "pat@example.org").json()

    rotated = api.post("/api/v1/auth/refresh", {"refresh": first["refresh"]})
    again = api.post("/api/v1/auth/refresh", {"refresh": rotated.json()["refresh"]})
    reused = api.post("/api/v1/auth/refresh", {"refresh": first["refresh"]})

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    assert again.status_code == 200
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_reused"  # and it may end the session: test_sessions.py


def test_logout_blacklists_the_refresh_token(api, as_user):
    user = UserFactory(email="pat@example.org")
    pair = login(api, "pat@example.org").json()

    response = ApiClient(pair["access"]).post("/api/v1/auth/logout", {"refresh": pair["refresh"]})

    assert response.status_code == 204
    assert api.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
    assert user.pk


def test_logout_runs_logout_hooks(api):
    UserFactory(email="pat@example.org")
    pair = login(api, "pat@example.org").json()
    seen: list[tuple[int, str]] = []
    hooks.logout_hooks.append(lambda u, sid: seen.append((u.pk, sid)))
    try:
        ApiClient(pair["access"]).post("/api/v1/auth/logout", {"refresh": pair["refresh"]})
    finally:
        hooks.logout_hooks.pop()

    assert seen == [(User.objects.get(email="pat@example.org").pk, AccessToken(pair["access"])["sid"])]


def test_logout_with_someone_elses_refresh_token_is_401(api):
    UserFactory(email="a@example.org")
    UserFactory(email="b@example.org")
    a = login(api, "a@example.org").json()
    b = login(api, "b@example.org").json()

    response = ApiClient(a["access"]).post("/api/v1/auth/logout", {"refresh": b["refresh"]})

    assert response.status_code == 401
    assert api.post("/api/v1/auth/refresh", {"refresh": b["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401(api):
    assert api.post("/api/v1/auth/refresh", {"refresh": "garbage"}).status_code == 401


# --- token tampering --------------------------------------------------------------------------


def _claims(user: User, **extra: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "token_type": "access",
        "user_id": user.pk,
        "jti": "x" * 32,
        "iat": now,
        "exp": now + 600,
        "aud": settings.NINJA_JWT["AUDIENCE"],
        "iss": settings.NINJA_JWT["ISSUER"],
        **extra,
    }


def _sign(claims: dict[str, object], key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(claims, key if key is not None else settings.NINJA_JWT["SIGNING_KEY"], algorithm=alg)


def test_handcrafted_valid_token_is_accepted_so_the_rejections_below_mean_something():
    user = UserFactory()

    assert ApiClient(_sign(_claims(user))).get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda u: _sign(_claims(u, exp=int(time.time()) - 5)), id="expired"),
        pytest.param(lambda u: _sign(_claims(u))[:-3] + "AAA", id="tampered-signature"),
        pytest.param(lambda u: _sign(_claims(u, user_id=u.pk + 1000)).rsplit(".", 1)[0] + "." + _sign(_claims(u)).rsplit(".", 1)[1], id="tampered-payload"),
        pytest.param(lambda u: jwt.encode(_claims(u), "", algorithm="none"), id="alg-none"),
        pytest.param(lambda u: _sign(_claims(u, aud="some-other-api")), id="wrong-audience"),
        pytest.param(lambda u: _sign(_claims(u, iss="someone-else")), id="wrong-issuer"),
        pytest.param(lambda u: _sign(_claims(u), key="another-secret-key-of-decent-length-123"), id="wrong-key"),
        pytest.param(lambda u: _sign(_claims(u, token_type="refresh")), id="refresh-as-access"),
        pytest.param(lambda u: str(RefreshToken.for_user(u)), id="real-refresh-as-access"),
        pytest.param(lambda u: "not.a.jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_401(make_token):
    user = UserFactory()

    response = ApiClient(make_token(user)).get("/api/v1/auth/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_access_token_cannot_be_used_as_refresh(api):
    user = UserFactory()
    access = str(AccessToken.for_user(user))

    assert api.post("/api/v1/auth/refresh", {"refresh": access}).status_code == 401


def test_expired_token_from_the_library_is_401():
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    assert ApiClient(str(token)).get("/api/v1/auth/me").status_code == 401


def test_deactivated_user_is_rejected_on_the_next_request(as_user):
    user = UserFactory()
    client = as_user(user)
    assert client.get("/api/v1/auth/me").status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get("/api/v1/auth/me").status_code == 401


# --- profile ----------------------------------------------------------------------------------


def test_patch_me_updates_allowed_fields(as_user):
    user = UserFactory()

    response = as_user(user).patch("/api/v1/auth/me", {"full_name": "Renamed", "time_zone": "America/New_York", "date_of_birth": "1980-02-29"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.time_zone, str(user.date_of_birth)) == ("Renamed", "America/New_York", "1980-02-29")


@pytest.mark.parametrize("field,value", [("role", "admin"), ("is_staff", True), ("email", "x@y.org"), ("is_active", False)])
def test_patch_me_mass_assignment_changes_nothing(as_user, field, value):
    user = UserFactory(full_name="Before")

    response = as_user(user).patch("/api/v1/auth/me", {"full_name": "After", field: value})

    assert response.status_code == 422
    user.refresh_from_db()
    assert user.role == "patient" and not user.is_staff and user.full_name == "Before" and user.is_active


@pytest.mark.parametrize("body", [{"time_zone": "Nowhere/City"}, {"date_of_birth": "2999-01-01"}, {"phone": "call me maybe"}, {"date_of_birth": "yesterday"}])
def test_patch_me_bad_values_are_422(as_user, body):
    user = UserFactory(time_zone="UTC")

    response = as_user(user).patch("/api/v1/auth/me", body)

    assert response.status_code == 422
    user.refresh_from_db()
    assert user.time_zone == "UTC" and user.date_of_birth is None and user.phone == ""


def test_me_requires_authentication(api):
    response = api.get("/api/v1/auth/me")

    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}


# --- password and deletion --------------------------------------------------------------------


def test_change_password_requires_the_current_password(as_user):
    user = UserFactory()

    response = as_user(user).post("/api/v1/auth/change-password", {"current_password": "wrong-one-123", "new_password": "Another-good-pass-42"})

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password_rejects_weak_new_password(as_user):
    user = UserFactory()

    response = as_user(user).post("/api/v1/auth/change-password", {"current_password": DEFAULT_PASSWORD, "new_password": "123"})

    assert response.status_code == 422
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password_ends_other_sessions(api):
    UserFactory(email="pat@example.org")
    other_device = login(api, "pat@example.org").json()
    this_device = login(api, "pat@example.org").json()

    response = ApiClient(this_device["access"]).post(
        "/api/v1/auth/change-password", {"current_password": DEFAULT_PASSWORD, "new_password": "Another-good-pass-42"}
    )

    assert response.status_code == 200
    assert api.post("/api/v1/auth/refresh", {"refresh": other_device["refresh"]}).status_code == 401
    assert api.post("/api/v1/auth/refresh", {"refresh": response.json()["refresh"]}).status_code == 200
    assert login(api, "pat@example.org").status_code == 401
    assert login(api, "pat@example.org", "Another-good-pass-42").status_code == 200


def test_delete_account_needs_the_password(as_user):
    user = UserFactory()

    response = as_user(user).post("/api/v1/auth/delete-account", {"password": "not-my-password"})

    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_the_user_and_its_sessions(api):
    user = UserFactory(email="pat@example.org", phone="+4930123456")
    pair = login(api, "pat@example.org").json()
    deleted_for: list[int] = []
    hooks.delete_hooks.append(lambda u: deleted_for.append(u.pk))
    try:
        response = ApiClient(pair["access"]).post("/api/v1/auth/delete-account", {"password": DEFAULT_PASSWORD})
    finally:
        hooks.delete_hooks.pop()

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not User.objects.filter(email="pat@example.org").exists()
    assert deleted_for == [user.pk]
    assert ApiClient(pair["access"]).get("/api/v1/auth/me").status_code == 401
    assert api.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401


# --- throttling -------------------------------------------------------------------------------


def test_login_is_throttled(api):
    from django.core.cache import cache

    cache.clear()
    UserFactory(email="pat@example.org")
    with override_settings(AUTH_THROTTLE_RATES={"login": "3/min", "register": "3/min"}):
        codes = [login(api, "pat@example.org", "wrong-password-1").status_code for _ in range(5)]
    cache.clear()

    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


def test_register_is_throttled(api):
    from django.core.cache import cache

    cache.clear()
    with override_settings(AUTH_THROTTLE_RATES={"login": "3/min", "register": "2/min"}):
        codes = [register(api, email=f"n{i}@example.org").status_code for i in range(4)]
    cache.clear()

    assert codes == [201, 201, 429, 429]
    assert User.objects.count() == 2
