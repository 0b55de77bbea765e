"""Untrusted photo uploads: sniffed by content, bounded before decode, decoded within a budget, re-encoded without metadata."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from core import images
from core.concurrency import decode_slot
from core.errors import ApplicationError
from core.images import ImageRejected, Rejection, encode_jpeg
from screening.error_codes import ScreeningError

__all__ = ["CleanPhoto", "OpenedPhoto", "decode_photo", "decode_slot", "open_photo", "register_heif"]

logger = logging.getLogger(__name__)

PHOTO_FORMATS = frozenset({"JPEG", "PNG", "HEIF"})
register_heif = images.register_heif

_REJECTION = {
    Rejection.EMPTY: (ScreeningError.PHOTO_EMPTY, 422),
    Rejection.UNSUPPORTED: (ScreeningError.PHOTO_UNSUPPORTED, 415),
    Rejection.TOO_MANY_PIXELS: (ScreeningError.PHOTO_TOO_MANY_PIXELS, 422),
    Rejection.CORRUPT: (ScreeningError.PHOTO_CORRUPT, 422),
}


def max_bytes() -> int:
    return int(settings.SCREENING_MAX_PHOTO_BYTES)


def max_pixels() -> int:
    return int(settings.SCREENING_MAX_PHOTO_PIXELS)


def max_side() -> int:
    return int(settings.SCREENING_MAX_PHOTO_SIDE)


def stored_side() -> int:
    return int(settings.SCREENING_STORED_PHOTO_MAX_SIDE)


def _rejected(exc: ImageRejected) -> ApplicationError:
    code, status = _REJECTION[exc.reason]
    return ApplicationError(exc.message, code=code, status=status)


@dataclass
class OpenedPhoto:
    """An upload whose type and declared size passed the checks; no pixel decoded yet."""

    image: Image.Image
    sha256: str  # of the uploaded bytes
    source_format: str


@dataclass
class CleanPhoto:
    """A decoded upload: what the model is fed from and what is stored (as `.jpeg`) are these pixels."""

    image: Image.Image  # oriented RGB pixels, no metadata, at most SCREENING_STORED_PHOTO_MAX_SIDE a side
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


def open_photo(data: bytes, *, sha256: str | None = None) -> OpenedPhoto:
    """Identify by content and check the declared size before any pixel is decoded (cheap: no decode slot)."""
    limit = max_bytes()
    if len(data) > limit:
        raise ApplicationError(f"The photo is {len(data)} bytes; the limit is {limit}.", code=ScreeningError.PHOTO_TOO_LARGE, status=413)
    try:
        image = images.open_untrusted(data, max_pixels=max_pixels(), max_side=max_side(), formats=PHOTO_FORMATS)
    except ImageRejected as exc:
        raise _rejected(exc) from exc
    return OpenedPhoto(image=image, sha256=sha256 or hashlib.sha256(data).hexdigest(), source_format=str(image.format))


def decode_photo(opened: OpenedPhoto) -> CleanPhoto:
    """Decode within the memory budget, at most SCREENING_STORED_PHOTO_MAX_SIDE a side (a larger photo is
    decoded at a reduced scale or shrunk right after decoding); corrupt data is a 422. Hold a
    `decode_slot()` around this and every use of the bitmap, up to `release_pixels()`."""
    try:
        pixels = images.decode_upright(opened.image, max_side=stored_side())
    except ImageRejected as exc:
        opened.image.close()
        raise _rejected(exc) from exc
    if pixels is not opened.image:
        opened.image.close()  # the full-size decode, when a smaller copy was made from it
    return CleanPhoto(image=pixels, sha256=opened.sha256, width=pixels.width, height=pixels.height, source_format=opened.source_format)
