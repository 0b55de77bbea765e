"""The "cannot assess" step: scores, the non-lesion sets, the second model output and the bundle's ood rule."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lesion_contract.manifest import Manifest
from lesion_contract.ood import OodRule, assess, ood_score
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


def test_choice_prefers_the_smaller_output_within_a_point():
    table = {
        "msp": {"non_lesion_family_mean": 0.40, "non_lesion_refusal": 0.4},
        "mahalanobis_low512": {"non_lesion_family_mean": 0.906, "non_lesion_refusal": 0.9},
        "mahalanobis_low256": {"non_lesion_family_mean": 0.902, "non_lesion_refusal": 0.9},
        "mahalanobis_low64": {"non_lesion_family_mean": 0.78, "non_lesion_refusal": 0.8},
    }
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
    outcome, score = assess(rule, feats, probs)
    assert score is not None and (outcome == "cannot_assess") == (score > rule.threshold)


def test_rule_parsing_refuses_incomplete_rules():
    with pytest.raises(ValueError, match="means"):
        OodRule.from_dict({"score": "mahalanobis", "threshold": 1.0, "output": "ood_features", "dim": 2, "means": [[0, 0]], "int8_quantization": {"scale": 0.1, "zero_point": 0}})
    with pytest.raises(ValueError, match="score"):
        OodRule.from_dict({"score": "energy", "threshold": 1.0})
    assert assess(None, None, [0, 0, 0, 0, 0, 1, 0]) == ("assessed", None)
    msp = OodRule.from_dict({"score": "msp", "threshold": 0.5})
    assert assess(msp, None, [0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.1])[0] == "cannot_assess"
    assert assess(msp, None, [0, 0, 0, 0, 0.5, 0.5, 0])[0] == "assessed"  # at the threshold: assessed
