"""8 concurrent largest-accepted uploads against a real server process keep its peak memory under 1.5 GB; full decode slots answer 503 + Retry-After.

Prints, per kind of upload: the statuses, the worker's resident memory before, its peak (VmHWM) and after.
"""

# ruff: noqa: F401, F811
# (pytest fixtures are imported from the server tests' conftests and used as test parameters)
from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from tests.reliability.live_server import COMMITTED_ARTIFACTS, LiveServer, start_server
from tests.server.screening.conftest import bundle_root  # fixture: tiny model bundles

MiB = 1024 * 1024
LIMIT = 1_500_000_000  # bytes: the 1.5 GB for the web process


def _encoded(image: Image.Image, fmt: str, **save: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


# The most expensive uploads the server accepts, one kind at a time: PNG, progressive JPEG (both decoded
# whole: IMAGE_MAX_DECODE_PIXELS, 16 MP) and a 50 MP baseline JPEG (SCREENING_MAX_PHOTO_PIXELS, decoded at 1/4 scale).
LARGEST = [
    ("png_rgba_4000x4000", lambda: _encoded(Image.new("RGBA", (4000, 4000), (200, 120, 90, 160)), "PNG")),
    ("progressive_jpeg_4000x4000", lambda: _encoded(Image.new("RGB", (4000, 4000), (200, 120, 90)), "JPEG", progressive=True)),
    ("baseline_jpeg_10000x5000", lambda: _encoded(Image.new("RGB", (10_000, 5_000), (200, 120, 90)), "JPEG", quality=90)),
]


def _burst(server: LiveServer, data: bytes, n: int = 8) -> list[requests.Response]:
    """`n` screenings of `data` at once, each from its own thread and connection."""
    responses: list[requests.Response] = []
    lock, start = threading.Lock(), threading.Barrier(n)

    def post() -> None:
        start.wait()
        response = requests.post(
            f"{server.url}/api/v1/screenings",
            files={"photo": ("lesion", data, "application/octet-stream")},
            headers=server.headers(),
            timeout=120,
        )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _stored(server: LiveServer) -> int:
    return int(server.sql("SELECT COUNT(*) FROM screening_screening")[0][0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[LiveServer]:
    """The committed production model in one gunicorn worker with the default limits."""
    live = start_server(tmp_path_factory.mktemp("upload-memory"), artifacts=COMMITTED_ARTIFACTS)
    yield live
    live.stop()


@pytest.mark.slow
def test_eight_concurrent_largest_accepted_uploads_keep_the_web_process_under_1_5_gb(server: LiveServer) -> None:
    # Given a warm worker holding the production model
    start_rss = server.rss()
    print(f"\nworker {server.pid}: RSS after start and warm-up {start_rss / MiB:.0f} MiB (limit {LIMIT / MiB:.0f} MiB)")
    for case, make in LARGEST:
        data = make()
        before_rows = _stored(server)
        server.reset_peak()
        before = server.rss()
        # When 8 of them are posted at once
        started = time.perf_counter()
        responses = _burst(server, data)
        elapsed = time.perf_counter() - started
        peak = server.peak_rss()
        statuses = sorted(r.status_code for r in responses)
        print(
            f"{case:28s} {len(data) / 1024:7.0f} KiB x8: {statuses} in {elapsed:4.1f} s; "
            f"RSS before {before / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB, after {server.rss() / MiB:.0f} MiB"
        )
        # Then the worker's peak stays under 1.5 GB, each upload is screened or told to retry, never a 5xx otherwise
        assert peak < LIMIT, f"{case}: peak {peak / MiB:.0f} MiB"
        assert set(statuses) <= {201, 503}, [r.text for r in responses if r.status_code not in (201, 503)]
        for response in responses:
            if response.status_code == 503:
                assert response.json()["code"] == "busy" and int(response.headers["Retry-After"]) > 0
        assert statuses.count(201) >= 2
        assert _stored(server) - before_rows == statuses.count(201)


@pytest.mark.slow
def test_when_the_decode_slots_are_full_uploads_get_503_with_retry_after(tmp_path: Path, bundle_root: Path) -> None:
    # Given a worker with one decode slot and no waiting for it (the tiny test model: this is about the slots)
    server = start_server(
        tmp_path / "one-slot", artifacts=bundle_root, extra_env={"IMAGE_DECODE_SLOTS": "1", "IMAGE_DECODE_WAIT_SECONDS": "0"}
    )
    try:
        data = LARGEST[0][1]()
        server.reset_peak()
        before = server.rss()
        # When 8 of the largest PNGs arrive at once
        responses = _burst(server, data)
        statuses = sorted(r.status_code for r in responses)
        busy = [r for r in responses if r.status_code == 503]
        print(
            f"\none decode slot, no wait: {statuses}; Retry-After {sorted({r.headers.get('Retry-After') for r in busy})}; "
            f"RSS before {before / MiB:.0f} MiB, peak {server.peak_rss() / MiB:.0f} MiB"
        )
        # Then those that found the slot taken get a clear 503 busy with Retry-After, the others are screened,
        # and only the screened ones left a row and a photo
        assert busy, statuses
        assert set(statuses) <= {201, 503}
        for response in busy:
            assert response.json() == {"detail": response.json()["detail"], "code": "busy"}
            assert int(response.headers["Retry-After"]) > 0
        assert _stored(server) == statuses.count(201) >= 1
        assert len(server.media_files()) == statuses.count(201)
    finally:
        server.stop()
