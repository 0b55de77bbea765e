"""The "cannot assess" rule: when a photo is too far from the training lesions for any class verdict.

A bundle may carry ``manifest.ood``, a typed rule the server and the app apply identically::

    {"score": "mahalanobis", "threshold": 123.4, "output": "ood_features", "dim": 64,
     "means": [[...64 floats...] x 7], "int8_quantization": {"scale": .., "zero_point": ..}, ...}
    {"score": "msp", "threshold": 0.6}
    {..., "threshold": 123.4, "variant_thresholds": {"h5": 123.4, "int8": 110.2, "fp16": 123.1}}

* ``mahalanobis``: the model's second output ``ood_features`` holds ``dim`` whitened pooled features
  (the shared within-class covariance is folded into the model); the score is the squared distance to
  the nearest class mean, ``min_k sum_j (z_j - means[k][j])^2``, summed in index order in float64;
* ``msp``: ``1 - max(probabilities)`` (needs no second output).

The outcome is ``cannot_assess`` when the score is strictly above the threshold of the model variant
that computed it (or is not finite), else ``assessed``. A bundle without ``ood`` (r20 and older) is always
``assessed``. Only a ``cannot_assess`` outcome withholds the class verdict: the caller shows no top label
and no risk level for it.

Thresholds: the optional ``variant_thresholds`` (``{"h5": .., "int8": .., "fp16": ..}``, any of the three)
gives each model variant its own threshold (the int8 model's scores run lower than the .h5's);
``threshold_for(rule, variant)`` is that one, else ``threshold``. The server (.h5) and the app (int8 on
the device) each pass their variant. ``threshold`` itself stays the largest of them, so an app that only
knows ``threshold`` keeps working (more conservatively: it refuses fewer photos). A rule without
``variant_thresholds`` applies ``threshold`` to every variant, as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from lesion_contract.labels import LABELS

__all__ = [
    "CANNOT_ASSESS_MESSAGE",
    "MAHALANOBIS",
    "MSP",
    "OOD_SCORES",
    "OOD_VARIANTS",
    "OUTCOMES",
    "OodRule",
    "OodVariant",
    "Outcome",
    "assess",
    "check_ood",
    "ood_score",
    "ood_scores",
    "outcome_for",
    "threshold_for",
]

Outcome = Literal["assessed", "cannot_assess"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
OodScore = Literal["mahalanobis", "msp"]
OOD_SCORES: tuple[OodScore, ...] = get_args(OodScore)
MAHALANOBIS: OodScore = "mahalanobis"
MSP: OodScore = "msp"
# the model variants a rule may give its own threshold (lesion_contract.manifest.VARIANTS)
OodVariant = Literal["h5", "int8", "fp16"]
OOD_VARIANTS: tuple[OodVariant, ...] = get_args(OodVariant)
FEATURES_OUTPUT = "ood_features"
CANNOT_ASSESS_MESSAGE = (
    "Cannot assess this photo: it does not look like the close-up lesion photos the model knows "
    "(it may be blurred, too dark or bright, off-centre, or not a skin lesion). Retake the photo, "
    "or see a clinician."
)


@dataclass(frozen=True)
class OodRule:
    score: OodScore
    threshold: float
    output: str | None = None
    dim: int | None = None
    means: tuple[tuple[float, ...], ...] | None = None
    int8_scale: float | None = None
    int8_zero_point: int | None = None
    # variant -> its own threshold (manifest.ood.variant_thresholds; None: ``threshold`` for every variant)
    variant_thresholds: Mapping[str, float] | None = field(default=None, hash=False)

    @classmethod
    def from_dict(cls, raw: Any) -> OodRule:
        """Type ``manifest.ood``; ValueError lists every problem."""
        problems = check_ood(raw)
        if problems:
            raise ValueError("invalid ood rule: " + "; ".join(problems))
        quant = raw.get("int8_quantization") or {}
        means = raw.get("means")
        variant_thresholds = raw.get("variant_thresholds")
        return cls(
            score=raw["score"],
            threshold=float(raw["threshold"]),
            output=raw.get("output"),
            dim=raw.get("dim"),
            means=None if means is None else tuple(tuple(float(v) for v in row) for row in means),
            int8_scale=float(quant["scale"]) if quant else None,
            int8_zero_point=int(quant["zero_point"]) if quant else None,
            variant_thresholds=None
            if variant_thresholds is None
            else {v: float(variant_thresholds[v]) for v in OOD_VARIANTS if v in variant_thresholds},
        )

    @property
    def needs_features(self) -> bool:
        return self.score == MAHALANOBIS

    def dequantize(self, raw: Sequence[float] | np.ndarray) -> np.ndarray:
        """The int8 model's uint8 ``ood_features`` as floats: ``(q - zero_point) * scale``."""
        if self.int8_scale is None or self.int8_zero_point is None:
            raise ValueError("this rule has no int8 quantisation for its features")
        return (np.asarray(raw, dtype=np.float64) - self.int8_zero_point) * self.int8_scale


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def check_ood(raw: Any) -> list[str]:
    """Problems of a ``manifest.ood`` block (empty when valid)."""
    if not isinstance(raw, Mapping):
        return ["ood must be an object"]
    problems: list[str] = []
    score = raw.get("score")
    if score not in OOD_SCORES:
        problems.append(f"ood.score must be one of {list(OOD_SCORES)}, got {score!r}")
    if not _is_number(raw.get("threshold")):
        problems.append("ood.threshold must be a finite number")
    variant_thresholds = raw.get("variant_thresholds")
    if variant_thresholds is not None and (
        not isinstance(variant_thresholds, Mapping)
        or not all(k in OOD_VARIANTS for k in variant_thresholds)
        or not all(_is_number(v) for v in variant_thresholds.values())
    ):
        problems.append(f"ood.variant_thresholds must map some of {list(OOD_VARIANTS)} to finite numbers")
    if score == MAHALANOBIS:
        dim = raw.get("dim")
        if raw.get("output") != FEATURES_OUTPUT:
            problems.append(f"ood.output must be {FEATURES_OUTPUT!r} for the mahalanobis score")
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1 or dim == len(LABELS):
            problems.append(f"ood.dim must be a positive integer other than {len(LABELS)}")
        means = raw.get("means")
        if (
            not isinstance(means, list)
            or len(means) != len(LABELS)
            or not all(isinstance(row, list) and len(row) == dim and all(_is_number(v) for v in row) for row in means)
        ):
            problems.append(f"ood.means must be {len(LABELS)} rows (label order) of ood.dim numbers")
        quant = raw.get("int8_quantization")
        if not isinstance(quant, Mapping) or not _is_number(quant.get("scale")) or quant["scale"] <= 0 or not isinstance(quant.get("zero_point"), int):
            problems.append("ood.int8_quantization must hold a positive scale and an int zero_point (the int8 model's features)")
    return problems


