"""Photos are decoded within a memory budget: reduced-scale JPEG decodes, a lower cap for whole decodes, bounded concurrent decodes."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

from PIL import Image

from core.concurrency import decode_slot
from screening.models import Screening
from tests.server.screening.conftest import upload


def _encoded(image: Image.Image, fmt: str, **save: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def _post(client: Any, data: bytes) -> Any:
    return client.post_multipart("/api/v1/screenings", {"photo": upload(data, "lesion.bin", "application/octet-stream")})


def _warm(client: Any) -> None:
    """Import everything and load the model once, so the measured block is one upload's own cost."""
    assert _post(client, _encoded(Image.new("RGB", (64, 48), (180, 90, 60)), "JPEG")).status_code == 201


def test_small_png_declaring_10000x5000_zeros_is_refused_fast_without_a_decode(
    registry: Any, patient: Any, as_user: Any, media_files: Any, peak_memory: Any
) -> None:
    # Given the upload: a 48 KB PNG of 10000x5000 zeros (it cost 440 MB to decode)
    data = _encoded(Image.new("L", (10_000, 5_000)), "PNG")
    assert len(data) < 64 * 1024
    client = as_user(patient)
    _warm(client)
    # When it is posted
    with peak_memory() as memory:
        started = time.perf_counter()
        response = _post(client, data)
        elapsed = time.perf_counter() - started
    # Then it is refused from its header (PNG is decoded whole, so its cap is the lower one), fast, and nothing stored
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "photo_too_many_pixels"
    assert "16,000,000" in response.json()["detail"]
    assert elapsed < 1.0
    assert memory.growth < 32 * 1024 * 1024
    assert Screening.objects.count() == 1
    assert len(media_files()) == 1


def test_a_50_megapixel_jpeg_is_screened_from_a_reduced_scale_decode(
    registry: Any, patient: Any, as_user: Any, media_files: Any, peak_memory: Any
) -> None:
    # Given a 10000x5000 baseline JPEG (a full decode alone is 150 MB, and cost 477 MB before)
    data = _encoded(Image.new("RGB", (10_000, 5_000), (180, 90, 60)), "JPEG", quality=85)
    client = as_user(patient)
    _warm(client)
    # When it is screened
    with peak_memory() as memory:
        response = _post(client, data)
    # Then it is accepted, stored at the stored-photo size, and the process grew by a fraction of one full decode
    assert response.status_code == 201, response.content
    assert (response.json()["photo_width"], response.json()["photo_height"]) == (2048, 1024)
    assert memory.growth < 80 * 1024 * 1024, memory.growth
    assert (2048, 1024) in {Image.open(path).size for path in media_files()}


def test_the_largest_accepted_png_stays_within_its_decode_budget(registry: Any, patient: Any, as_user: Any, peak_memory: Any) -> None:
    # Given an RGBA PNG at the full-decode cap (4000x4000 = 16 MP; it cost about 600 MB before)
    data = _encoded(Image.new("RGBA", (4000, 4000), (10, 200, 30, 128)), "PNG")
    client = as_user(patient)
    _warm(client)
    with peak_memory() as memory:
        response = _post(client, data)
    assert response.status_code == 201, response.content
    assert (response.json()["photo_width"], response.json()["photo_height"]) == (2048, 2048)
    assert memory.growth < 230 * 1024 * 1024, memory.growth


def test_a_large_rotated_jpeg_is_stored_upright_at_the_stored_size(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    # Given a 4000x2000 JPEG whose EXIF says "turn 90 degrees clockwise", red in its stored top-left quarter
    exif = Image.Exif()
    exif[0x0112] = 6
    source = Image.new("RGB", (4000, 2000), (20, 20, 220))
    source.paste((220, 20, 20), (0, 0, 2000, 1000))
    client = as_user(patient)
    # When it is screened
    response = _post(client, _encoded(source, "JPEG", quality=90, exif=exif.tobytes()))
    # Then the stored copy is portrait, 1024x2048, with the red quarter now top-right, and no EXIF
    assert response.status_code == 201, response.content
    assert (response.json()["photo_width"], response.json()["photo_height"]) == (1024, 2048)
    [path] = media_files()
    with Image.open(path) as stored:
        assert stored.size == (1024, 2048)
        assert len(stored.getexif()) == 0
        red = stored.getpixel((800, 300))
        blue = stored.getpixel((200, 300))
    assert isinstance(red, tuple) and red[0] > 180 and red[2] < 80
    assert isinstance(blue, tuple) and blue[2] > 180 and blue[0] < 80


def test_when_every_decode_slot_stays_busy_the_upload_gets_503_with_retry_after(
    registry: Any, patient: Any, as_user: Any, media_files: Any, settings: Any
) -> None:
    # Given one decode slot per process, no waiting, and that slot held by another upload
    settings.IMAGE_DECODE_SLOTS = 1
    settings.IMAGE_DECODE_WAIT_SECONDS = 0
    client = as_user(patient)
    photo = _encoded(Image.new("RGB", (64, 48), (180, 90, 60)), "JPEG")
    with decode_slot():
        # When a photo is posted
        busy = _post(client, photo)
        # And a bomb is still refused from its header (no slot needed for that)
        bomb = _post(client, _encoded(Image.new("1", (12_000, 12_000)), "PNG"))
    # Then a clear 503 the client can retry, nothing stored; the bomb is its usual 422
    assert busy.status_code == 503, busy.content
    assert busy.json()["code"] == "busy"
    assert int(busy["Retry-After"]) > 0
    assert bomb.status_code == 422
    assert Screening.objects.count() == 0
    assert media_files() == []
    # And once the slot is free the same photo is screened
    assert _post(client, photo).status_code == 201


def test_decode_slots_bound_concurrent_decodes_across_real_threads(settings: Any) -> None:
    # Given two decode slots and a patient wait, and 8 threads that each hold a slot for a while
    settings.IMAGE_DECODE_SLOTS = 2
    settings.IMAGE_DECODE_WAIT_SECONDS = 30
    inside, most, lock = 0, 0, threading.Lock()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def decode() -> None:
        nonlocal inside, most
        try:
            start.wait()
            with decode_slot():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.05)
                with lock:
                    inside -= 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=decode) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then all 8 got a slot in turn, never more than 2 at once
    assert errors == []
    assert most == 2
