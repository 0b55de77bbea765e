"""Push device registration, removal, logout hook and the in-app notification history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Device, Notification
from notifications.services import notification_schedule
from tests.server.conftest import ApiClient
from tests.server.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
TOKEN = "ExponentPushToken[abcdefghijklmnopqrstuv]"
OTHER_TOKEN = "ExponentPushToken[zyxwvutsrqponmlkjihgfe]"


def test_register_device_201_and_idempotent(as_user, patient):
    client = as_user(patient)
    first = client.post("/api/v1/notifications/devices", {"token": TOKEN, "platform": "ios"})
    again = client.post("/api/v1/notifications/devices", {"token": TOKEN, "platform": "ios"})
    assert first.status_code == again.status_code == 201
    assert first.json()["token"] == TOKEN
    assert Device.objects.filter(user=patient, is_active=True).count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"token": "not-a-token", "platform": "ios"}, "invalid_push_token"),
        ({"token": "ExponentPushToken[]", "platform": "ios"}, "invalid_push_token"),
        ({"token": "ExponentPushToken[abc def ghi jkl]", "platform": "ios"}, "invalid_push_token"),
        ({"token": "fcm:APA91bHun4MxP5egoKMwt2KZFBaFUH", "platform": "android"}, "invalid_push_token"),
        ({"token": TOKEN, "platform": "windows-phone"}, "invalid_platform"),
        ({"token": TOKEN}, "validation_error"),
        ({"token": TOKEN, "platform": "ios", "user_id": 1}, "validation_error"),
    ],
)
def test_malformed_tokens_are_422_and_nothing_written(as_user, patient, body, code):
    response = as_user(patient).post("/api/v1/notifications/devices", body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert Device.objects.count() == 0


def _signed_in(api, email: str) -> ApiClient:
    UserFactory(email=email)
    pair = api.post("/api/v1/auth/login", {"email": email, "password": DEFAULT_PASSWORD}).json()
    client = ApiClient(pair["access"])
    client.refresh_token = pair["refresh"]  # type: ignore[attr-defined]
    return client


def _register(client: ApiClient, token: str = TOKEN):
    return client.post("/api/v1/notifications/devices", {"token": token, "platform": "android"})


def test_another_accounts_token_is_not_taken_over_while_it_is_signed_in(api):
    # given a token registered by an account that is still signed in on the phone
    owner = _signed_in(api, "owner@example.org")
    assert _register(owner).status_code == 201

    # when another account registers the same token
    response = _register(_signed_in(api, "intruder@example.org"))

    # then it is refused with its own code and the token still reaches its owner
    assert response.status_code == 409
    assert response.json()["code"] == "push_token_in_use"
    assert Device.objects.get(token=TOKEN).user.email == "owner@example.org"


def test_the_token_moves_after_its_account_signs_out_of_that_session(api):
    # given a token registered by a session that then signs out
    owner = _signed_in(api, "owner@example.org")
    _register(owner)
    assert owner.post("/api/v1/auth/logout", {"refresh": owner.refresh_token}).status_code == 204  # type: ignore[attr-defined]

    # when another account registers it, then it moves
    assert _register(_signed_in(api, "next@example.org")).status_code == 201
    assert Device.objects.get(token=TOKEN).user.email == "next@example.org"


def test_the_token_moves_once_the_old_accounts_session_ended_otherwise(api):
    # given a token whose owner changed their password elsewhere (every session of theirs ended) ...
    owner = _signed_in(api, "owner@example.org")
    _register(owner)
    owner.post("/api/v1/auth/change-password", {"current_password": DEFAULT_PASSWORD, "new_password": "Another-good-pass-42"})
    assert _register(_signed_in(api, "next@example.org")).status_code == 201
    # ... or a token Expo reported dead
    _register(_signed_in(api, "first@example.org"), token=OTHER_TOKEN)
    Device.objects.filter(token=OTHER_TOKEN).update(is_active=False, deactivation_reason="DeviceNotRegistered")
    assert _register(_signed_in(api, "second@example.org"), token=OTHER_TOKEN).status_code == 201


def test_logout_unregisters_only_the_tokens_of_the_session_that_signs_out(api):
    # given one account on two phones, each with its token
    UserFactory(email="pat@example.org")
    pairs = [api.post("/api/v1/auth/login", {"email": "pat@example.org", "password": DEFAULT_PASSWORD}).json() for _ in range(2)]
    _register(ApiClient(pairs[0]["access"]), token=TOKEN)
    _register(ApiClient(pairs[1]["access"]), token=OTHER_TOKEN)

    # when the first phone signs out
    ApiClient(pairs[0]["access"]).post("/api/v1/auth/logout", {"refresh": pairs[0]["refresh"]})

    # then its token is gone and the second phone still gets reminders
    assert list(Device.objects.values_list("token", flat=True)) == [OTHER_TOKEN]


def test_delete_device_only_touches_own_tokens(as_user, patient):
    other = UserFactory(role="patient")
    as_user(other).post("/api/v1/notifications/devices", {"token": TOKEN, "platform": "ios"})
    assert as_user(patient).delete(f"/api/v1/notifications/devices/{TOKEN}").status_code == 204
    assert Device.objects.filter(user=other).exists()
    assert as_user(other).delete(f"/api/v1/notifications/devices/{TOKEN}").status_code == 204
    assert not Device.objects.exists()


def test_logout_removes_the_users_devices(api, patient):
    login = api.post("/api/v1/auth/login", {"email": patient.email, "password": DEFAULT_PASSWORD}).json()
    api.token = login["access"]
    assert api.post("/api/v1/notifications/devices", {"token": TOKEN, "platform": "ios"}).status_code == 201
    assert api.post("/api/v1/auth/logout", {"refresh": login["refresh"]}).status_code == 204
    assert not Device.objects.filter(user=patient).exists()


def _row(user, key: str, status: str, due_delta: timedelta, **extra) -> Notification:
    n = notification_schedule(user=user, kind="appointment_reminder", title="Appointment reminder", body="b", due_at=timezone.now() + due_delta, dedupe_key=key)
    Notification.objects.filter(pk=n.pk).update(status=status, **extra)
    return n


def test_inbox_lists_sent_and_failed_not_future_or_cancelled_and_marks_read(as_user, patient):
    sent = _row(patient, "a", "sent", -timedelta(hours=2), sent_at=timezone.now())
    failed = _row(patient, "b", "failed", -timedelta(hours=1), last_error="no registered device")
    _row(patient, "c", "pending", timedelta(hours=5))
    _row(patient, "d", "cancelled", -timedelta(hours=3))
    _row(UserFactory(role="patient"), "e", "sent", -timedelta(hours=1))
    client = as_user(patient)

    body = client.get("/api/v1/notifications").json()

    assert body["count"] == 2
    assert [(i["id"], i["status"], i["read"]) for i in body["items"]] == [(failed.pk, "failed", False), (sent.pk, "sent", False)]
    assert set(body["items"][0]) >= {"id", "title", "body", "status", "read", "created_at", "sent_at"}
    assert client.post(f"/api/v1/notifications/{sent.pk}/read").status_code == 204
    assert [i["read"] for i in client.get("/api/v1/notifications").json()["items"]] == [False, True]
    assert client.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 1


def test_reading_another_users_notification_is_404(as_user, patient):
    theirs = _row(UserFactory(role="patient"), "x", "sent", -timedelta(hours=1))
    assert as_user(patient).post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
