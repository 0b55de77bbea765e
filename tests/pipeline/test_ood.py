"""The "cannot assess" step: scores, the non-lesion sets, the second model output and the bundle's ood rule."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from lesion_contract.manifest import Manifest
from lesion_contract.ood import OodRule, assess, ood_score, threshold_for
from model_pipeline import ood
from model_pipeline.bundle.validate import validate_bundle
from model_pipeline.export.tflite import TFLiteModel
from tests.pipeline.conftest import run_cli


def test_whitening_gives_unit_within_class_variance_and_the_mahalanobis_distance():
    # Given two classes with a shared, elongated covariance
    rng = np.random.default_rng(0)
    cov = np.array([[4.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.25]])
    chol = np.linalg.cholesky(cov)
    y = np.repeat([0, 5], 4000)
    x = rng.normal(size=(8000, 3)) @ chol.T + np.where(y[:, None] == 0, 0.0, 3.0)
    # When the whitening is fitted with every direction kept
    fit = ood.fit_whitening(x, y, dim=3)
    z = fit.transform(x)
    # Then the within-class covariance of z is the identity and the score is the Mahalanobis distance to the nearest mean
    centred = z - fit.means[y]
    assert np.allclose(centred.T @ centred / len(z), np.eye(3), atol=0.05)
    point = np.array([[1.0, -2.0, 0.5]])
    means = [x[y == k].mean(axis=0) for k in (0, 5)]
    residual = x - np.where(y[:, None] == 0, means[0], means[1])
    precision = np.linalg.inv(residual.T @ residual / (len(x) - 2))
    expected = min(float(((point - m) @ precision @ (point - m).T)[0, 0]) for m in means)
    assert fit.score(point)[0] == pytest.approx(expected, rel=0.01)
    assert fit.explained == pytest.approx(1.0)


def test_choice_prefers_the_smallest_output_that_meets_the_target_else_the_best_within_a_point():
    # r23's candidates: only the 512-wide output refuses >= 90% of all non-lesion images
    table = {
        "msp": {"non_lesion_family_mean": 0.162, "non_lesion_refusal": 0.161},
        "mahalanobis_low512": {"non_lesion_family_mean": 0.906, "non_lesion_refusal": 0.904},
        "mahalanobis_low256": {"non_lesion_family_mean": 0.902, "non_lesion_refusal": 0.898},
        "mahalanobis_low64": {"non_lesion_family_mean": 0.78, "non_lesion_refusal": 0.77},
    }
    assert ood.choose(table) == "mahalanobis_low512"
    # when both meet it, the smaller output wins
    table["mahalanobis_low256"]["non_lesion_refusal"] = 0.901
    assert ood.choose(table) == "mahalanobis_low256"
    # when none does, the best family mean within a point, the smaller output first
    table["mahalanobis_low512"]["non_lesion_refusal"] = table["mahalanobis_low256"]["non_lesion_refusal"] = 0.89
    assert ood.choose(table) == "mahalanobis_low256"
    assert ood.choose({"msp": table["msp"], "mahalanobis_low64": table["mahalanobis_low64"]}) == "mahalanobis_low64"


def test_threshold_refuses_at_most_the_target_share_of_lesions_and_auroc_orders_scores():
    scores = np.arange(100, dtype=np.float64)
    t = ood.threshold_for(scores, 0.05)
    assert ood.refusal(scores, t) == pytest.approx(0.05)
    assert ood.auroc(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 1.0
    assert ood.auroc(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.5


def test_non_lesion_sets_are_deterministic_and_shaped(synthetic_dir):
    from model_pipeline.data.cache import load_images
    from model_pipeline.pipeline import load_dataset

    records = load_dataset(synthetic_dir).records[:12]
    images = load_images(records, 32, cache_dir=None)
    a = ood.non_lesion_sets(images, [r.path for r in records], 32, seed=1)
    b = ood.non_lesion_sets(images, [r.path for r in records], 32, seed=1)
    assert {"package_images", "textures", "noise", "skin_blurred", "skin_overexposed", "skin_underexposed", "skin_corner_crop"} <= set(a)
    for name, arr in a.items():
        assert arr.dtype == np.uint8 and arr.shape[1:] == (32, 32, 3) and len(arr) > 0, name
        assert np.array_equal(arr, b[name]), name
    assert len(a["package_images"]) >= 10  # images shipped inside installed packages: nothing downloaded


TINY_SETS = (
    "--set", "image_size=32", "--set", "epochs=1", "--set", 'members=[{"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}]',
    "--set", "representative_samples=35", "--set", "batch_size=16", "--set", "warmup_epochs=0", "--set", "patience=100",
)  # fmt: skip


@pytest.mark.slow
def test_ood_step_gives_the_bundle_a_second_output_and_a_rule_both_sides_apply(synthetic_dir, tmp_path):
    # Given a tiny one-epoch run on the SYNTHETIC set
    run, out, version = tmp_path / "run", tmp_path / "bundles", "2026.12.04-synthetic-ood-test"
    data = str(synthetic_dir)
    trained = run_cli("train", "--data", data, "--run-dir", str(run), *TINY_SETS, timeout=900)
    assert trained.returncode == 0, trained.stderr[-2000:]
    # When the ood step runs (mahalanobis forced, small dims for the tiny member), then convert, evaluate, bundle
    for step in (
        ("ood", "--data", data, "--run-dir", str(run), "--dim", "4", "--dim", "8", "--score", "mahalanobis"),
        ("convert", "--data", data, "--run-dir", str(run), "--version", version, "--out", str(out)),
        ("evaluate", "--data", data, "--run-dir", str(run), "--latency-runs", "3"),
        ("bundle", "--run-dir", str(run), "--out", str(out)),
    ):
        result = run_cli(*step)
        assert result.returncode == 0, (step[0], result.stderr[-3000:])
    # Then every candidate was measured and recorded
    summary = json.loads((run / "ood.json").read_text())
    assert {"msp", "energy", "maxlogit", "mahalanobis_low4", "mahalanobis_top4", "mahalanobis_low8", "mahalanobis_top8"} <= set(summary["candidates"])
    assert summary["chosen"].startswith("mahalanobis_")
    # and the bundle validates with models loaded (golden ood scores reproduced by h5, int8 and fp16)
    bundle = out / version
    manifest = validate_bundle(bundle, load_models=True)
    rule = Manifest.load(bundle).ood
    assert rule is not None and rule.score == "mahalanobis" and rule.dim in (4, 8)
    report = json.loads((bundle / "report.json").read_text())["ood"]
    # the threshold refuses at most 5% of validation lesions with every variant
    for variant in ("h5", "int8", "fp16"):
        assert report["rule_refusal"][variant]["val_lesions"] <= 0.05 + 1e-9, variant
    assert "Cannot assess" in (bundle / "report.md").read_text()
    # and the int8 file has the features as a second output, [1, dim], with the manifest's quantisation
    int8 = TFLiteModel(bundle / "model_int8.tflite")
    assert int8.features_shape_signature == [1, rule.dim] and int8.output_shape_signature == [1, 7]
    assert int8.features_quantization == (pytest.approx(rule.int8_scale), rule.int8_zero_point)
    # and the golden int8 score is the contract's rule on the stored uint8 features (what the app recomputes)
    golden = json.loads((bundle / "golden.json").read_text())
    for entry in golden:
        q = entry["ood_features_int8"]
        assert ood_score(rule, rule.dequantize(q), entry["expected"]["int8"]) == pytest.approx(entry["ood_score"]["int8"], abs=1e-6)
        # and the interpreter's features give the same uint8 values
        from lesion_contract.preprocess import preprocess_image

        _, raw = int8.raw_with_features(preprocess_image(bundle / entry["file"], manifest["input"]["height"]))
        assert np.abs(raw.astype(int) - np.array(q)).max() <= 2
    # and pure noise is refused by the bundle's own rule on the int8 model
    noise = np.random.default_rng(0).integers(0, 256, (manifest["input"]["height"],) * 2 + (3,)).astype(np.uint8)
    probs, feats = int8.predict_with_features(noise)
    outcome, score = assess(rule, feats, probs, variant="int8")
    assert score is not None and (outcome == "cannot_assess") == (score > threshold_for(rule, "int8"))
    # and the rule carries each variant's own threshold, the shared one being the largest
    assert rule.variant_thresholds is not None and set(rule.variant_thresholds) == {"h5", "int8", "fp16"}
    assert rule.threshold == max(rule.variant_thresholds.values())
    for variant in ("h5", "int8", "fp16"):
        assert report["rule_refusal"][variant]["val_lesions"] <= 0.05 + 1e-9, variant


def test_rule_parsing_refuses_incomplete_rules():
    with pytest.raises(ValueError, match="means"):
        OodRule.from_dict({"score": "mahalanobis", "threshold": 1.0, "output": "ood_features", "dim": 2, "means": [[0, 0]], "int8_quantization": {"scale": 0.1, "zero_point": 0}})
    with pytest.raises(ValueError, match="score"):
        OodRule.from_dict({"score": "energy", "threshold": 1.0})
    assert assess(None, None, [0, 0, 0, 0, 0, 1, 0], variant="h5") == ("assessed", None)
    msp = OodRule.from_dict({"score": "msp", "threshold": 0.5})
    assert assess(msp, None, [0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.1], variant="h5")[0] == "cannot_assess"
    assert assess(msp, None, [0, 0, 0, 0, 0.5, 0.5, 0], variant="h5")[0] == "assessed"  # at the threshold: assessed


class _FakeVariant:
    """A model variant for ``evaluate_ood``: its top probability is ``top(image)``, read from the pixels."""

    features_quantization = None

    def __init__(self, shift: float) -> None:
        self.shift = shift

    def predict_with_features(self, image: np.ndarray) -> tuple[np.ndarray, None]:
        top = min(1.0, float(image.mean()) / 255.0 + self.shift)
        probs = np.full(7, (1.0 - top) / 6.0)
        probs[5] = top
        return probs, None


def _probs(tops: np.ndarray) -> np.ndarray:
    probs = np.repeat(((1.0 - tops) / 6.0)[:, None], 7, axis=1)
    probs[:, 5] = tops
    return probs


def test_evaluate_ood_gives_each_variant_its_own_threshold_and_refusal():
    # Given msp scores on 100 validation lesions: the int8 model's run lower than the .h5's (more confident)
    val_tops = np.linspace(0.5, 0.99, 100)
    shifts = {"h5": 0.0, "int8": 0.1, "fp16": 0.02}
    val_outputs = {v: (_probs(np.minimum(1.0, val_tops + s)), None) for v, s in shifts.items()}
    predictors = {v: _FakeVariant(s) for v, s in shifts.items()}
    # and a non-lesion set whose photos' top probabilities spread over 0..0.9
    sets = {"textures": np.stack([np.full((4, 4, 3), v, dtype=np.uint8) for v in np.linspace(0, 230, 40)])}
    # When the evaluate step fixes the rule
    report = ood.evaluate_ood({"score": "msp", "threshold": 0.0}, predictors, val_outputs, sets, {"chosen": "msp", "candidates": {}})
    rule = report["rule"]
    # Then every variant has its own 95th percentile of its validation scores, and threshold is the largest
    percentile = {v: ood.threshold_for(ood.msp(val_outputs[v][0]), 0.05) for v in shifts}
    own = rule["variant_thresholds"]
    assert set(own) == set(shifts)
    for v in shifts:  # stored to 6 decimals, rounded up: a lesion at the percentile is still assessed
        assert percentile[v] <= own[v] < percentile[v] + 1e-6 and own[v] == round(own[v], 6)
    assert rule["threshold"] == max(own.values()) == own["h5"] and own["int8"] < own["h5"]
    # and the rule is a valid contract rule the server and the app read
    parsed = OodRule.from_dict(rule)
    assert threshold_for(parsed, "int8") == own["int8"] and threshold_for(parsed, "h5") == own["h5"]
    # and each variant's refusal is measured at its own threshold: at most 5% of its validation lesions
    for variant, rates in report["rule_refusal"].items():
        assert rates["val_lesions"] <= 0.05 + 1e-9, variant
        assert rates["val_lesions"] == pytest.approx(ood.refusal(ood.msp(val_outputs[variant][0]), own[variant]))
    # and the shared threshold is reported too: there the int8 model refuses fewer of both kinds
    shared = report["rule_refusal_shared_threshold"]
    assert shared["h5"] == report["rule_refusal"]["h5"]
    assert shared["int8"]["val_lesions"] < report["rule_refusal"]["int8"]["val_lesions"]
    assert shared["int8"]["textures"] <= report["rule_refusal"]["int8"]["textures"]
    assert shared["int8"]["non_lesion_all"] == shared["int8"]["textures"]
    # and the report's text shows both tables with their thresholds
    report["candidates"] = {"msp": {"refusal": {"val_lesions": 0.05, "textures": 0.5}, "non_lesion_refusal": 0.5}}
    text = ood.markdown(report)
    assert "each variant's own threshold (variant_thresholds)" in text and "shared threshold" in text
    assert f"| int8 | {own['int8']:.6g} |" in text and f"| int8 | {own['h5']:.6g} |" in text


def test_the_bundle_manifest_carries_the_variant_thresholds():
    from model_pipeline.bundle.writer import ood_block

    report = {
        "ood": {
            "rule": {"score": "msp", "threshold": 0.4, "variant_thresholds": {"h5": 0.4, "int8": 0.3, "fp16": 0.39}, "rule": "..."},
            "rule_refusal": {v: {"val_lesions": 0.05} for v in ("h5", "int8", "fp16")},
            "rule_refusal_shared_threshold": {v: {"val_lesions": 0.01} for v in ("h5", "int8", "fp16")},
            "candidates": {"msp": {}},
        }
    }
    block = ood_block(report)
    assert block is not None and block["variant_thresholds"] == {"h5": 0.4, "int8": 0.3, "fp16": 0.39}
    assert block["refusal"]["int8"] == {"val_lesions": 0.05}  # measured at each variant's own threshold
    assert OodRule.from_dict(block).variant_thresholds == {"h5": 0.4, "int8": 0.3, "fp16": 0.39}


@pytest.mark.parametrize(
    ("variant_thresholds", "threshold", "problem"),
    [
        ({"h5": 0.4, "int8": 0.3, "fp16": 0.39}, 0.4, None),
        (None, 0.4, None),  # r21: one threshold
        ({"h5": 0.4, "int8": 0.3}, 0.4, "no threshold for \\['fp16'\\]"),
        ({"h5": 0.4, "int8": 0.3, "fp16": 0.39}, 0.35, "is not the largest of variant_thresholds"),
        ({"h5": 0.4, "int8": 0.3, "fp16": 0.39}, 0.5, "is not the largest of variant_thresholds"),
    ],
)
def test_the_validator_checks_the_thresholds_the_pipeline_writes(variant_thresholds, threshold, problem):
    from model_pipeline.bundle.validate import check_ood_thresholds

    rule = {"score": "msp", "threshold": threshold, **({"variant_thresholds": variant_thresholds} if variant_thresholds else {})}
    problems = check_ood_thresholds({"ood": rule})
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and re.search(problem, problems[0]), problems
    assert check_ood_thresholds({}) == []
