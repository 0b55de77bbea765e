"""Follow-up reminders ("photograph this lesion again") under the appointment reminders' kill test: the real
huey consumer (Redis queue, MariaDB rows) killed with SIGKILL while it pushes; nothing lost, nothing twice.

The reminders are made by the lesions service itself (`lesion_follow_up_set`), dated so they fall due now.
"""

from __future__ import annotations

import functools
import time
import uuid
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from notifications.models import Device, Notification
from screening import lesions
from tests.server.factories import UserFactory
from tests.server.notifications.fake_expo import FakeExpo
from tests.server.notifications.test_consumer_sigkill import (
    Consumer,
    _database_url,
    _kill_while_sending,
    _token,
    _wait_until_settled,
    sqlite_query,
    sqlite_settled,
)
from tests.server.screening.factories import LesionFactory

pytestmark = pytest.mark.slow
ROWS = 240


def _seed(n: int, *, start: int, due_in: float = 0.0) -> list[Notification]:
    """`n` patients, each with a phone and a lesion whose follow-up falls due `due_in` seconds from now.

    Half of them first set a reminder and then changed it: the replaced (cancelled) row must never go out."""
    rows = []
    for i in range(start, start + n):
        user = UserFactory(role="patient")
        Device.objects.create(user=user, token=_token(i), platform="android")
        lesion = LesionFactory(owner=user)
        weeks = 4
        if i % 2:
            lesions.lesion_follow_up_set(lesion=lesion, weeks=weeks, now=timezone.now() - timedelta(weeks=weeks) + timedelta(seconds=due_in + 3600))
        lesions.lesion_follow_up_set(lesion=lesion, weeks=weeks, now=timezone.now() - timedelta(weeks=weeks) + timedelta(seconds=due_in))
        rows.append(Notification.objects.get(user=user, kind=lesions.FOLLOW_UP_KIND, status="pending"))
    return rows


def _index(n: Notification) -> int:
    token = Device.objects.filter(user_id=n.user_id).values_list("token", flat=True).get()
    return int(token.removeprefix("ExponentPushToken[kill").split("x", 1)[0])


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_sigkill_while_sending_follow_up_reminders_loses_nothing_and_sends_nothing_twice(tmp_path):
    # Given 240 due follow-up reminders (120 of them replacing an earlier one), a few uninstalled phones,
    # and an Expo that is slow and rejects every 5th request
    fake = FakeExpo().start()
    fake.latency = 0.25
    fake.fail_every = 5
    rows = _seed(ROWS, start=0)
    cancelled = list(Notification.objects.filter(kind=lesions.FOLLOW_UP_KIND, status="cancelled").values_list("pk", flat=True))
    assert len(cancelled) == ROWS // 2
    dead = {_token(i) for i in range(0, ROWS, 37)}
    fake.unregistered |= dead
    consumer = Consumer(fake, tmp_path, DATABASE_URL=_database_url(), REDIS_URL="redis://127.0.0.1:6379/7", HUEY_NAME=f"followup-kill-{uuid.uuid4().hex[:8]}")
    started = time.time()
    try:
        # When the consumer is killed 4 times mid-request and once at a random moment
        kills_in_flight, kills_random = _kill_while_sending(fake, consumer, kills=4)
        _wait_until_settled(120)
        settle_seconds = time.time() - started
        # And reminders that fall due while it runs go out within about a sweep
        fake.fail_every = 0
        fake.latency = 0.0
        late_rows = _seed(20, start=1000, due_in=4.0)
        _wait_until_settled(60)
    finally:
        consumer.stop()
        fake.stop()

    # Then no reminder reached a phone twice, and every live one was sent (or, killed in flight, marked unconfirmed)
    assert kills_in_flight == 4 and kills_random == 1
    assert not fake.duplicates(), fake.duplicates()
    status_of = dict(Notification.objects.filter(pk__in=[n.pk for n in rows]).values_list("pk", "status"))
    never_received = 0
    for n in rows:
        token = _token(_index(n))
        accepted = fake.accepted[(token, n.pk)]
        if token in dead:
            assert accepted == 0 and status_of[n.pk] in ("failed", "unconfirmed"), (n.pk, status_of[n.pk])
        else:
            assert accepted <= 1 and (accepted == 1 or status_of[n.pk] == "unconfirmed"), (n.pk, status_of[n.pk], accepted)
            assert status_of[n.pk] in ("sent", "unconfirmed")
            never_received += accepted == 0
    statuses = dict(Notification.objects.filter(pk__in=[n.pk for n in rows]).values_list("status").annotate(c=Count("id")))
    assert sum(statuses.values()) == ROWS and set(statuses) <= {"sent", "failed", "unconfirmed"}, statuses
    assert statuses.get("unconfirmed", 0) <= (kills_in_flight + kills_random) * 25
    # The replaced reminders stayed cancelled and never reached anyone
    assert set(Notification.objects.filter(pk__in=cancelled).values_list("status", flat=True)) == {"cancelled"}
    assert not any(nid in cancelled for _, nid in fake.accepted)
    # The late ones: each sent once, about on time
    assert {status_of2 for status_of2 in Notification.objects.filter(pk__in=[n.pk for n in late_rows]).values_list("status", flat=True)} == {"sent"}
    lateness = [fake.first_seen[n.pk] - n.due_at.timestamp() for n in late_rows]
    print(
        f"\nfollow-up sigkill test: {ROWS} reminders ({len(cancelled)} replaced), {kills_in_flight}+{kills_random} kills, "
        f"{fake.requests} requests ({fake.rejected_requests} rejected), statuses {statuses} ({never_received} unconfirmed never received), settled in {settle_seconds:.1f}s, "
        f"late rows: max lateness {max(lateness):.2f}s"
    )
    assert max(lateness) <= 2.0


