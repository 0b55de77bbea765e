"""Measures booking under contention, slot listing and the reminder sweep's throughput against a local fake Expo.

    # MariaDB (creates and drops the scratch database `appointments_bench`)
    BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/appointments_bench .venv/bin/python benchmarks/appointments_bench.py
    # SQLite (the embedded default)
    .venv/bin/python benchmarks/appointments_bench.py

Prints one JSON object; numbers are wall-clock on this machine, through the full API stack (Django test client,
JWT auth, ninja), without network hops.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "server"), str(REPO)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.appointments_settings")


def _prepare_database() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.mysql":
        import MySQLdb

        conn = MySQLdb.connect(host=db["HOST"] or "127.0.0.1", user=db["USER"], passwd=db["PASSWORD"] or "", port=int(db["PORT"] or 3306))
        cur = conn.cursor()
        cur.execute(f"DROP DATABASE IF EXISTS `{db['NAME']}`")
        cur.execute(f"CREATE DATABASE `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        conn.close()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db["NAME"]) + suffix).unlink(missing_ok=True)


def _percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50_ms": round(1000 * values[len(values) // 2], 1),
        "p95_ms": round(1000 * values[min(len(values) - 1, int(len(values) * 0.95))], 1),
        "max_ms": round(1000 * values[-1], 1),
    }


def main() -> None:
    _prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from datetime import datetime, timedelta
    from datetime import time as dtime

    from django.utils import timezone

    from appointments import services as appt_services
    from notifications import services as notif_services
    from notifications.models import Device, Notification
    from tests.server.conftest import ApiClient, token_for
    from tests.server.factories import UserFactory
    from tests.server.notifications.fake_expo import FakeExpo

    results: dict[str, object] = {"database": connection.vendor, "cpus": os.cpu_count()}

    def clinician(tz: str = "Europe/Berlin"):
        user = UserFactory(role="clinician", time_zone=tz)
        profile = appt_services.clinician_profile_upsert(user=user, time_zone=tz, slot_minutes=30)
        appt_services.availability_set_weekly(profile=profile, windows=[(d, dtime(8), dtime(18)) for d in range(7)])
        return profile

    def run_threads(jobs):
        barrier = threading.Barrier(len(jobs))
        out: list = [None] * len(jobs)

        def worker(i):
            try:
                barrier.wait()
                out[i] = jobs[i]()
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out, time.perf_counter() - t0

    def book_job(token, clinician_id, start):
        def job():
            t0 = time.perf_counter()
            r = ApiClient(token).post(
                "/api/v1/appointments", {"clinician_id": clinician_id, "start": start.isoformat()}, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            return r.status_code, time.perf_counter() - t0

        return job

    import zoneinfo

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    base_day = timezone.now().astimezone(berlin).date() + timedelta(days=3)

    # 1. Contention: 50 patients booking one slot at the same instant, 5 rounds.
    prof = clinician()
    outcomes: dict[int, int] = {}
    latencies: list[float] = []
    for rnd in range(5):
        patients = [UserFactory(role="patient") for _ in range(50)]
        start = datetime.combine(base_day, dtime(9 + rnd), tzinfo=berlin)
        out, _ = run_threads([book_job(token_for(p), prof.user_id, start) for p in patients])
        for status, secs in out:
            outcomes[status] = outcomes.get(status, 0) + 1
            latencies.append(secs)
    results["one_slot_50_concurrent_x5"] = {"statuses": outcomes, **_percentiles(latencies)}

    # 2. Throughput: 16 threads booking 400 distinct slots (25 each) across 4 clinicians.
    profs = [clinician() for _ in range(4)]
    patients = [UserFactory(role="patient") for _ in range(400)]
    tokens = [token_for(p) for p in patients]  # one patient per booking: no patient-overlap conflicts

    def many(i):
        def job():
            lat, codes = [], []
            for k in range(25):
                n = i * 25 + k
                prof_ = profs[n % 4]
                day = base_day + timedelta(days=1 + n // 80)
                slot = (n // 4) % 20
                start = datetime.combine(day, dtime(8), tzinfo=berlin) + timedelta(minutes=30 * slot)
                code, secs = book_job(tokens[n], prof_.user_id, start)()
                codes.append(code)
                lat.append(secs)
            return codes, lat

        return job

    out, wall = run_threads([many(i) for i in range(16)])
    codes = [c for cs, _ in out for c in cs]
    lats = [s for _, ls in out for s in ls]
    results["distinct_slots_16_threads_400_bookings"] = {
        "created": codes.count(201),
        "conflicts": codes.count(409),
        "bookings_per_s": round(codes.count(201) / wall, 1),
        **_percentiles(lats),
    }

    # 3. Slot listing for 31 days of a clinician with ~100 bookings.
    client = ApiClient(token_for(patients[0]))
    t_list = []
    for _ in range(20):
        t0 = time.perf_counter()
        r = client.get(
            f"/api/v1/clinicians/{profs[0].user_id}/slots",
            {"start": base_day.isoformat(), "end": (base_day + timedelta(days=30)).isoformat(), "tz": "America/New_York"},
        )
        t_list.append(time.perf_counter() - t0)
    results["slots_31_days"] = {"slots_returned": len(r.json()["items"]), **_percentiles(t_list)}

    # 4. Reminder sweep: 2000 due rows, one device each, to the local fake Expo (no latency).
    fake = FakeExpo().start()
    from django.conf import settings

    settings.EXPO_PUSH_HOST = fake.url
    users = [UserFactory(role="patient") for _ in range(2000)]
    Device.objects.bulk_create([Device(user=u, token=f"ExponentPushToken[bench{i:08d}xxxx]", platform="ios") for i, u in enumerate(users)])
    now = timezone.now()
    Notification.objects.bulk_create(
        [Notification(user=u, kind="bench", title="Appointment reminder", body="b", dedupe_key=f"bench:{i}", due_at=now, next_attempt_at=now) for i, u in enumerate(users)]
    )
    t0 = time.perf_counter()
    sweep = notif_services.notifications_send_due(max_requests=1000)
    wall = time.perf_counter() - t0
    fake.stop()
    results["sweep_2000_rows"] = {
        "sent": sweep.sent,
        "requests": fake.requests,
        "max_messages_per_request": fake.max_batch,
        "duplicates": len(fake.duplicates()),
        "rows_per_s": round(sweep.sent / wall, 1),
        "seconds": round(wall, 2),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
