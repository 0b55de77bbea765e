"""The high-risk rule (lesion_contract.risk): the table the server, the pipeline and the app share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lesion_contract.labels import LABELS
from lesion_contract.risk import (
    DEFAULT_HIGH_RISK_MASS,
    effective_high_risk_mass,
    high_risk_flags,
    risk_level,
    risk_levels,
)


def probs(**by_label: float) -> list[float]:
    """A probability vector in label order from keyword arguments (the rest 0)."""
    return [by_label.get(label, 0.0) for label in LABELS]


@pytest.mark.parametrize(
    ("probabilities", "mass", "expected"),
    [
        # a high-risk top label is high whatever the mass
        (probs(mel=1.0), 0.35, "high"),
        (probs(akiec=0.3, bkl=0.25, nv=0.25, vasc=0.2), 0.35, "high"),
        (probs(bcc=0.34, nv=0.33, vasc=0.33), 0.35, "high"),
        (probs(bcc=0.2, nv=0.1), 1.0, "high"),
        # a benign top label with enough high-risk mass is high: exactly at the threshold counts
        (probs(mel=0.25, nv=0.75), 0.25, "high"),
        (probs(mel=0.2499, nv=0.7501), 0.25, "low"),
        (probs(akiec=0.1, bcc=0.1, mel=0.15, nv=0.65), 0.35, "high"),
        (probs(akiec=0.05, bcc=0.05, mel=0.2, nv=0.7), 0.35, "low"),
        (probs(akiec=0.05, bcc=0.05, mel=0.2, nv=0.7), 0.2, "high"),
        # medium and low top labels
        (probs(akiec=0.02, bcc=0.03, bkl=0.8, df=0.05, mel=0.05, nv=0.05), 0.35, "medium"),
        (probs(df=0.9, nv=0.1), 0.35, "medium"),
        (probs(nv=0.9, vasc=0.1), 0.35, "low"),
        (probs(vasc=0.6, nv=0.4), 0.35, "low"),
        # ties: the first label in LABELS order wins (as numpy's argmax and the TypeScript port)
        (probs(bkl=0.4, nv=0.4, vasc=0.2), 0.35, "medium"),
        (probs(mel=0.4, nv=0.4, vasc=0.2), 0.35, "high"),
    ],
)
def test_rule_table(probabilities: list[float], mass: float, expected: str) -> None:
    assert risk_level(probabilities, high_risk_mass=mass) == expected
    # the batch forms agree with the single form
    assert risk_levels(np.array([probabilities]), high_risk_mass=mass) == [expected]
    assert high_risk_flags(np.array([probabilities]), mass).tolist() == [expected == "high"]


def test_a_mapping_by_label_reads_like_a_list_in_label_order() -> None:
    by_label = dict(zip(LABELS, probs(mel=0.3, nv=0.7), strict=True))
    assert risk_level(by_label, high_risk_mass=0.3) == risk_level(probs(mel=0.3, nv=0.7), high_risk_mass=0.3) == "high"


def test_batch_forms_match_the_single_form_on_random_outputs() -> None:
    rng = np.random.default_rng(19)
    batch = rng.dirichlet(np.full(len(LABELS), 0.4), size=500)
    for mass in (0.05, 0.2, 0.35, 1.0):
        single = [risk_level(row, high_risk_mass=mass) for row in batch]
        assert risk_levels(batch, high_risk_mass=mass) == single
        assert high_risk_flags(batch, mass).tolist() == [level == "high" for level in single]


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        ([0.5, 0.5], "7 values"),
        ([0.1] * 8, "7 values"),
        (probs(nv=math.nan), "finite"),
        (probs(nv=math.inf), "finite"),
        (probs(mel=-0.1, nv=1.1), "negative"),
        ({"mel": 1.0}, "exactly the labels"),
        ({**dict.fromkeys(LABELS, 0.1), "melanoma": 0.3}, "exactly the labels"),
        ("mel", "one row"),
        ([[0.1] * 7], "one row"),
        (["x"] * 7, "numbers"),
    ],
)
def test_invalid_probabilities_raise_a_clear_value_error(probabilities: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        risk_level(probabilities, high_risk_mass=0.35)  # type: ignore[arg-type]


@pytest.mark.parametrize("mass", [0, -0.1, 1.01, math.nan, True, "0.3"])
def test_invalid_mass_raises(mass: object) -> None:
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        risk_level(probs(nv=1.0), high_risk_mass=mass)  # type: ignore[arg-type]


def test_batch_input_is_checked() -> None:
    with pytest.raises(ValueError, match=r"shape \(n, 7\)"):
        risk_levels(np.zeros((2, 6)), high_risk_mass=0.35)
    with pytest.raises(ValueError, match="finite"):
        high_risk_flags(np.full((1, 7), np.nan), 0.35)


def test_effective_mass_is_the_lower_one_so_a_bundle_can_only_be_more_cautious() -> None:
    assert DEFAULT_HIGH_RISK_MASS == 0.35
    assert effective_high_risk_mass(0.35, None) == 0.35
    assert effective_high_risk_mass(0.35, 0.2) == 0.2
    assert effective_high_risk_mass(0.35, 0.9) == 0.35
    assert effective_high_risk_mass(0.1, 0.2) == 0.1
    with pytest.raises(ValueError, match="bundle"):
        effective_high_risk_mass(0.35, 0.0)
    with pytest.raises(ValueError, match="setting"):
        effective_high_risk_mass(2.0, None)
