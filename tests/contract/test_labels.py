"""The label set: fixed order, display names, risk groups (what every bundle, the server and the app share)."""

from __future__ import annotations

import json
from pathlib import Path

from lesion_contract.labels import (
    DISPLAY_NAMES,
    HIGH_RISK_INDICES,
    HIGH_RISK_LABELS,
    LABEL_INDEX,
    LABELS,
    MEDIUM_RISK_LABELS,
    MEL_INDEX,
    RISK_GROUP,
    RISK_LEVELS,
    label_info,
)

ROOT = Path(__file__).resolve().parents[2]


def test_labels_keep_the_model_output_order() -> None:
    assert LABELS == ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
    assert [LABEL_INDEX[name] for name in LABELS] == list(range(7))
    assert LABELS[MEL_INDEX] == "mel"


def test_risk_groups_are_the_documented_ones() -> None:
    # high: malignant or pre-malignant; medium: benign look-alikes; low: benign and common
    assert HIGH_RISK_LABELS == ("akiec", "bcc", "mel")
    assert MEDIUM_RISK_LABELS == ("bkl", "df")
    assert {name for name in LABELS if RISK_GROUP[name] == "low"} == {"nv", "vasc"}
    assert set(RISK_GROUP) == set(LABELS) and set(RISK_GROUP.values()) == set(RISK_LEVELS)
    assert [LABELS[i] for i in HIGH_RISK_INDICES] == list(HIGH_RISK_LABELS)


def test_every_label_has_a_human_display_name() -> None:
    assert set(DISPLAY_NAMES) == set(LABELS)
    assert DISPLAY_NAMES["mel"] == "Melanoma" and DISPLAY_NAMES["nv"] == "Melanocytic nevus"
    assert all(name.strip() and name[0].isupper() for name in DISPLAY_NAMES.values())


def test_label_info_is_the_manifest_block_in_label_order() -> None:
    info = label_info()
    assert list(info) == list(LABELS)
    assert info["bcc"] == {"display_name": "Basal cell carcinoma", "risk": "high"}
    assert info["df"] == {"display_name": "Dermatofibroma", "risk": "medium"}


def test_committed_bundles_carry_exactly_the_contract_labels() -> None:
    manifests = sorted((ROOT / "tflite_artifacts").glob("*/manifest.json"))
    assert manifests, "no committed bundle under tflite_artifacts/"
    for path in manifests:
        manifest = json.loads(path.read_text())
        assert manifest["labels"] == list(LABELS), path
        assert manifest["label_info"] == label_info(), path
