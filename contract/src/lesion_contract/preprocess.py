"""Serving-time image preprocessing, defined once (Pillow + NumPy only): the spec and its reference implementation.

The spec (recorded in every manifest as ``input.preprocessing``):
EXIF orientation applied -> RGB -> centre crop to a square -> resize to ``size`` x ``size`` with
``PIL.Image.resize(resample=BILINEAR, reducing_gap=None)`` (antialiased when shrinking) -> uint8
HxWx3 values 0..255. Normalisation happens inside the model (``models.ensemble.normalisation_layer``).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ImageSource = Image.Image | bytes | bytearray | str | Path

PREPROCESSING_SPEC: dict[str, object] = {
    "exif_orient": True,
    "crop": "center_square",
    "resize": "bilinear_antialias",
    "resize_reference": "PIL.Image.resize(resample=BILINEAR, reducing_gap=None)",
    "value_range": [0, 255],
    "normalisation": "inside_model",
}


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        image = Image.open(io.BytesIO(bytes(source)))
    else:
        image = Image.open(Path(source))
    image.load()
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB; transparent pixels are composited on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def center_square(image: Image.Image) -> Image.Image:
    """Crop the largest centred square (integer box; the extra pixel of an odd margin goes right/bottom)."""
    width, height = image.size
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    return image.crop((left, top, left + side, top + side))


def preprocess_image(source: ImageSource, size: int) -> np.ndarray:
    """Decode and preprocess one image exactly as the model expects: uint8 array (size, size, 3)."""
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    image = _open(source)
    image = ImageOps.exif_transpose(image)
    image = to_rgb(image)
    image = center_square(image)
    if image.size != (size, size):
        image = image.resize((size, size), resample=Image.Resampling.BILINEAR, reducing_gap=None)
    array = np.asarray(image, dtype=np.uint8)
    return np.ascontiguousarray(array.reshape(size, size, 3))


SHADES_OF_GREY_P = 6
COLOUR_CONSTANCY = ("shades_of_grey",)


def shades_of_grey(array: np.ndarray, p: int = SHADES_OF_GREY_P) -> np.ndarray:
    """Shades-of-grey colour constancy (Finlayson and Trezzi 2004) of uint8 RGB image(s) (..., H, W, 3).

    Per image and channel c, the illuminant estimate ``e_c = mean((v / 255) ** p) ** (1 / p)`` over the
    pixels (p = 6); each channel is scaled by ``mean(e) / e_c`` (the illuminant becomes grey, the
    overall brightness stays) and rounded half up, clipped to 0..255. A channel that is black everywhere
    keeps gain 1. Removes the colour cast of the camera / light source, which differs between clinics.

    Not part of the serving spec yet: the pipeline can train and score with it (``colour_constancy`` in
    the training config) to measure whether it transfers; ``convert`` refuses such a run until the server
    and the app implement it too.
    """
    if array.dtype != np.uint8 or array.ndim < 3 or array.shape[-1] != 3:
        raise ValueError(f"expected uint8 (..., H, W, 3), got {array.dtype} {array.shape}")
    x = array.astype(np.float64)
    e = np.mean((x / 255.0) ** p, axis=(-3, -2), keepdims=True) ** (1.0 / p)
    grey = e.mean(axis=-1, keepdims=True)
    gain = np.divide(grey, e, out=np.ones_like(e), where=e > 0)
    return np.clip(np.floor(x * gain + 0.5), 0, 255).astype(np.uint8)


def tensor_sha256(array: np.ndarray) -> str:
    """sha256 of a preprocessed uint8 HxWx3 tensor's C-order bytes (the golden-vector checksum)."""
    if array.dtype != np.uint8:
        raise ValueError(f"expected uint8 tensor, got {array.dtype}")
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
