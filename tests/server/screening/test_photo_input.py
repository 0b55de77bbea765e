"""Bad photos: each a clear 4xx, fast, with bounded memory, and nothing stored; good photos lose all metadata."""

from __future__ import annotations

import io
import struct
import time
import zlib
from typing import Any

import pytest
from PIL import Image

from screening.models import Screening
from tests.server.screening.conftest import image_bytes, upload


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG with its SOF0 frame header patched to claim width x height."""
    data = bytearray(image_bytes("JPEG", (64, 48)))
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _post(client: Any, data: bytes, name: str = "lesion.jpg", content_type: str = "image/jpeg") -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post_multipart("/api/v1/screenings", {"photo": upload(data, name, content_type)})
    return response, time.perf_counter() - started


BAD_INPUTS = [
    ("corrupt_jpeg", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, "lesion.jpg", "image/jpeg", 422, "photo_corrupt"),
    ("truncated_jpeg", lambda: image_bytes("JPEG", (400, 300))[:900], "lesion.jpg", "image/jpeg", 422, "photo_corrupt"),
    ("empty_file", lambda: b"", "lesion.jpg", "image/jpeg", 422, "photo_empty"),
    ("png_declaring_20000x20000", lambda: _png_declaring(20000, 20000), "lesion.png", "image/png", 422, "photo_too_many_pixels"),
    ("jpeg_declaring_12000x12000", lambda: _jpeg_declaring(12000, 12000), "lesion.jpg", "image/jpeg", 422, "photo_too_many_pixels"),
    ("svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>', "lesion.svg", "image/svg+xml", 415, "photo_unsupported_type"),
    ("text_named_jpg", lambda: b"this is not a picture at all\n" * 10, "lesion.jpg", "image/jpeg", 415, "photo_unsupported_type"),
    ("gif", lambda: image_bytes("GIF"), "lesion.gif", "image/gif", 415, "photo_unsupported_type"),
    ("png_header_jpeg_body", lambda: b"\x89PNG\r\n\x1a\n" + image_bytes("JPEG")[8:], "lesion.png", "image/png", 422, "photo_corrupt"),
]


@pytest.mark.parametrize(("data", "name", "content_type", "status", "code"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_photo_is_a_clear_4xx_fast_with_bounded_memory_and_nothing_stored(
    registry: Any, patient: Any, as_user: Any, media_files: Any, peak_memory: Any, data: Any, name: str, content_type: str, status: int, code: str
) -> None:
    # Given a patient, an active model and a warm process (URLs and modules imported)
    client = as_user(patient)
    assert client.get("/api/v1/screenings").status_code == 200
    payload = data()
    # When the bad photo is posted
    with peak_memory() as memory:
        response, elapsed = _post(client, payload, name, content_type)
    # Then a clear error, quickly, without decoding a huge bitmap, and nothing is stored
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert elapsed < 1.0
    assert memory.growth < 32 * 1024 * 1024  # a decoded 20000x20000 bitmap alone would be 1.2 GB
    assert Screening.objects.count() == 0
    assert media_files() == []


def test_real_12000x12000_png_is_refused_before_decoding(registry: Any, patient: Any, as_user: Any, media_files: Any, peak_memory: Any) -> None:
    # Given a genuine 12000x12000 image (1-bit, so the test itself stays small)
    out = io.BytesIO()
    Image.new("1", (12000, 12000), 1).save(out, format="PNG")
    client = as_user(patient)
    assert client.get("/api/v1/screenings").status_code == 200
    # When it is posted
    with peak_memory() as memory:
        response, elapsed = _post(client, out.getvalue(), "big.png", "image/png")
    # Then it is refused from its header: no 144-megapixel decode
    assert response.status_code == 422
    assert response.json()["code"] == "photo_too_many_pixels"
    assert "too many pixels" in response.json()["detail"]
    assert elapsed < 1.0
    assert memory.growth < 32 * 1024 * 1024
    assert media_files() == []


def test_30mb_body_is_refused_with_413(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    payload = b"\xff\xd8\xff\xe0" + b"\x00" * (30 * 1024 * 1024)
    response, elapsed = _post(as_user(patient), payload)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert elapsed < 1.0
    assert Screening.objects.count() == 0
    assert media_files() == []


def test_photo_over_the_photo_limit_but_under_the_body_limit_is_413(registry: Any, patient: Any, as_user: Any, settings: Any) -> None:
    settings.SCREENING_MAX_PHOTO_BYTES = 100_000
    payload = b"\xff\xd8\xff\xe0" + b"\x00" * 200_000
    response, _ = _post(as_user(patient), payload)
    assert response.status_code == 413
    assert response.json()["code"] == "photo_too_large"
    assert Screening.objects.count() == 0


def test_missing_photo_field_is_422(registry: Any, patient: Any, as_user: Any) -> None:
    response = as_user(patient).post_multipart("/api/v1/screenings", {"note": "left arm"})
    assert response.status_code == 422
    assert "photo" in response.json()["detail"]
    assert Screening.objects.count() == 0


def _exif_with_gps_and_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    return exif.tobytes()


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description secret="home-address"/></rdf:RDF></x:xmpmeta>'


@pytest.mark.parametrize(("orientation", "stored_size"), [(6, (40, 80)), (1, (80, 40))], ids=["rotated", "upright"])
def test_stored_photo_has_no_exif_gps_or_xmp_and_orientation_is_applied(
    registry: Any, patient: Any, as_user: Any, media_files: Any, orientation: int, stored_size: tuple[int, int]
) -> None:
    # Given a 80x40 landscape JPEG with an orientation tag, GPS, a camera make, XMP, an ICC profile and a comment
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = image_bytes("JPEG", (80, 40), exif=_exif_with_gps_and_orientation(orientation), xmp=XMP, comment=b"secret comment", icc_profile=icc)
    assert b"Exif" in original and b"home-address" in original and b"ICC_PROFILE" in original
    client = as_user(patient)
    # When it is screened
    response, _ = _post(client, original)
    assert response.status_code == 201, response.content
    body = response.json()
    # Then the stored photo is upright and carries no metadata at all
    assert (body["photo_width"], body["photo_height"]) == stored_size
    [stored] = media_files()
    raw = stored.read_bytes()
    for marker in (b"Exif", b"home-address", b"http://ns.adobe.com/xap", b"PhoneMaker", b"secret comment", b"ICC_PROFILE"):
        assert marker not in raw
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert image.size == stored_size
        assert "icc_profile" not in image.info
        assert len(image.getexif()) == 0
        assert "xmp" not in image.info and "exif" not in image.info and "comment" not in image.info
    # And the owner can download exactly that cleaned photo
    photo = client.get(body["photo_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content) == raw


def test_png_with_alpha_and_text_chunks_is_accepted_and_cleaned(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    from PIL import PngImagePlugin

    image = Image.new("RGBA", (50, 70), (200, 100, 50, 128))
    text = PngImagePlugin.PngInfo()
    text.add_text("Location", "52.5200 N, 13.4050 E")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=text)
    response, _ = _post(as_user(patient), out.getvalue(), "x.bin", "application/octet-stream")
    assert response.status_code == 201
    assert (response.json()["photo_width"], response.json()["photo_height"]) == (50, 70)
    [stored] = media_files()
    assert b"52.5200" not in stored.read_bytes()


def test_heic_is_accepted_when_pillow_heif_can_encode(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    try:
        Image.new("RGB", (64, 48), (120, 60, 40)).save(out, format="HEIF")
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"this pillow-heif build cannot encode HEIC: {exc}")
    # When an iPhone-style HEIC is sent under a misleading name
    response, _ = _post(as_user(patient), out.getvalue(), "IMG_0001.jpg", "image/jpeg")
    # Then it is identified by content, screened, and stored as a clean JPEG
    assert response.status_code == 201, response.content
    [stored] = media_files()
    with Image.open(stored) as image:
        assert image.format == "JPEG"
