"""Colour constancy as a training option (``colour_constancy``): applied to every image the run decodes, and
kept away from bundles until the serving preprocessing applies it too."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lesion_contract.preprocess import preprocess_image, shades_of_grey
from model_pipeline.config import TrainConfig
from model_pipeline.data.cache import load_images
from model_pipeline.data.ham10000 import read_ham10000
from model_pipeline.errors import ConfigError

from .conftest import run_cli

TINY = {"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}


def test_load_images_applies_it_per_image_and_caches_only_the_serving_preprocessing(synthetic_dir, tmp_path):
    records = read_ham10000(synthetic_dir).records[:12]
    # When the same images are decoded with and without colour constancy (through one cache)
    corrected = load_images(records, 40, cache_dir=tmp_path, colour_constancy="shades_of_grey")
    plain = load_images(records, 40, cache_dir=tmp_path)
    # Then the plain ones are the serving preprocessing, the corrected ones that, corrected image by image
    assert np.array_equal(plain, np.stack([preprocess_image(r.path, 40) for r in records]))
    assert np.array_equal(corrected, np.stack([shades_of_grey(image) for image in plain]))
    assert not np.array_equal(corrected, plain)
    with pytest.raises(ValueError, match="unknown colour constancy"):
        load_images(records, 40, cache_dir=tmp_path, colour_constancy="grey_world")


def test_the_config_names_the_methods_it_knows():
    assert TrainConfig.from_dict({"colour_constancy": "shades_of_grey"}).colour_constancy == "shades_of_grey"
    with pytest.raises(ConfigError, match="colour_constancy must be null or one of shades_of_grey"):
        TrainConfig.from_dict({"colour_constancy": "retinex"}).validate()


def test_a_run_trained_with_it_trains_but_is_refused_for_a_bundle(synthetic_dir, tmp_path):
    run = tmp_path / "run"
    args = ["train", "--data", str(synthetic_dir), "--run-dir", str(run), "--set", 'colour_constancy="shades_of_grey"']
    args += ["--set", f"members={json.dumps([TINY])}"]
    for key, value in {"image_size": "32", "epochs": "1", "batch_size": "16", "warmup_epochs": "0"}.items():
        args += ["--set", f"{key}={value}"]
    # When a run trains with colour constancy
    trained = run_cli(*args)
    # Then it trains and records the option
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert json.loads((run / "config.json").read_text())["colour_constancy"] == "shades_of_grey"
    # but the steps that make a bundle refuse it with the reason (the app and the server would feed the model
    # uncorrected photos), and leave nothing behind
    for step in (["convert", "--version", "2026.12.05-synthetic-r1"], ["ood"]):
        result = run_cli(step[0], "--data", str(synthetic_dir), "--run-dir", str(run), *step[1:])
        assert result.returncode == 2, result.stderr[-2000:]
        assert "colour_constancy='shades_of_grey'" in result.stderr and "serving preprocessing" in result.stderr
        assert "Traceback" not in result.stderr
    assert not list(run.glob("*.tflite")) and not (run / "ood.json").exists()