def ood_score(rule: OodRule, features: Sequence[float] | np.ndarray | None, probabilities: Sequence[float] | np.ndarray) -> float:
    """The rule's score for one screening (``features``: the float ``ood_features``, dequantised for int8)."""
    if rule.score == MSP:
        probs = [float(p) for p in probabilities]
        if len(probs) != len(LABELS):
            raise ValueError(f"probabilities must have {len(LABELS)} values")
        return 1.0 - max(probs)
    if features is None:
        raise ValueError("the mahalanobis score needs the model's ood_features output")
    z = [float(v) for v in features]
    assert rule.means is not None and rule.dim is not None
    if len(z) != rule.dim:
        raise ValueError(f"ood_features must have {rule.dim} values, got {len(z)}")
    best = math.inf
    for mean in rule.means:
        total = 0.0
        for a, b in zip(z, mean, strict=True):
            total += (a - b) * (a - b)
        best = min(best, total)
    return best


def ood_scores(rule: OodRule, features: Any, probabilities: Any) -> float:
    """Alias of ``ood_score`` for vectorised callers (one row)."""
    return ood_score(rule, features, probabilities)


def threshold_for(rule: OodRule, variant: OodVariant) -> float:
    """The threshold the ``variant`` model's scores are compared with: its own from ``variant_thresholds``
    when the rule has one, else the shared ``threshold``."""
    if variant not in OOD_VARIANTS:
        raise ValueError(f"variant must be one of {list(OOD_VARIANTS)}, got {variant!r}")
    own = None if rule.variant_thresholds is None else rule.variant_thresholds.get(variant)
    return rule.threshold if own is None else float(own)


def outcome_for(rule: OodRule | None, score: float | None, *, variant: OodVariant) -> Outcome:
    """``cannot_assess`` when the score is above the ``variant``'s threshold or not finite; ``assessed``
    without a rule."""
    if rule is None:
        return "assessed"
    if score is None or not math.isfinite(score) or score > threshold_for(rule, variant):
        return "cannot_assess"
    return "assessed"


def assess(
    rule: OodRule | None,
    features: Sequence[float] | np.ndarray | None,
    probabilities: Sequence[float] | np.ndarray,
    *,
    variant: OodVariant,
) -> tuple[Outcome, float | None]:
    """(outcome, score) for one screening by the ``variant`` model (the server: "h5", the app's on-device
    model: "int8"); a bundle without a rule gives ("assessed", None)."""
    if rule is None:
        return "assessed", None
    score = ood_score(rule, features, probabilities)
    return outcome_for(rule, score, variant=variant), score
