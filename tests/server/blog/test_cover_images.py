"""Blog covers go through core.images like photos: header-checked, decoded within a budget, a decode slot each."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from blog.models import Post
from core.concurrency import decode_slot


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 90)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def _upload_cover(client: Any, slug: str, data: bytes) -> Any:
    return client.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": SimpleUploadedFile("cover.png", data, "image/png")})


def test_a_cover_bomb_is_a_422_even_where_pillows_bomb_warning_has_become_an_error(as_user: Any, clinician: Any) -> None:
    # Given the state racing warnings.catch_warnings() in concurrent screenings used to leave behind:
    # Pillow's DecompressionBombWarning turned into an error for the whole process
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Bomb", "body": "x"}).json()["slug"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # When a cover declaring 100 megapixels (past Pillow's own 89 MP warning) is uploaded
        response = _upload_cover(client, slug, _png_declaring(10_000, 10_000))
    # Then it is refused from its header with the JSON error shape, not a 500
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_image"
    assert "too many pixels" in response.json()["detail"]
    assert not Post.objects.get(slug=slug).cover_image


def test_a_large_jpeg_cover_is_stored_at_most_2000_a_side(as_user: Any, clinician: Any) -> None:
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Wide", "body": "x"}).json()["slug"]
    response = _upload_cover(client, slug, _jpeg((8000, 4000)))
    assert response.status_code == 200, response.content
    with Post.objects.get(slug=slug).cover_image.open("rb") as stored:
        assert Image.open(stored).size == (2000, 1000)


def test_a_cover_waiting_for_a_busy_decode_slot_gets_503_with_retry_after(as_user: Any, clinician: Any, settings: Any) -> None:
    # Given one decode slot, no waiting, and the slot taken by another upload
    settings.IMAGE_DECODE_SLOTS = 1
    settings.IMAGE_DECODE_WAIT_SECONDS = 0
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Busy", "body": "x"}).json()["slug"]
    with decode_slot():
        busy = _upload_cover(client, slug, _jpeg((64, 32)))
    # Then a 503 busy with Retry-After and no cover; once free, the same upload works
    assert busy.status_code == 503, busy.content
    assert busy.json()["code"] == "busy"
    assert int(busy["Retry-After"]) > 0
    assert not Post.objects.get(slug=slug).cover_image
    assert _upload_cover(client, slug, _jpeg((64, 32))).status_code == 200
