"""The manifest's preprocessing spec, taken from model_pipeline (defined once) for the server."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

_REPO_ROOT = str(Path(__file__).resolve().parent.parent.parent)
if _REPO_ROOT not in sys.path:  # manage.py / gunicorn run from server/; the pipeline sits at the root
    sys.path.append(_REPO_ROOT)

from model_pipeline.data.preprocess import preprocess_image, tensor_sha256, to_rgb  # noqa: E402

__all__ = ["preprocess_image", "preprocess_path", "preprocess_pil", "tensor_sha256", "to_rgb"]


def preprocess_pil(image: Image.Image, size: int) -> np.ndarray:
    """EXIF-orient, RGB, centre square, PIL bilinear resize -> uint8 (size, size, 3)."""
    return preprocess_image(image, size)


def preprocess_path(path: Path, size: int) -> np.ndarray:
    return preprocess_image(Path(path), size)
