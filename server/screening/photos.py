"""Untrusted photo uploads: sniffed by content, bounded before decode, re-encoded without metadata."""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from core.errors import ApplicationError
from core.images import encode_jpeg, upright_rgb
from screening.error_codes import ScreeningError

logger = logging.getLogger(__name__)

_HEIF_REGISTERED = False
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def register_heif() -> bool:
    """Let Pillow open HEIC (iPhone photos) when pillow-heif is installed."""
    global _HEIF_REGISTERED
    if _HEIF_REGISTERED:
        return True
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    _HEIF_REGISTERED = True
    return True


def max_bytes() -> int:
    return int(settings.SCREENING_MAX_PHOTO_BYTES)


def max_pixels() -> int:
    return int(settings.SCREENING_MAX_PHOTO_PIXELS)


def max_side() -> int:
    return int(settings.SCREENING_MAX_PHOTO_SIDE)


def sniff(data: bytes) -> str | None:
    """The container by its magic bytes, never by name or Content-Type."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


@dataclass
class CleanPhoto:
    image: Image.Image  # oriented RGB pixels, no metadata
    sha256: str  # of the uploaded bytes
    width: int
    height: int
    source_format: str
    _jpeg: bytes | None = None

    @property
    def jpeg(self) -> bytes:
        """What is stored: a JPEG encoded from the pixels alone (encoded once, on first use)."""
        if self._jpeg is None:
            self._jpeg = encode_jpeg(self.image, quality=int(settings.SCREENING_PHOTO_JPEG_QUALITY))
        return self._jpeg

    def release_pixels(self) -> None:
        """Free the decoded bitmap once the tensor and the stored JPEG exist."""
        self.jpeg  # noqa: B018
        self.image.close()


def _error(message: str, code: ScreeningError, status: int) -> ApplicationError:
    return ApplicationError(message, code=code, status=status)


def open_checked(data: bytes) -> tuple[Image.Image, str]:
    """Identify by content and check the declared size before any pixel is decoded."""
    if not data:
        raise _error("The photo is empty (0 bytes).", ScreeningError.PHOTO_EMPTY, 422)
    limit = max_bytes()
    if len(data) > limit:
        raise _error(f"The photo is {len(data)} bytes; the limit is {limit}.", ScreeningError.PHOTO_TOO_LARGE, 413)
    kind = sniff(data)
    if kind is None:
        raise _error("Unsupported photo type: send a JPEG, PNG or HEIC image.", ScreeningError.PHOTO_UNSUPPORTED, 415)
    if kind == "HEIF" and not register_heif():
        raise _error("HEIC photos are not supported on this server; send a JPEG or PNG.", ScreeningError.PHOTO_UNSUPPORTED, 415)
    formats = {"JPEG": ["JPEG"], "PNG": ["PNG"], "HEIF": ["HEIF"]}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)  # header only: no pixels yet
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _error(
            f"The photo declares too many pixels; the limit is {max_pixels():,} pixels and {max_side()} per side.",
            ScreeningError.PHOTO_TOO_MANY_PIXELS,
            422,
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _error(f"The photo could not be read as a {kind} image (corrupt or truncated).", ScreeningError.PHOTO_CORRUPT, 422) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _error("The photo has no pixels.", ScreeningError.PHOTO_CORRUPT, 422)
    if width > max_side() or height > max_side() or width * height > max_pixels():
        raise _error(
            f"The photo is {width}x{height} pixels; the limit is {max_pixels():,} pixels and {max_side()} per side.",
            ScreeningError.PHOTO_TOO_MANY_PIXELS,
            422,
        )
    return image, kind


def decode(image: Image.Image, kind: str) -> Image.Image:
    """Decode the pixels, apply EXIF orientation, return RGB without metadata; corrupt or truncated data is a 422."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            rgb = upright_rgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _error("The photo declares too many pixels.", ScreeningError.PHOTO_TOO_MANY_PIXELS, 422) from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise _error(f"The photo could not be decoded as a {kind} image (corrupt or truncated).", ScreeningError.PHOTO_CORRUPT, 422) from exc
    return rgb


def clean_photo(data: bytes, *, sha256: str | None = None) -> CleanPhoto:
    """Validate and decode an upload; `.jpeg` re-encodes it from pixels: no EXIF, GPS, XMP, ICC or comments survive."""
    image, kind = open_checked(data)
    pixels = decode(image, kind)
    return CleanPhoto(
        image=pixels,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        width=pixels.width,
        height=pixels.height,
        source_format=kind,
    )
