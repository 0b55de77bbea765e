"""The upload corpus against /api/v1/screenings and the blog cover: each a clear 4xx under a second, bounded memory, nothing stored.

Prints one line per upload: endpoint, case, status, code, milliseconds, peak RSS growth of this process (MB).
"""

# ruff: noqa: F401, F811
# (pytest fixtures are imported from the server tests' conftests and used as test parameters)
from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from blog.models import Post
from screening.models import Screening
from tests.server.conftest import as_user, clinician, patient
from tests.server.screening.conftest import (  # fixtures: tiny model bundles, settings, memory probe
    bundle_root,
    media_files,
    peak_memory,
    registry,
    screening_settings,
    signing_key_file,
)

MB = 1024 * 1024


def _png_declaring(width: int, height: int) -> bytes:
    """A decompression bomb's shape: a few hundred bytes whose header claims width x height."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b"")


def _encoded(image: Image.Image, fmt: str, **save: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(_encoded(Image.new("RGB", (64, 48), (180, 90, 60)), "JPEG"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 36.0)
    image = Image.effect_noise((640, 480), 40).convert("RGB")
    return _encoded(image, "JPEG", quality=90, exif=exif.tobytes(), comment=b"home-address")


# (case, bytes) -> the screening's (status, code) and the cover's (status, code)
CORPUS = [
    ("bomb_png_20000x20000", lambda: _png_declaring(20_000, 20_000), (422, "photo_too_many_pixels"), (422, "invalid_image")),
    (
        "real_png_12000x12000",
        lambda: _encoded(Image.new("1", (12_000, 12_000), 1), "PNG"),
        (422, "photo_too_many_pixels"),
        (422, "invalid_image"),
    ),
    ("jpeg_declaring_12000x12000", lambda: _jpeg_declaring(12_000, 12_000), (422, "photo_too_many_pixels"), (422, "invalid_image")),
    (
        "png_10000x5000_zeros",
        lambda: _encoded(Image.new("L", (10_000, 5_000)), "PNG"),
        (422, "photo_too_many_pixels"),
        (422, "invalid_image"),
    ),
    (
        "svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"><rect width="9000" height="9000"/></svg>',
        (415, "photo_unsupported_type"),
        (422, "invalid_image"),
    ),
    (
        "truncated_jpeg",
        lambda: _encoded(Image.effect_noise((800, 600), 60).convert("RGB"), "JPEG")[:3000],
        (422, "photo_corrupt"),
        (422, "invalid_image"),
    ),
    ("zero_bytes", lambda: b"", (422, "photo_empty"), (422, "invalid_image")),
    ("body_30mb", lambda: b"\xff\xd8\xff\xe0" + b"\x00" * (30 * MB), (413, "too_large"), (413, "too_large")),
]


def _measure(peak_memory: Any, post: Any) -> tuple[Any, float, int]:
    with peak_memory() as memory:
        started = time.perf_counter()
        response = post()
        elapsed = time.perf_counter() - started
    return response, elapsed, memory.growth


def _report(endpoint: str, case: str, response: Any, elapsed: float, growth: int) -> None:
    code = response.json().get("code", "") if response["Content-Type"].startswith("application/json") else ""
    print(f"{endpoint:9s} {case:28s} {response.status_code} {code:24s} {elapsed * 1000:7.1f} ms  peak RSS +{growth / MB:6.1f} MB")


def _cover_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "blog"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize(("case", "make", "screening", "cover"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_upload_is_a_clear_4xx_fast_with_bounded_memory_and_nothing_stored(
    registry: Any,
    patient: Any,
    clinician: Any,
    as_user: Any,
    media_files: Any,
    peak_memory: Any,
    settings: Any,
    case: str,
    make: Any,
    screening: Any,
    cover: Any,
) -> None:
    # Given a warm process (URLs, modules and the model loaded by one good screening) and a draft post
    patient_client, author = as_user(patient), as_user(clinician)
    good = _encoded(Image.new("RGB", (64, 48), (180, 90, 60)), "JPEG")
    assert (
        patient_client.post_multipart("/api/v1/screenings", {"photo": SimpleUploadedFile("w.jpg", good, "image/jpeg")}).status_code == 201
    )
    slug = author.post("/api/v1/posts", {"title": f"Corpus {case}", "body": "x"}).json()["slug"]
    stored_before = media_files()
    payload = make()

    # When the upload is sent as a screening photo and as a blog cover
    screening_response, screening_s, screening_growth = _measure(
        peak_memory,
        lambda: patient_client.post_multipart("/api/v1/screenings", {"photo": SimpleUploadedFile("lesion.jpg", payload, "image/jpeg")}),
    )
    cover_response, cover_s, cover_growth = _measure(
        peak_memory,
        lambda: author.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": SimpleUploadedFile("cover.png", payload, "image/png")}),
    )
    _report("screening", case, screening_response, screening_s, screening_growth)
    _report("cover", case, cover_response, cover_s, cover_growth)

    # Then each is a clear 4xx in the JSON error shape, under a second, without a large decode, and nothing is stored
    for response, expected, elapsed, growth in (
        (screening_response, screening, screening_s, screening_growth),
        (cover_response, cover, cover_s, cover_growth),
    ):
        assert (response.status_code, response.json()["code"]) == expected, response.content
        assert response.json()["detail"]
        assert elapsed < 1.0
        # In-process, the test client's own copies of the body count too (twice its size); a decoded
        # 20000x20000 bitmap alone would be 1.2 GB, the 10000x5000 PNG cost 440 MB.
        assert growth < 48 * MB + 2 * len(payload), growth
    assert Screening.objects.count() == 1
    assert media_files() == stored_before
    assert not Post.objects.get(slug=slug).cover_image
    assert _cover_files(settings) == []


@pytest.mark.slow
def test_a_jpeg_with_gps_exif_is_accepted_and_stored_without_any_metadata(
    registry: Any, patient: Any, clinician: Any, as_user: Any, media_files: Any, peak_memory: Any, settings: Any
) -> None:
    # Given a phone JPEG carrying GPS coordinates, a camera make and a comment
    payload = _gps_jpeg()
    assert b"PhoneMaker" in payload and b"home-address" in payload
    patient_client, author = as_user(patient), as_user(clinician)
    slug = author.post("/api/v1/posts", {"title": "GPS cover", "body": "x"}).json()["slug"]
    # When it is screened and used as a cover
    screening_response, screening_s, screening_growth = _measure(
        peak_memory,
        lambda: patient_client.post_multipart("/api/v1/screenings", {"photo": SimpleUploadedFile("gps.jpg", payload, "image/jpeg")}),
    )
    cover_response, cover_s, cover_growth = _measure(
        peak_memory,
        lambda: author.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": SimpleUploadedFile("gps.jpg", payload, "image/jpeg")}),
    )
    print(
        f"screening gps_jpeg {screening_response.status_code} {screening_s * 1000:.1f} ms (first screening: loads the model) peak RSS +{screening_growth / MB:.1f} MB"
    )
    print(f"cover     gps_jpeg {cover_response.status_code} {cover_s * 1000:.1f} ms peak RSS +{cover_growth / MB:.1f} MB")
    # Then both are accepted, and neither stored copy carries EXIF, GPS, the make or the comment
    assert screening_response.status_code == 201, screening_response.content
    assert cover_response.status_code == 200, cover_response.content
    [photo] = media_files()
    [cover] = _cover_files(settings)
    for path in (photo, cover):
        raw = path.read_bytes()
        assert b"Exif" not in raw and b"PhoneMaker" not in raw and b"home-address" not in raw
        with Image.open(path) as stored:
            assert len(stored.getexif()) == 0
            assert stored.getexif().get_ifd(0x8825) == {}
            assert "exif" not in stored.info and "comment" not in stored.info
