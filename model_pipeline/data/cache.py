"""Decode every image once with the serving preprocessing and cache the uint8 arrays (.npy)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lesion_contract.preprocess import preprocess_image, shades_of_grey
from model_pipeline.data.ham10000 import Record
from model_pipeline.errors import DatasetError
from model_pipeline.progress import progress

DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache"


def load_record(record: Record, size: int) -> np.ndarray:
    """Preprocess one record's image; a missing or corrupt file raises ``DatasetError`` naming it."""
    try:
        return preprocess_image(record.path, size)
    except FileNotFoundError as exc:
        raise DatasetError(f"{record.source}: image file {record.path} not found") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DatasetError(f"{record.source}: image {record.path} is corrupt or unreadable ({exc})") from exc


def _cache_key(records: Sequence[Record], size: int) -> str:
    digest = hashlib.sha256(f"v1:{size}".encode())  # the preprocessed images; colour constancy is applied after the cache
    for r in records:
        try:
            stat = r.path.stat()
            digest.update(f"{r.image_id}|{r.path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{r.image_id}|{r.path}|missing\n".encode())
    return digest.hexdigest()[:24]


def load_images(
    records: Sequence[Record],
    size: int,
    *,
    cache_dir: Path | None = DEFAULT_CACHE_DIR,
    label: str = "decode",
    colour_constancy: str | None = None,
) -> np.ndarray:
    """Return an (N, size, size, 3) uint8 array for ``records``, reusing the on-disk cache.

    ``colour_constancy`` ("shades_of_grey" or None, the training config's field) is applied to the
    decoded images, per image (the cache holds the serving preprocessing only)."""
    images = _load_preprocessed(records, size, cache_dir=cache_dir, label=label)
    if colour_constancy is None:
        return images
    if colour_constancy != "shades_of_grey":
        raise ValueError(f"unknown colour constancy {colour_constancy!r}")
    out = np.empty_like(images)
    for start in range(0, len(images), 256):  # float64 copies of 256 images at a time, not of all
        out[start : start + 256] = shades_of_grey(images[start : start + 256])
    return out


def _load_preprocessed(records: Sequence[Record], size: int, *, cache_dir: Path | None, label: str) -> np.ndarray:
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"images-{size}-{_cache_key(records, size)}.npy"
        if path.is_file():
            array = np.load(path)
            if array.shape == (len(records), size, size, 3):
                return array
    out = np.empty((len(records), size, size, 3), dtype=np.uint8)
    for i, record in progress(enumerate(records), len(records), f"{label} {size}px"):
        out[i] = load_record(record, size)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
        np.save(tmp, out)
        tmp.replace(path)
    return out
