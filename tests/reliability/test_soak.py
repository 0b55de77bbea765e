"""Many screenings against a real server process keep its resident memory flat after warm-up.

SOAK_REQUESTS (default 2000, about 3 minutes here) screenings are posted from SOAK_CLIENTS (4) threads, each
its own keep-alive connection, to one gunicorn worker holding the committed production model. Prints RSS at
start, after warm-up (the first 10 %, at least 100: every batch size and code path seen) and at the end, and
the least-squares slope of RSS over the requests after warm-up.
"""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from tests.reliability.live_server import COMMITTED_ARTIFACTS, LiveServer, start_server

MiB = 1024 * 1024
REQUESTS = int(os.environ.get("SOAK_REQUESTS", "2000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))
SAMPLE_EVERY = max(10, REQUESTS // 100)


def _photos(n: int = 16) -> list[bytes]:
    """Distinct phone-like photos (noise over a skin tone, 1024x768), so each screening decodes real pixels."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(n):
        base = np.array([190, 140, 110], dtype=np.int16) + rng.integers(-40, 40, size=3)
        pixels = np.clip(base + rng.normal(0, 25, size=(768, 1024, 3)), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("soak"), artifacts=COMMITTED_ARTIFACTS)
    yield live
    live.stop()


@pytest.mark.slow
def test_memory_stays_flat_over_many_screenings(server: LiveServer) -> None:
    # Given a warm worker and a set of photos
    photos = _photos()
    start_rss = server.rss()
    samples: list[tuple[int, int]] = []  # (requests done, RSS)
    done, retried, failures, lock = 0, 0, [], threading.Lock()
    next_index = iter(range(REQUESTS))

    def client() -> None:
        nonlocal done, retried
        session = requests.Session()
        session.headers.update(server.headers())
        for i in next_index:  # shared iterator: the threads split the requests between them
            photo = {"photo": ("lesion.jpg", photos[i % len(photos)], "image/jpeg")}
            key = {"Idempotency-Key": str(uuid.uuid4())}  # a retry after a dropped connection cannot double a row
            response: requests.Response | str = "no response"
            for attempt in range(3):
                try:
                    response = session.post(f"{server.url}/api/v1/screenings", files=photo, headers=key, timeout=60)
                    break
                except requests.ConnectionError as exc:  # an idle keep-alive connection the server closed: reconnect
                    response = f"connection error: {exc}"
                    with lock:
                        retried += 1
                    session.close()
            with lock:
                done += 1
                if not isinstance(response, requests.Response) or response.status_code != 201:
                    failures.append(response if isinstance(response, str) else (response.status_code, response.text[:200]))
                if done % SAMPLE_EVERY == 0:
                    samples.append((done, server.rss()))

    # When REQUESTS screenings are posted by CLIENTS threads
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    end_rss = server.rss()

    warm = max(100, REQUESTS // 10)
    after_warm = [(n, rss) for n, rss in samples if n >= warm]
    warm_rss = after_warm[0][1]
    xs = np.array([n for n, _ in after_warm], dtype=float)
    ys = np.array([rss for _, rss in after_warm], dtype=float) / MiB
    slope = float(np.polyfit(xs, ys, 1)[0]) * 1000 if len(after_warm) > 2 else 0.0
    print(
        f"\nsoak: {REQUESTS} screenings, {CLIENTS} clients, {elapsed:.0f} s ({REQUESTS / elapsed:.1f}/s); worker RSS start "
        f"{start_rss / MiB:.0f} MiB, after warm-up ({warm}) {warm_rss / MiB:.0f} MiB, end {end_rss / MiB:.0f} MiB, "
        f"peak {server.peak_rss() / MiB:.0f} MiB; slope after warm-up {slope:+.2f} MiB per 1000 requests; "
        f"{retried} reconnects, {len(failures)} failures"
    )
    # Then every screening succeeded and stored its row, and memory after warm-up grew by less than 50 MB
    assert failures == []
    assert int(server.sql("SELECT COUNT(*) FROM screening_screening")[0][0]) == REQUESTS
    assert end_rss - warm_rss < 50 * MiB
    assert max(rss for _, rss in after_warm) - warm_rss < 50 * MiB
