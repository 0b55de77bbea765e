"""No double booking under real concurrency: threads against the real MariaDB (skipped on SQLite)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment, BookedCell
from core.models import IdempotencyKey
from tests.server.appointments.factories import make_clinician
from tests.server.conftest import ApiClient, token_for
from tests.server.factories import UserFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def slot(days_ahead: int, hour: int, minute: int = 0, tz: str = "Europe/Berlin") -> datetime:
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz)
    # The calendar day is always Berlin's, so Berlin and London slots share a date even after Berlin's midnight.
    day = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def run_together(jobs: list) -> list:
    """Start every job at the same instant on its own thread; each thread closes its DB connection."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:  # surfaced in the assertion, never swallowed
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def booking_job(token: str, clinician_id: int, start: datetime, key: str | None = None):
    def job():
        client = ApiClient(token)
        headers = {"Idempotency-Key": key} if key else None
        response = client.post("/api/v1/appointments", {"clinician_id": clinician_id, "start": start.isoformat()}, headers=headers)
        return response.status_code, response.json()

    return job


def test_twenty_patients_one_slot_exactly_one_booking():
    clinician = make_clinician()
    patients = [UserFactory(role="patient") for _ in range(20)]
    start = slot(3, 10)

    results = run_together([booking_job(token_for(p), clinician.user_id, start, key=str(uuid.uuid4())) for p in patients])

    statuses = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)
    assert statuses == Counter({201: 1, 409: 19}), statuses
    assert {r[1]["code"] for r in results if r[0] == 409} == {"slot_taken"}
    assert Appointment.objects.count() == 1
    assert BookedCell.objects.count() == 12
    assert IdempotencyKey.objects.count() == 1  # losers wrote nothing, not even their key


def test_one_patient_two_clinicians_at_once_one_wins():
    berlin = make_clinician(time_zone="Europe/Berlin")
    london = make_clinician(time_zone="Europe/London", slot_minutes=20, windows=[(d, time(7), time(17)) for d in range(7)])
    for round_no in range(5):
        patient = UserFactory(role="patient")
        token = token_for(patient)
        # Berlin 10:00-10:30 and London 09:20-09:40 (= Berlin 10:20-10:40) overlap on different grids.
        results = run_together(
            [
                booking_job(token, berlin.user_id, slot(3 + round_no, 10)),
                booking_job(token, london.user_id, slot(3 + round_no, 9, 20, tz="Europe/London")),
            ]
        )
        statuses = sorted(r[0] for r in results)
        assert statuses == [201, 409], results
        loser = next(r[1] for r in results if r[0] == 409)
        assert loser["code"] in ("patient_busy", "slot_taken")
        assert Appointment.objects.filter(patient=patient).count() == 1


def test_same_idempotency_key_retried_concurrently_books_once():
    clinician = make_clinician()
    patient = UserFactory(role="patient")
    token = token_for(patient)
    key = str(uuid.uuid4())

    results = run_together([booking_job(token, clinician.user_id, slot(4, 11), key=key) for _ in range(8)])

    assert all(r[0] == 201 for r in results), results
    assert len({r[1]["id"] for r in results}) == 1
    assert Appointment.objects.count() == 1


def test_reschedules_racing_for_one_slot():
    clinician = make_clinician()
    clients, ids = [], []
    for hour in (9, 10, 11, 12, 13, 14):
        patient = UserFactory(role="patient")
        client = ApiClient(token_for(patient))
        response = client.post("/api/v1/appointments", {"clinician_id": clinician.user_id, "start": slot(5, hour).isoformat()})
        assert response.status_code == 201
        clients.append(client)
        ids.append(response.json()["id"])
    target = slot(6, 15)

    def move(client: ApiClient, appointment_id: int):
        def job():
            r = client.post(f"/api/v1/appointments/{appointment_id}/reschedule", {"start": target.isoformat()})
            return r.status_code, r.json()

        return job

    results = run_together([move(c, i) for c, i in zip(clients, ids, strict=True)])

    assert sorted(r[0] for r in results) == [200] + [409] * 5, results
    assert Appointment.objects.filter(start=target).count() == 1
    # Losers kept their original slots and cells.
    assert BookedCell.objects.count() == 6 * 12
