"""The "cannot assess" rule's thresholds (lesion_contract.ood): one shared ``threshold`` and, optionally, a
model variant's own in ``variant_thresholds``; the server passes "h5", the app "int8"."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from lesion_contract import manifest as contract
from lesion_contract.manifest import BundleError, verify_bundle
from lesion_contract.ood import OOD_VARIANTS, OodRule, assess, check_ood, outcome_for, threshold_for
from lesion_contract.typescript import OOD_RULE_INPUTS, ood_rule_cases
from tests.contract.conftest import fake_model, relist

MAHALANOBIS: dict[str, Any] = {
    "score": "mahalanobis",
    "threshold": 4.0,
    "output": "ood_features",
    "dim": 2,
    "means": [[0.0, 0.0]] * 7,
    "int8_quantization": {"scale": 0.5, "zero_point": 10},
}
NV = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def test_the_variants_are_the_bundles_model_variants() -> None:
    assert OOD_VARIANTS == contract.VARIANTS == ("h5", "int8", "fp16")


def test_a_rule_without_variant_thresholds_applies_its_threshold_to_every_variant() -> None:
    # Given an r21-style rule (one threshold)
    rule = OodRule.from_dict(MAHALANOBIS)
    assert rule.variant_thresholds is None
    # Then every variant compares with it, as before: at the threshold assessed, above it not
    for variant in OOD_VARIANTS:
        assert threshold_for(rule, variant) == 4.0
        assert assess(rule, [2.0, 0.0], NV, variant=variant) == ("assessed", 4.0)
        assert assess(rule, [2.0, 0.5], NV, variant=variant) == ("cannot_assess", 4.25)


def test_each_variant_applies_its_own_threshold() -> None:
    # Given a rule whose int8 model has a lower threshold than the .h5 (its scores run lower)
    rule = OodRule.from_dict({**MAHALANOBIS, "variant_thresholds": {"h5": 4.0, "int8": 2.25, "fp16": 3.0}})
    assert rule.variant_thresholds == {"h5": 4.0, "int8": 2.25, "fp16": 3.0}
    assert [threshold_for(rule, v) for v in OOD_VARIANTS] == [4.0, 2.25, 3.0]
    # When a photo scores 2.5 (features [1.5, 0.5]): between the int8 threshold and the others
    results = {v: assess(rule, [1.5, 0.5], NV, variant=v) for v in OOD_VARIANTS}
    # Then only the int8 model refuses it, with the same score everywhere
    assert results == {"h5": ("assessed", 2.5), "int8": ("cannot_assess", 2.5), "fp16": ("assessed", 2.5)}
    # and exactly at a variant's own threshold is still assessed
    assert assess(rule, [1.5, 0.0], NV, variant="int8") == ("assessed", 2.25)
    assert outcome_for(rule, 3.0, variant="fp16") == "assessed" and outcome_for(rule, 3.0001, variant="fp16") == "cannot_assess"
    # and a score that is not finite is refused by every variant
    assert all(outcome_for(rule, math.nan, variant=v) == "cannot_assess" for v in OOD_VARIANTS)
    assert outcome_for(None, 1e9, variant="int8") == "assessed" and assess(None, None, NV, variant="h5") == ("assessed", None)


def test_a_variant_missing_from_variant_thresholds_falls_back_to_threshold() -> None:
    rule = OodRule.from_dict({"score": "msp", "threshold": 0.5, "variant_thresholds": {"int8": 0.375}})
    assert [threshold_for(rule, v) for v in OOD_VARIANTS] == [0.5, 0.375, 0.5]
    assert assess(rule, None, [0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 0.4], variant="int8")[0] == "cannot_assess"
    assert assess(rule, None, [0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 0.4], variant="h5")[0] == "assessed"
    assert threshold_for(OodRule.from_dict({"score": "msp", "threshold": 0.5, "variant_thresholds": {}}), "int8") == 0.5


def test_an_unknown_variant_is_refused() -> None:
    rule = OodRule.from_dict(MAHALANOBIS)
    with pytest.raises(ValueError, match="variant must be one of"):
        threshold_for(rule, "tflite")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        assess(rule, [0.0, 0.0], NV)  # type: ignore[call-arg]  # the caller must say which model scored


@pytest.mark.parametrize(
    "bad",
    [{"tflite": 1.0}, {"int8": math.nan}, {"int8": math.inf}, {"int8": "2"}, {"int8": True}, [1.0, 2.0, 3.0], 3.0, "int8"],
)
def test_check_ood_refuses_malformed_variant_thresholds(bad: Any) -> None:
    problems = check_ood({**MAHALANOBIS, "variant_thresholds": bad})
    assert len(problems) == 1 and "ood.variant_thresholds must map some of ['h5', 'int8', 'fp16'] to finite numbers" in problems[0]
    with pytest.raises(ValueError, match="variant_thresholds"):
        OodRule.from_dict({**MAHALANOBIS, "variant_thresholds": bad})


def test_check_ood_accepts_well_formed_variant_thresholds() -> None:
    for good in ({"h5": 4, "int8": 2.25, "fp16": 3.0}, {"int8": 1}, {}, None):
        assert check_ood({**MAHALANOBIS, "variant_thresholds": good}) == []


def test_the_generated_table_covers_the_variant_thresholds() -> None:
    # The TypeScript port is tested on this table (mobile/src/contract/ood.test.ts): it must hold rules with
    # all three, some and no variant thresholds, and cases where the variants' outcomes differ.
    cases = ood_rule_cases()
    assert len(cases) == len(OOD_RULE_INPUTS)
    kinds = {len(c["rule"].get("variant_thresholds", {})) if "variant_thresholds" in c["rule"] else None for c in cases}
    assert {None, 1, 3} <= kinds
    assert any(len(set(c["outcomes"].values())) > 1 for c in cases)
    for c in cases:
        rule = OodRule.from_dict(c["rule"])
        for variant in OOD_VARIANTS:
            assert c["thresholds"][variant] == threshold_for(rule, variant)
            assert c["outcomes"][variant] == ("cannot_assess" if c["score"] > threshold_for(rule, variant) else "assessed")
    # and a rule without variant thresholds has one outcome for all variants (r21 behaves as before)
    assert all(len(set(c["outcomes"].values())) == 1 for c in cases if "variant_thresholds" not in c["rule"])


def _with_msp_rule(bundle: Path, rule: dict[str, Any]) -> None:
    """Give the contract test bundle an msp rule and the golden ood scores it needs."""
    golden = json.loads((bundle / "golden.json").read_text())
    for entry in golden:
        entry["ood_score"] = {v: round(1.0 - max(entry["expected"][v]), 6) for v in contract.VARIANTS}
    (bundle / "golden.json").write_text(json.dumps(golden, indent=2))
    manifest = json.loads((bundle / contract.MANIFEST).read_text())
    manifest["ood"] = rule
    relist(bundle, manifest)


def test_a_bundle_with_variant_thresholds_verifies_and_is_typed(bundle: Path) -> None:
    _with_msp_rule(bundle, {"score": "msp", "threshold": 0.6, "variant_thresholds": {"h5": 0.6, "int8": 0.5, "fp16": 0.55}})
    manifest = verify_bundle(bundle, predictors={"h5": fake_model})
    assert manifest.ood is not None and manifest.ood.variant_thresholds == {"h5": 0.6, "int8": 0.5, "fp16": 0.55}
    assert threshold_for(manifest.ood, "h5") == 0.6 and threshold_for(manifest.ood, "int8") == 0.5


def test_a_bundle_with_malformed_variant_thresholds_is_refused(bundle: Path) -> None:
    _with_msp_rule(bundle, {"score": "msp", "threshold": 0.6, "variant_thresholds": {"h5": 0.6, "tflite": 0.5}})
    with pytest.raises(BundleError, match="ood.variant_thresholds must map"):
        verify_bundle(bundle)
