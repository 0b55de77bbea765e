"""The fixed label set, display names and risk groups shared by every bundle."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
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
RISK: dict[str, str] = {
    "akiec": "high",
    "bcc": "high",
    "mel": "high",
    "bkl": "medium",
    "df": "medium",
    "nv": "low",
    "vasc": "low",
}

# ISIC 2018 Task 3 ground-truth column names, mapped to our labels.
ISIC2018_COLUMNS: dict[str, str] = {
    "MEL": "mel",
    "NV": "nv",
    "BCC": "bcc",
    "AKIEC": "akiec",
    "BKL": "bkl",
    "DF": "df",
    "VASC": "vasc",
}


def label_info() -> dict[str, dict[str, str]]:
    """Return the manifest's ``label_info`` block."""
    return {name: {"display_name": DISPLAY_NAMES[name], "risk": RISK[name]} for name in LABELS}
