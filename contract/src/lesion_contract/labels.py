"""The fixed label set of every bundle, its display names and risk groups."""

from __future__ import annotations

from typing import Literal, get_args

# The model's output order; it never changes within schema version 1. ``Label`` is the type,
# ``LABELS`` the same names as a tuple (e.g. for an API's query parameter type and for loops).
Label = Literal["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
LABELS: tuple[str, ...] = get_args(Label)
RiskLevel = Literal["high", "medium", "low"]
RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)
LABEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
MEL_INDEX = LABEL_INDEX["mel"]

DISPLAY_NAMES: dict[str, str] = {
    "akiec": "Actinic keratosis / intraepithelial carcinoma",
    "bcc": "Basal cell carcinoma",
    "bkl": "Benign keratosis-like lesion",
    "df": "Dermatofibroma",
    "mel": "Melanoma",
    "nv": "Melanocytic nevus",
    "vasc": "Vascular lesion",
}

# high: malignant or pre-malignant; medium: benign but commonly confused with malignant lesions;
# low: benign and common. Documented in docs/bundle.md.
RISK_GROUP: dict[str, RiskLevel] = {
    "akiec": "high",
    "bcc": "high",
    "bkl": "medium",
    "df": "medium",
    "mel": "high",
    "nv": "low",
    "vasc": "low",
}

HIGH_RISK_LABELS: tuple[str, ...] = tuple(name for name in LABELS if RISK_GROUP[name] == "high")
MEDIUM_RISK_LABELS: tuple[str, ...] = tuple(name for name in LABELS if RISK_GROUP[name] == "medium")
HIGH_RISK_INDICES: tuple[int, ...] = tuple(LABEL_INDEX[name] for name in HIGH_RISK_LABELS)


def label_info() -> dict[str, dict[str, str]]:
    """The manifest's ``label_info`` block: display name and risk group per label, in label order."""
    return {name: {"display_name": DISPLAY_NAMES[name], "risk": RISK_GROUP[name]} for name in LABELS}
