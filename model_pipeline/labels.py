"""Compatibility re-export: the labels live in the contract package; new code imports ``lesion_contract.labels``."""

from __future__ import annotations

from lesion_contract.labels import DISPLAY_NAMES, LABEL_INDEX, LABELS, MEL_INDEX, label_info
from lesion_contract.labels import RISK_GROUP as RISK
from model_pipeline.data.ham10000 import ISIC2018_COLUMNS

__all__ = ["DISPLAY_NAMES", "ISIC2018_COLUMNS", "LABELS", "LABEL_INDEX", "MEL_INDEX", "RISK", "label_info"]
