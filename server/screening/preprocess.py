"""The manifest's preprocessing spec for the server: the contract's reference implementation (defined once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lesion_contract.preprocess import preprocess_image, tensor_sha256, to_rgb

__all__ = ["preprocess_image", "preprocess_path", "preprocess_pil", "tensor_sha256", "to_rgb"]


def preprocess_pil(image: Image.Image, size: int) -> np.ndarray:
    """EXIF-orient, RGB, centre square, PIL bilinear resize -> uint8 (size, size, 3)."""
    return preprocess_image(image, size)


def preprocess_path(path: Path, size: int) -> np.ndarray:
    return preprocess_image(Path(path), size)
