"""Untrusted images for every app: sized from their header before any decode, decoded within a memory budget, re-encoded from pixels alone.

Nothing here touches process-wide state per request: no ``Image.MAX_IMAGE_PIXELS`` assignment and no
``warnings`` filters. The pixel count is read from the file's own header (our parser for JPEG, PNG
and WebP; libheif's container parser for HEIF) and checked before Pillow opens it, so Pillow's
decompression-bomb check (about 89 MP) is never reached. JPEGs are decoded at a reduced DCT scale
(``draft``) when they are much larger than what is kept; what can only be decoded whole (PNG, WebP,
HEIF, progressive JPEG) has a lower pixel cap (``IMAGE_MAX_DECODE_PIXELS``).
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Collection
from enum import StrEnum

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from lesion_contract.preprocess import to_rgb

EXIF_ORIENTATION = 0x0112
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
ALL_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
# Formats Pillow can only decode whole (no reduced-scale decode), so their pixel cap is the lower one.
FULL_DECODE_FORMATS = frozenset({"PNG", "WEBP", "HEIF"})
# JPEG start-of-frame markers (every SOFn except DHT C4, JPG C8 and DAC CC): they carry the size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    MemoryError,
    Image.DecompressionBombError,
)

_heif_registered = False


class Rejection(StrEnum):
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    TOO_MANY_PIXELS = "too_many_pixels"
    CORRUPT = "corrupt"


class ImageRejected(ValueError):
    """An upload that is not an image we decode: each app maps `reason` to its own error code and status."""

    def __init__(self, message: str, *, reason: Rejection) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def register_heif() -> bool:
    """Let Pillow open HEIC (iPhone photos) when pillow-heif is installed (once, at app start)."""
    global _heif_registered
    if _heif_registered:
        return True
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    _heif_registered = True
    return True


def max_decode_pixels() -> int:
    """The pixel cap for formats that are decoded whole (PNG, WebP, HEIF)."""
    return int(settings.IMAGE_MAX_DECODE_PIXELS)


def sniff(data: bytes) -> str | None:
    """The container by its magic bytes, never by name or Content-Type."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _corrupt(kind: str) -> ImageRejected:
    return ImageRejected(f"The image could not be read as a {kind} image (corrupt or truncated).", reason=Rejection.CORRUPT)


