"""The high-risk rule: when a screening says "see a clinician" (one rule for server, pipeline and app).

A screening is ``high`` risk when its top label (the argmax; the first label wins a tie) is a
high-risk class (mel, bcc, akiec) OR those classes together hold at least ``high_risk_mass`` of
the probability: a screening aid errs towards sending people to a clinician, and a 30 % melanoma
score under a benign top label must not read as "benign". Otherwise it is ``medium`` when the top
label is in the medium group (bkl, df) and ``low`` for the rest.

The high-risk mass is summed in label order (akiec + bcc + mel), so every implementation,
including the app's TypeScript port, gets the same float at the boundary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lesion_contract.labels import HIGH_RISK_INDICES, LABELS, RISK_GROUP, RiskLevel

# The server's SCREENING_HIGH_RISK_MASS default; a bundle may record a lower (more cautious) one.
DEFAULT_HIGH_RISK_MASS = 0.35

Probabilities = Sequence[float] | Mapping[str, float] | np.ndarray


def check_mass(mass: float, *, name: str = "high_risk_mass") -> float:
    """``mass`` as a float in (0, 1]; ValueError otherwise."""
    if isinstance(mass, bool) or not isinstance(mass, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number in (0, 1], got {mass!r}")
    value = float(mass)
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise ValueError(f"{name} must be a number in (0, 1], got {mass!r}")
    return value


def as_vector(probabilities: Probabilities) -> np.ndarray:
    """One screening's probabilities as float64 (7,) in label order; ValueError names what is wrong.

    Accepts a sequence in label order or a mapping with exactly the seven labels.
    """
    if isinstance(probabilities, Mapping):
        keys = set(probabilities)
        if keys != set(LABELS):
            missing, unknown = sorted(set(LABELS) - keys), sorted(str(k) for k in keys - set(LABELS))
            raise ValueError(f"probabilities must have exactly the labels {list(LABELS)} (missing {missing}, unknown {unknown})")
        values = [probabilities[label] for label in LABELS]
    else:
        if isinstance(probabilities, (str, bytes)) or np.ndim(probabilities) != 1:
            raise ValueError(f"probabilities must be one row of {len(LABELS)} values, got {type(probabilities).__name__} of shape {np.shape(probabilities)}")
        values = list(probabilities)
    if len(values) != len(LABELS):
        raise ValueError(f"probabilities must have {len(LABELS)} values in label order {list(LABELS)}, got {len(values)}")
    try:
        vector = np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"probabilities must be numbers: {exc}") from exc
    if not np.all(np.isfinite(vector)):
        raise ValueError("probabilities must be finite (no NaN or infinity)")
    if np.any(vector < 0):
        raise ValueError("probabilities must not be negative")
    return vector


def _as_matrix(probs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(probs, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(LABELS):
        raise ValueError(f"probabilities must have shape (n, {len(LABELS)}), got {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("probabilities must be finite (no NaN or infinity)")
    if np.any(matrix < 0):
        raise ValueError("probabilities must not be negative")
    return matrix


def _high_mass(matrix: np.ndarray) -> np.ndarray:
    # left to right in label order, exactly as risk_level and the TypeScript port add them
    total = np.zeros(matrix.shape[0], dtype=np.float64)
    for index in HIGH_RISK_INDICES:
        total = total + matrix[:, index]
    return total


def high_risk_flags(probs: np.ndarray | Sequence[Sequence[float]], mass: float) -> np.ndarray:
    """The rule's "high" on a batch (n, 7): a boolean array, True where a screening is high risk."""
    matrix = _as_matrix(probs)
    mass = check_mass(mass)
    top_is_high = np.isin(matrix.argmax(axis=1), HIGH_RISK_INDICES)
    return np.asarray(top_is_high | (_high_mass(matrix) >= mass), dtype=bool)


def risk_levels(probs: np.ndarray | Sequence[Sequence[float]], *, high_risk_mass: float) -> list[RiskLevel]:
    """``risk_level`` for each row of an (n, 7) batch."""
    matrix = _as_matrix(probs)
    high = high_risk_flags(matrix, high_risk_mass)
    tops = matrix.argmax(axis=1)
    out: list[RiskLevel] = []
    for flagged, top in zip(high.tolist(), tops.tolist(), strict=True):
        out.append("high" if flagged else _benign_level(LABELS[top]))
    return out


def _benign_level(top_label: str) -> RiskLevel:
    return "medium" if RISK_GROUP[top_label] == "medium" else "low"


def risk_level(probabilities: Probabilities, *, high_risk_mass: float) -> RiskLevel:
    """"high", "medium" or "low" for one screening's probabilities (see the module docstring)."""
    vector = as_vector(probabilities)
    mass = check_mass(high_risk_mass)
    top_label = LABELS[int(np.argmax(vector))]
    high_mass = 0.0
    for index in HIGH_RISK_INDICES:
        high_mass += float(vector[index])
    if RISK_GROUP[top_label] == "high" or high_mass >= mass:
        return "high"
    return _benign_level(top_label)


def effective_high_risk_mass(setting: float, bundle_mass: float | None) -> float:
    """The mass in force: the lower of the server's setting and the bundle's recorded operating point.

    A bundle can only make the rule more cautious (refer more), never looser.
    """
    mass = check_mass(setting, name="the high-risk mass setting")
    if bundle_mass is None:
        return mass
    return min(mass, check_mass(bundle_mass, name="the bundle's high_risk.mass"))