SEED_SCRIPT = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from notifications.models import Device
from screening import lesions
from screening.models import Lesion
start, n, due_in = {start}, {n}, {due_in}
for i in range(start, start + n):
    user = User.objects.create(email=f"fu{{i}}@example.org", role="patient")
    Device.objects.create(user=user, token=f"ExponentPushToken[kill{{i:06d}}xxxxxxxxxx]", platform="ios")
    lesion = Lesion.objects.create(owner=user, name="spot", body_view="front", body_x=0.5, body_y=0.5)
    if i % 2:  # set, then replaced: the first row must never go out
        lesions.lesion_follow_up_set(lesion=lesion, weeks=4, now=timezone.now() - timedelta(weeks=4) + timedelta(seconds=due_in + 3600))
    lesions.lesion_follow_up_set(lesion=lesion, weeks=4, now=timezone.now() - timedelta(weeks=4) + timedelta(seconds=due_in))
"""


def test_embedded_sqlite_consumer_sigkill_sends_follow_ups_once(tmp_path):
    """The embedded default (SQLite database, SqliteHuey queue in files): the same guarantees for follow-ups."""
    from datetime import UTC, datetime

    fake = FakeExpo().start()
    fake.latency = 0.25
    fake.fail_every = 5
    db_file = tmp_path / "db.sqlite3"
    consumer = Consumer(fake, tmp_path, DATABASE_URL=f"sqlite:///{db_file}", VAR_DIR=str(tmp_path), REDIS_URL="")
    consumer.manage("migrate", "--noinput", "-v", "0")
    consumer.manage("shell", "-c", SEED_SCRIPT.format(start=0, n=160, due_in=0))
    dead = {_token(i) for i in range(0, 160, 37)}
    fake.unregistered |= dead

    query = functools.partial(sqlite_query, db_file)
    settled = functools.partial(sqlite_settled, db_file)

    try:
        kills_in_flight, kills_random = _kill_while_sending(fake, consumer, kills=3)
        settled(120)
        fake.fail_every = 0
        fake.latency = 0.0
        consumer.manage("shell", "-c", SEED_SCRIPT.format(start=1000, n=20, due_in=4))
        settled(60)
    finally:
        consumer.stop()
        fake.stop()

    assert kills_in_flight == 3 and kills_random == 1
    assert not fake.duplicates(), fake.duplicates()
    rows = query(
        "select n.id, d.token, n.status, n.due_at from notifications_notification n join notifications_device d on d.user_id = n.user_id"
        " where n.kind = 'lesion_follow_up'"
    )
    live = [(nid, token, status, due) for nid, token, status, due in rows if status != "cancelled"]
    assert len(live) == 180 and len(rows) - len(live) == 90  # one live reminder per lesion; 90 replaced ones
    cancelled_ids = {nid for nid, _, status, _ in rows if status == "cancelled"}
    assert not any(nid in cancelled_ids for _, nid in fake.accepted)
    never_received = 0
    lateness = []
    for nid, token, status, due in live:
        accepted = fake.accepted[(token, nid)]
        if token in dead:
            assert accepted == 0 and status in ("failed", "unconfirmed"), (nid, status)
        elif status == "sent":
            assert accepted == 1, (nid, status)
        else:
            assert status == "unconfirmed" and accepted <= 1, (nid, status)
            never_received += accepted == 0
        if token.startswith("ExponentPushToken[kill001"):
            assert status == "sent"
            lateness.append(fake.first_seen[nid] - datetime.fromisoformat(due).replace(tzinfo=UTC).timestamp())
    unconfirmed = sum(1 for *_, status, _ in live if status == "unconfirmed")
    assert unconfirmed <= (kills_in_flight + kills_random) * 25
    print(
        f"\nembedded follow-up sigkill test: 160 + 20 reminders (90 replaced), {kills_in_flight}+{kills_random} kills, {fake.requests} requests "
        f"({fake.rejected_requests} rejected), unconfirmed {unconfirmed} ({never_received} never received), late rows: max lateness {max(lateness):.2f}s"
    )
    assert len(lateness) == 20 and max(lateness) <= 2.0
