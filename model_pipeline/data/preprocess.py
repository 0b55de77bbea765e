"""Compatibility re-export: preprocessing lives in the contract package; new code imports ``lesion_contract.preprocess``."""

from __future__ import annotations

from lesion_contract.preprocess import PREPROCESSING_SPEC, ImageSource, center_square, preprocess_image, tensor_sha256, to_rgb

__all__ = ["PREPROCESSING_SPEC", "ImageSource", "center_square", "preprocess_image", "tensor_sha256", "to_rgb"]