def _jpeg_frame(data: bytes) -> tuple[int, int, int]:
    """(width, height, SOF marker) from the first start-of-frame segment, walking the segments before the scan."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        i += 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            break
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            break
        if marker in _JPEG_SOF:
            if i + 7 > n:
                break
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return width, height, marker
        i += length
    raise _corrupt("JPEG")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    width, height, _ = _jpeg_frame(data)
    return width, height


def needs_full_decode(data: bytes, kind: str) -> bool:
    """Whether decoding holds the whole image at full size: PNG, WebP, HEIF, and a JPEG that is not
    baseline (progressive, lossless or arithmetic-coded: libjpeg keeps every DCT coefficient of the
    whole image, about 2 bytes per sample, whatever the output scale)."""
    if kind == "JPEG":
        return _jpeg_frame(data)[2] not in (0xC0, 0xC1)
    return kind in FULL_DECODE_FORMATS


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise _corrupt("PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    raise _corrupt("WebP")


def _heif_size(data: bytes) -> tuple[int, int]:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data))  # parses the container; decodes nothing
        return tuple(heif.size)  # type: ignore[return-value]
    except (RuntimeError, ValueError, OSError) as exc:
        raise _corrupt("HEIF") from exc


def header_size(data: bytes, kind: str) -> tuple[int, int]:
    """The (width, height) the file declares, read from its header without decoding any pixel."""
    return {"JPEG": _jpeg_size, "PNG": _png_size, "WEBP": _webp_size, "HEIF": _heif_size}[kind](data)


def _names(formats: Collection[str]) -> str:
    names = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}
    listed = [names[f] for f in ("JPEG", "PNG", "WEBP", "HEIF") if f in formats]
    return ", ".join(listed[:-1]) + " or " + listed[-1] if len(listed) > 1 else listed[0]


def open_untrusted(data: bytes, *, max_pixels: int, max_side: int | None = None, formats: Collection[str] = ALL_FORMATS) -> Image.Image:
    """Open an upload for decoding: its type by content, its size from its header and checked first.

    `max_pixels` (and `max_side`) bound what the file may declare; PNG, WebP and HEIF, which are decoded
    whole, are also held to IMAGE_MAX_DECODE_PIXELS. Returns an opened image with no pixel decoded yet
    (decode it with `decode_upright`). Raises `ImageRejected`; touches no process-wide state."""
    if not data:
        raise ImageRejected("The image is empty (0 bytes).", reason=Rejection.EMPTY)
    kind = sniff(data)
    if kind is None or kind not in formats:
        raise ImageRejected(f"Unsupported image type: send a {_names(formats)} image.", reason=Rejection.UNSUPPORTED)
    if kind == "HEIF" and not register_heif():
        raise ImageRejected("HEIC images are not supported on this server; send a JPEG or PNG.", reason=Rejection.UNSUPPORTED)
    width, height = header_size(data, kind)
    if width <= 0 or height <= 0:
        raise ImageRejected("The image has no pixels.", reason=Rejection.CORRUPT)
    full_decode = needs_full_decode(data, kind)
    pixel_cap = min(max_pixels, max_decode_pixels()) if full_decode else max_pixels
    side_cap = max_side or max(width, height)
    if width * height > pixel_cap or max(width, height) > side_cap:
        what = "a progressive JPEG" if kind == "JPEG" and full_decode else _names([kind])
        side = f" and {max_side} per side" if max_side else ""
        raise ImageRejected(
            f"The image is {width}x{height} pixels, too many pixels: the limit for {what} is {pixel_cap:,} pixels{side}.",
            reason=Rejection.TOO_MANY_PIXELS,
        )
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])  # header only: no pixels yet
    except _DECODE_ERRORS as exc:
        raise _corrupt(_names([kind])) from exc
    if image.size != (width, height):  # Pillow read another header than ours: do not trust either
        image.close()
        raise _corrupt(_names([kind]))
    return image


def _strip(image: Image.Image) -> Image.Image:
    image.info = {}
    image._exif = None  # else getexif() would hand back the parsed original
    return image


def upright_rgb(image: Image.Image) -> Image.Image:
    """Decode `image`, turn it as its EXIF orientation asks and convert it to RGB (transparency on white).

    The result carries no metadata (EXIF, GPS, XMP, ICC profile, comment). It may be `image` itself when
    nothing needed changing, so a large bitmap is not copied; its metadata is then dropped in place.
    Decoding errors (corrupt or truncated data, decompression bombs) propagate for the caller to map.
    """
    image.load()
    # Transpose (a copy) only when the orientation asks for it; 1 (or none) means upright.
    if image.getexif().get(EXIF_ORIENTATION, 1) not in (0, 1):
        image = ImageOps.exif_transpose(image)
    return _strip(to_rgb(image))


def decode_upright(image: Image.Image, *, max_side: int | None = None) -> Image.Image:
    """Decode an image from `open_untrusted` within a memory budget: upright RGB, no metadata, at most
    `max_side` pixels a side.

    A larger JPEG is decoded at the largest DCT scale (1/2, 1/4, 1/8) that still covers `max_side`, so
    at most twice that a side is ever decoded; any other image is shrunk (antialiased) right after
    decoding, before its conversion to RGB. An image within `max_side` is decoded exactly as before,
    pixel for pixel. Corrupt or truncated data is `ImageRejected`."""
    kind = image.format or "image"
    try:
        width, height = image.size
        if max_side is not None and image.format == "JPEG" and max(width, height) > max_side:
            ratio = max_side / max(width, height)
            image.draft(None, (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))
        image.load()
        if max_side is not None and max(image.size) > max_side:
            # In its own mode (Pillow resizes RGBA premultiplied, so transparent pixels do not bleed);
            # palette and 1-bit images would be resized by nearest neighbour, so they become RGB first.
            if image.mode in ("1", "P", "PA"):
                image = to_rgb(image)
            image.thumbnail((max_side, max_side), resample=Image.Resampling.BICUBIC, reducing_gap=2.0)
        return upright_rgb(image)
    except ImageRejected:
        raise
    except _DECODE_ERRORS as exc:
        raise _corrupt(_names([kind]) if kind in ALL_FORMATS else kind) from exc


def encode_jpeg(image: Image.Image, *, quality: int, optimize: bool = False) -> bytes:
    """JPEG bytes of the pixels alone: no EXIF, XMP, ICC profile or comment is written, whatever `image.info` holds."""
    out = io.BytesIO()
    to_rgb(image).save(out, format="JPEG", quality=quality, optimize=optimize, exif=b"", comment=b"")
    return out.getvalue()


def reencode_jpeg(image: Image.Image, *, quality: int, max_side: int | None = None, optimize: bool = False) -> bytes:
    """An opened upload as a clean JPEG: upright, RGB, no metadata, at most `max_side` pixels a side."""
    return encode_jpeg(decode_upright(image, max_side=max_side), quality=quality, optimize=optimize)
