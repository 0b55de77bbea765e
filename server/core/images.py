"""Images re-encoded from their pixels alone: EXIF orientation applied, no metadata carried over."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from lesion_contract.preprocess import to_rgb

EXIF_ORIENTATION = 0x0112


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
    rgb = to_rgb(image)
    rgb.info = {}
    rgb._exif = None  # else getexif() would hand back the parsed original
    return rgb


def encode_jpeg(image: Image.Image, *, quality: int, optimize: bool = False) -> bytes:
    """JPEG bytes of the pixels alone: no EXIF, XMP, ICC profile or comment is written, whatever `image.info` holds."""
    out = io.BytesIO()
    to_rgb(image).save(out, format="JPEG", quality=quality, optimize=optimize, exif=b"", comment=b"")
    return out.getvalue()


def reencode_jpeg(image: Image.Image, *, quality: int, max_side: int | None = None, optimize: bool = False) -> bytes:
    """An opened upload as a clean JPEG: upright, RGB, no metadata, at most `max_side` pixels a side."""
    rgb = upright_rgb(image)
    if max_side is not None:
        rgb.thumbnail((max_side, max_side))
    return encode_jpeg(rgb, quality=quality, optimize=optimize)
