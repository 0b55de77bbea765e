"""Time zones and daylight saving: a Berlin clinician, a New York patient, slots across the clock changes."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.server.appointments.factories import make_clinician
from tests.server.factories import UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
pytestmark = pytest.mark.django_db


def next_change(tz: zoneinfo.ZoneInfo, after: date) -> date:
    """The first local date after `after` whose noon offset differs from the day before's."""
    day = after
    while True:
        nxt = day + timedelta(days=1)
        if datetime.combine(nxt, time(12), tzinfo=tz).utcoffset() != datetime.combine(day, time(12), tzinfo=tz).utcoffset():
            return nxt
        day = nxt


def slots(client, clinician_id: int, first: date, last: date, tz: str) -> list[datetime]:
    response = client.get(f"/api/v1/clinicians/{clinician_id}/slots", {"start": first.isoformat(), "end": last.isoformat(), "tz": tz})
    assert response.status_code == 200, response.json()
    return [datetime.fromisoformat(s["start"]) for s in response.json()["items"]]


def test_new_york_patient_sees_berlin_morning_shift_between_the_two_clock_changes(as_user):
    """Berlin 09:00 is 03:00 in New York, except between the US and the EU change, when it is 04:00."""
    clinician = make_clinician(time_zone="Europe/Berlin", windows=[(d, time(9), time(10)) for d in range(7)])
    patient = UserFactory(role="patient", time_zone="America/New_York")
    today = timezone.now().date() + timedelta(days=2)
    eu = next_change(BERLIN, today)
    us = next_change(NEW_YORK, eu - timedelta(days=40))
    first, last = min(eu, us) - timedelta(days=2), max(eu, us) + timedelta(days=2)

    starts = slots(as_user(patient), clinician.user_id, first, last, "America/New_York")

    mornings = {s.date(): s for s in starts if s.minute == 0}  # first slot of each day, New York wall clock
    assert len(mornings) == (last - first).days + 1
    for day, start in mornings.items():
        assert start.tzinfo is not None
        assert start.utcoffset() == datetime.combine(day, time(12), tzinfo=NEW_YORK).utcoffset()  # New York's offset that day
        assert start.astimezone(BERLIN).time() == time(9)  # still 09:00 for the clinician
        between = min(eu, us) <= day < max(eu, us)
        assert start.hour == (4 if between else 3), (day, start)


def test_night_window_holds_the_real_hours_on_the_change_night():
    """A Sunday 01:00-04:00 window holds 2 real hours in spring (4 slots) and 4 in autumn (8 slots)."""
    from appointments.selectors import slots_between

    profile = make_clinician(time_zone="Europe/Berlin", windows=[(6, time(1), time(4))])

    def night(day: date) -> list:
        start = datetime.combine(day, time(0), tzinfo=BERLIN)
        return slots_between(profile, start.astimezone(UTC), (start + timedelta(hours=30)).astimezone(UTC))

    # The next two changes: one spring-forward, one fall-back (noon already has the new offset).
    first = next_change(BERLIN, timezone.now().date() + timedelta(days=2))
    second = next_change(BERLIN, first + timedelta(days=1))
    seen = set()
    for sunday in (first, second):
        assert sunday.weekday() == 6
        assert len(night(sunday - timedelta(days=7))) == 6
        slots_that_night = night(sunday)
        local = [s.start.astimezone(BERLIN) for s in slots_that_night]
        if datetime.combine(sunday, time(12), tzinfo=BERLIN).utcoffset() == timedelta(hours=2):
            seen.add("spring")
            assert [t.strftime("%H:%M") for t in local] == ["01:00", "01:30", "03:00", "03:30"]
        else:
            seen.add("autumn")
            assert [t.strftime("%H:%M") for t in local] == ["01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30"]
            assert {t.utcoffset() for t in local if t.hour == 2} == {timedelta(hours=1), timedelta(hours=2)}
        # Every slot is 30 real minutes after the previous one: none overlap, none are lost.
        assert all(b.start - a.start == timedelta(minutes=30) for a, b in zip(slots_that_night, slots_that_night[1:], strict=False))
    assert seen == {"spring", "autumn"}


def test_booking_across_the_change_keeps_instants_and_reminder_gaps(as_user):
    clinician = make_clinician(time_zone="Europe/Berlin", windows=[(d, time(9), time(12)) for d in range(7)])
    patient = UserFactory(role="patient", time_zone="America/New_York")
    eu = next_change(BERLIN, timezone.now().date() + timedelta(days=2))
    start_berlin = datetime.combine(eu, time(9), tzinfo=BERLIN)  # the first morning after the change

    with override_settings(APPOINTMENT_BOOKING_HORIZON_DAYS=400):
        response = as_user(patient).post(
            "/api/v1/appointments", {"clinician_id": clinician.user_id, "start": start_berlin.astimezone(NEW_YORK).isoformat()}
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    returned = datetime.fromisoformat(body["start"])
    assert returned == start_berlin
    assert returned.utcoffset() == datetime.combine(eu, time(12), tzinfo=NEW_YORK).utcoffset()
    from notifications.models import Notification

    dues = sorted((start_berlin - n.due_at) for n in Notification.objects.filter(user=patient))
    # 24 real hours before, even though Berlin's wall clock jumped in between.
    assert dues == [timedelta(0), timedelta(hours=1), timedelta(hours=24)]
    day_before = Notification.objects.get(user=patient, data__offset_seconds=86400)
    assert "(America/New_York)" in day_before.body
