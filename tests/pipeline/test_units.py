"""Metrics, thresholds and configuration: small, fast unit tests."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from lesion_contract.labels import LABELS
from model_pipeline.config import TrainConfig
from model_pipeline.errors import ConfigError
from model_pipeline.evaluate import choose_high_risk_mass, choose_thresholds
from model_pipeline.metrics import balanced_accuracy, expected_calibration_error, per_class_auc


def test_balanced_accuracy_and_auc_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 500)
    logits = rng.normal(size=(500, 7)) + 2.0 * np.eye(7)[y] * rng.random((500, 1))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert balanced_accuracy(y, probs.argmax(1)) == pytest.approx(balanced_accuracy_score(y, probs.argmax(1)))
    ours = per_class_auc(y, probs)
    for k in range(7):
        assert ours[k] == pytest.approx(roc_auc_score(y == k, probs[:, k]))


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    y = np.zeros(1000, dtype=int)
    probs = np.zeros((1000, 7))
    probs[:, 0] = 0.95
    probs[:, 1:] = 0.05 / 6
    assert expected_calibration_error(y, probs)[0] == pytest.approx(0.05, abs=1e-9)
    wrong = np.ones(1000, dtype=int)  # always wrong at 0.95 confidence
    assert expected_calibration_error(wrong, probs)[0] == pytest.approx(0.95, abs=1e-9)


def test_thresholds_reach_target_precision_or_always_defer():
    # class 0: right when confident (>= 0.8), wrong below; class 1: never right
    conf = np.array([0.95, 0.9, 0.85, 0.8, 0.8, 0.6, 0.55, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9])
    pred = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    y = np.array([0, 0, 0, 0, 0, 3, 3, 3, 2, 2, 2, 2, 2])
    probs = np.full((len(conf), 7), 0.0)
    probs[np.arange(len(conf)), pred] = conf
    probs[np.arange(len(conf)), (pred + 1) % 7] = 1 - conf
    thresholds = choose_thresholds(y, probs, target_precision=0.85, min_support=5)
    assert thresholds["akiec"] == pytest.approx(0.8)
    assert thresholds["bcc"] == 1.0 and thresholds["vasc"] == 1.0
    assert set(thresholds) == set(LABELS)


def test_config_round_trips_and_rejects_unknown_keys(tmp_path):
    cfg = TrainConfig().override(["epochs=3", "augment.rotation_degrees=90", 'members=[{"width": 0.5, "seed": 7}]'])
    assert cfg.epochs == 3 and cfg.augment.rotation_degrees == 90 and cfg.members[0].width == 0.5
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert TrainConfig.from_file(path) == cfg
    with pytest.raises(ConfigError, match="unknown config key 'epoch'"):
        cfg.override(["epoch=3"])
    with pytest.raises(ConfigError, match="unknown key"):
        TrainConfig.from_dict({"members": [{"arch": "dsnet", "depth": 3}]})
    with pytest.raises(ConfigError, match="image_size"):
        TrainConfig().override(["image_size=4"]).validate()


def test_high_risk_mass_is_the_loosest_point_that_still_refers_the_target_share_of_melanomas():
    mel, nv, bcc = LABELS.index("mel"), LABELS.index("nv"), LABELS.index("bcc")
    # 20 melanomas whose mel + bcc + akiec mass is 0.01, 0.02, ..., 0.20 under an nv top label, 20 nevi at 0.03
    probs = np.zeros((40, len(LABELS)))
    for i in range(20):
        probs[i, mel] = (i + 1) / 100
        probs[i, nv] = 1 - probs[i, mel]
    probs[20:, bcc], probs[20:, nv] = 0.03, 0.97
    y = np.array([mel] * 20 + [nv] * 20)
    chosen = choose_high_risk_mass(y, probs, target=0.75)
    assert chosen["mass"] == 0.06  # masses >= 0.06 cover 15 of 20 melanomas; 0.07 would cover 14
    assert chosen["melanoma_referred"] == 0.75 and chosen["benign_referred"] == 0.0
    # a confident model keeps the server's default, never a looser one
    confident = probs.copy()
    confident[:20, mel], confident[:20, nv] = 0.9, 0.1
    assert choose_high_risk_mass(y, confident)["mass"] == 0.35
    # no reachable target: the most cautious point
    assert choose_high_risk_mass(y, probs, target=1.0)["mass"] == 0.05
