"""Stable machine codes for screening errors."""

from __future__ import annotations

from enum import StrEnum


class ScreeningError(StrEnum):
    NOT_FOUND = "screening_not_found"
    PHOTO_MISSING = "photo_missing"
    PHOTO_EMPTY = "photo_empty"
    PHOTO_TOO_LARGE = "photo_too_large"
    PHOTO_TOO_MANY_PIXELS = "photo_too_many_pixels"
    PHOTO_UNSUPPORTED = "photo_unsupported_type"
    PHOTO_CORRUPT = "photo_corrupt"
    DEVICE_RESULT_INVALID = "device_result_invalid"
    SYNC_BATCH_INVALID = "sync_batch_invalid"
    SHARE_TARGET_INVALID = "share_target_invalid"
    NO_ACTIVE_MODEL = "no_active_model"
    MODEL_NOT_FOUND = "model_version_not_found"
    MODEL_FILE_NOT_FOUND = "model_file_not_found"
    MODEL_FILE_ALTERED = "model_file_altered"
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
    BUNDLE_INVALID = "bundle_invalid"
    SIGNING_KEY_MISSING = "signing_key_missing"
    INFERENCE_FAILED = "inference_failed"
    LESION_NOT_FOUND = "lesion_not_found"
    LESION_INVALID = "lesion_invalid"
    REVIEW_NOT_ALLOWED = "review_not_allowed"
    REVIEW_INVALID = "review_invalid"
    WORKLIST_NOT_ALLOWED = "worklist_not_allowed"
    EXPORT_TARGET_INVALID = "export_target_invalid"
