"""Sending due rows to a local fake Expo: batching, DeviceNotRegistered, retries with backoff, receipts, no duplicates."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Device, Notification
from tests.server.factories import UserFactory
from tests.server.notifications.fake_expo import FakeExpo


def token(i: int) -> str:
    return f"ExponentPushToken[device{i:06d}xxxxxxxx]"


@pytest.fixture
def fake(settings):
    server = FakeExpo().start()
    settings.EXPO_PUSH_HOST = server.url
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    yield server
    server.stop()


def due_rows(n: int, *, devices_per_user: int = 1, due_delta: timedelta = -timedelta(minutes=1), start: int = 0) -> list[Notification]:
    rows = []
    for i in range(start, start + n):
        user = UserFactory(role="patient")
        for d in range(devices_per_user):
            Device.objects.create(user=user, token=token(i * 10 + d), platform="ios")
        rows.append(
            services.notification_schedule(
                user=user, kind="appointment_reminder", title="Appointment reminder", body=f"Reminder {i}", due_at=timezone.now() + due_delta, dedupe_key=f"t:{i}"
            )
        )
    return rows


@pytest.mark.django_db
def test_due_rows_sent_once_in_requests_of_at_most_100(fake):
    rows = due_rows(250)
    future = due_rows(5, due_delta=timedelta(hours=1), start=1000)
    cancelled = due_rows(3, start=2000)
    Notification.objects.filter(pk__in=[n.pk for n in cancelled]).update(status="cancelled")

    result = services.notifications_send_due()
    again = services.notifications_send_due()

    assert result.sent == 250 and result.requests == 3
    assert again.claimed == 0
    assert fake.total_accepted() == 250 and not fake.duplicates()
    assert fake.max_batch <= 100 and fake.requests == 3
    assert Notification.objects.filter(pk__in=[n.pk for n in rows], status="sent").count() == 250
    assert Notification.objects.filter(pk__in=[n.pk for n in future], status="pending").count() == 5
    assert Notification.objects.filter(status="cancelled").count() == 3
    assert Delivery.objects.filter(status="ok").exclude(ticket_id="").count() == 250


@pytest.mark.django_db
def test_device_not_registered_deactivates_token(fake):
    [both] = due_rows(1, devices_per_user=2)
    [only_dead] = due_rows(1, start=5)
    fake.unregistered |= {token(0), token(50)}

    services.notifications_send_due()

    assert Device.objects.get(token=token(0)).is_active is False
    assert Device.objects.get(token=token(0)).deactivation_reason == "DeviceNotRegistered"
    assert Device.objects.get(token=token(1)).is_active is True
    both.refresh_from_db()
    only_dead.refresh_from_db()
    assert both.status == "sent"
    assert only_dead.status == "failed" and "DeviceNotRegistered" in only_dead.last_error
    # A later notification no longer targets the dead token.
    services.notification_schedule(user=both.user, kind="k", title="t", body="b", due_at=timezone.now(), dedupe_key="later")
    services.notifications_send_due()
    assert fake.accepted[(token(0), Notification.objects.get(dedupe_key="later").pk)] == 0


@pytest.mark.django_db
def test_429_and_5xx_retry_with_backoff_without_duplicates(fake):
    rows = due_rows(120)
    fake.fail_plan = [429, 503]

    first = services.notifications_send_due()
    # The first request (100 rows) got 429, the second (20 rows) 503: all 120 wait for a retry.
    assert (first.requests, first.retried, first.sent) == (2, 120, 0)
    assert fake.total_accepted() == 0
    pending = Notification.objects.filter(status="pending")
    assert pending.count() == 120
    assert all(n.next_attempt_at > timezone.now() + timedelta(seconds=20) for n in pending)  # backoff, ~30 s with jitter
    assert services.notifications_send_due().claimed == 0  # nothing is due before the backoff ends

    later = services.notifications_send_due(now=timezone.now() + timedelta(minutes=5))

    assert later.sent == 120
    assert fake.total_accepted() == 120 and not fake.duplicates()
    assert {n.attempts for n in Notification.objects.filter(pk__in=[r.pk for r in rows])} == {2}


@pytest.mark.django_db
def test_message_rate_exceeded_retries_only_that_device(fake):
    [row] = due_rows(1, devices_per_user=2)
    fake.rate_limited_tokens[token(1)] = 1

    services.notifications_send_due()
    row.refresh_from_db()
    assert row.status == "pending"  # one device still owed the push
    services.notifications_send_due(now=timezone.now() + timedelta(minutes=5))

    row.refresh_from_db()
    assert row.status == "sent"
    assert fake.accepted[(token(0), row.pk)] == 1 and fake.accepted[(token(1), row.pk)] == 1


@pytest.mark.django_db
def test_unreachable_service_is_retried_later(settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EXPO_PUSH_HOST = f"http://127.0.0.1:{port}"
    [row] = due_rows(1)
    services.notifications_send_due()
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1 and "unreachable" in row.last_error


@pytest.mark.django_db
def test_gives_up_after_max_attempts(fake, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    [row] = due_rows(1)
    fake.fail_plan = [500, 500, 500]
    services.notifications_send_due()
    services.notifications_send_due(now=timezone.now() + timedelta(hours=2))
    row.refresh_from_db()
    assert row.status == "failed" and "500" in row.last_error
    assert services.notifications_send_due(now=timezone.now() + timedelta(hours=4)).claimed == 0


@pytest.mark.django_db
def test_receipts_deactivate_device_not_registered(fake, settings):
    settings.NOTIFICATION_RECEIPT_DELAY_SECONDS = 0
    due_rows(2)
    fake.receipt_unregistered.add(token(10))
    services.notifications_send_due()

    checked = services.receipts_check(now=timezone.now() + timedelta(seconds=1))

    assert checked == 2
    assert Device.objects.get(token=token(10)).is_active is False
    assert Device.objects.get(token=token(0)).is_active is True
    assert set(Delivery.objects.values_list("receipt_status", flat=True)) == {"ok", "error"}


@pytest.mark.django_db
def test_stale_sending_row_becomes_unconfirmed_and_is_never_resent(fake):
    [row] = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now() - timedelta(hours=1), claim_token="dead")
    Delivery.objects.create(notification=row, device=Device.objects.get(), token=token(0), status="sending")

    assert services.notifications_recover_stale() == 1
    services.notifications_send_due(now=timezone.now() + timedelta(days=1))

    row.refresh_from_db()
    assert row.status == "unconfirmed"
    assert fake.total_accepted() == 0


@pytest.mark.django_db
def test_push_not_configured_rows_fail_visibly(settings):
    settings.EXPO_PUSH_HOST = ""
    settings.EXPO_ACCESS_TOKEN = ""
    [row] = due_rows(1)
    services.notifications_send_due()
    row.refresh_from_db()
    assert row.status == "failed" and "not configured" in row.last_error


@pytest.mark.django_db
def test_appointment_reminders_and_cancel_notice_carry_no_medical_detail(fake, as_user, django_capture_on_commit_callbacks):
    from datetime import UTC, datetime, time

    from tests.server.appointments.factories import make_clinician

    clinician = make_clinician(time_zone="UTC", windows=[(d, time(0), time(23, 30)) for d in range(7)])
    patient = UserFactory(role="patient")
    Device.objects.create(user=patient, token=token(1), platform="ios")
    Device.objects.create(user=clinician.user, token=token(2), platform="android")
    start = datetime.combine(timezone.now().date() + timedelta(days=3), time(10), tzinfo=UTC)
    body = {"clinician_id": clinician.user_id, "start": start.isoformat(), "reason": "Suspicious melanoma on left arm"}
    appointment_id = as_user(patient).post("/api/v1/appointments", body).json()["id"]

    # Reminders are due later; send them as if it were that time.
    services.notifications_send_due(now=start + timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert as_user(clinician.user).post(f"/api/v1/appointments/{appointment_id}/cancel").status_code == 200

    texts = [f"{m.get('title')} {m.get('body')}".lower() for m in fake.payloads]
    assert len(fake.payloads) == 5  # 24 h, 1 h, start (patient) + start (clinician) + cancellation notice to the patient
    for text in texts:
        for word in ("melanoma", "suspicious", "arm", "dermatolog", "lesion", "cancer"):
            assert word not in text
    cancel_notice = [m for m in fake.payloads if m["data"]["kind"] == "appointment_cancelled"]
    assert [m["to"] for m in cancel_notice] == [token(1)]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_send_every_row_exactly_once(fake):
    due_rows(300)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                services.notifications_send_due()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert not errors
    assert fake.total_accepted() == 300 and not fake.duplicates()
    assert Notification.objects.filter(status="sent").count() == 300
