"""refit-head: the member heads are fitted again on more varied data; the backbones stay exactly as they were."""

from __future__ import annotations

import json
import shutil

import numpy as np

from model_pipeline.refit import fit_head
from model_pipeline.rundir import RunDir

from .conftest import run_cli


def test_fit_head_learns_a_shifted_source_and_the_pull_keeps_it_near_the_old_head():
    # Given a head that calls every sample class 0, and features where class 4 lives along one direction
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    y = np.where(x[:, 0] > 0.5, 4, 0)
    w0, b0 = np.zeros((8, 7)), np.array([3.0, 0, 0, 0, 0, 0, 0])
    weights = np.ones(len(y))
    # When it is refitted weakly and strongly pulled towards the old head
    w_free, b_free = fit_head(x, y, weights, w0, b0, pull=0.01)
    w_tied, _ = fit_head(x, y, weights, w0, b0, pull=1e4)
    # Then the free fit finds class 4, and the strong pull stays close to the old weights
    pred = (x @ w_free + b_free).argmax(1)
    assert (pred == y).mean() > 0.9
    assert np.linalg.norm(w_tied - w0) < 0.1 * np.linalg.norm(w_free - w0)


def test_refit_head_step_changes_only_the_heads(demo, tmp_path):
    import keras

    # Given a run re-exported from the demo bundle and an extra dataset
    run = tmp_path / "run"
    assert run_cli("reexport", str(demo["bundle"]), "--run-dir", str(run), "--reason", "test").returncode == 0
    extra = tmp_path / "extra"
    shutil.copytree(demo["data"], extra)
    before = keras.models.load_model(RunDir(run).current("model"), compile=False)
    # When the heads are refitted
    result = run_cli("refit-head", "--data", str(demo["data"]), "--run-dir", str(run), "--extra", str(extra))
    # Then only the m<i>_probs layers changed, the incoming model is kept, and config.json records the step
    assert result.returncode == 0, result.stderr[-3000:]
    after = keras.models.load_model(RunDir(run).current("model"), compile=False)
    changed = set()
    for a, b in zip(before.layers, after.layers, strict=True):
        for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
            if not np.array_equal(wa, wb):
                changed.add(a.name)
    assert changed and all(name.endswith("_probs") for name in changed)
    assert RunDir(run).current("model").name.endswith("-refit-head.h5")  # a new file; the incoming model.h5 is kept
    record = json.loads(RunDir(run).current("config").read_text())["refit_head"]
    assert record["pull"] > 0 and record["data"]["extra"]["extra"]["trained_on"] > 0
    assert "inner_holdout_images" in record["selection"]
    # and a second refit of the same run is refused clearly
    again = run_cli("refit-head", "--data", str(demo["data"]), "--run-dir", str(run))
    assert again.returncode != 0 and "already refitted" in again.stderr and "Traceback" not in again.stderr


def test_source_balanced_weights_keep_a_source_from_predicting_its_class_mix():
    from model_pipeline.config import TrainConfig
    from model_pipeline.refit import source_balanced_weights

    # Given a big source of mostly nevi and a small one of mostly melanomas
    y = np.array([5] * 80 + [4] * 20 + [4] * 9 + [5] * 3)
    sources = np.array(["ham"] * 100 + ["isic"] * 12)
    # When weighted
    w = source_balanced_weights(TrainConfig(class_weight_boost={}), y, sources)
    # Then within each source melanomas and nevi weigh the same, and each source weighs its share of the images
    for source in ("ham", "isic"):
        m = sources == source
        assert np.isclose(w[m & (y == 4)].sum(), w[m & (y == 5)].sum())
    assert np.isclose(w[sources == "isic"].sum() / w.sum(), 12 / 112)
