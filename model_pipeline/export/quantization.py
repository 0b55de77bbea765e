"""Quantisation settings as a value object: ``Quantization.for_int8(rep_data)`` / ``for_float16()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Quantization:
    """How to convert: ``variant`` is "int8" (full integer, uint8 in/out) or "fp16" (float16 weights)."""

    variant: str
    representative: Callable[[], Iterator[list[np.ndarray]]] | None = None
    per_channel: bool = True  # int8 only: per-channel (True) or per-tensor (False) weight scales

    @classmethod
    def for_int8(cls, images: np.ndarray, *, per_channel: bool = True) -> Quantization:
        """Full-integer quantisation calibrated on ``images`` (uint8 NHWC, drawn from every class).

        Each calibration image carries one black and one white pixel so the observed input range is
        exactly [0, 255]: the uint8 input tensor then has scale 1 and zero point 0, i.e. it takes raw
        RGB pixel values as the manifest promises.

        ``per_channel=False`` quantises each weight tensor with one scale: the per-channel scale and
        zero-point tables (about a fifth of a per-channel file for this depthwise-separable CNN) go
        away, and per-tensor models run on the widest range of mobile delegates.
        """
        if images.ndim != 4 or images.shape[-1] != 3 or len(images) == 0:
            raise ValueError("representative images must be a non-empty (N, H, W, 3) array")
        anchored = images.astype(np.float32).copy()
        anchored[:, 0, 0, :] = 0.0
        anchored[:, 0, 1, :] = 255.0

        def generator() -> Iterator[list[np.ndarray]]:
            for image in anchored:
                yield [image[None, ...]]

        return cls("int8", generator, per_channel)

    @classmethod
    def for_float16(cls) -> Quantization:
        return cls("fp16", None)


def representative_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n`` images balanced over the classes present (every class represented)."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(1, n // max(len(classes), 1))
    chosen: list[int] = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        chosen.extend(rng.choice(idx, size=min(per_class, len(idx)), replace=False).tolist())
    return np.array(sorted(chosen), dtype=np.int64)
