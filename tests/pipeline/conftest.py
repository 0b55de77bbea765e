"""Fixtures for the pipeline tests: a tiny SYNTHETIC dataset and one end-to-end demo bundle per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_HAM = ROOT.parent / "shared" / "data" / "ham10000"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_cli(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``python -m model_pipeline ...`` as a user would."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(
        [sys.executable, "-m", "model_pipeline", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A small SYNTHETIC HAM10000-layout dataset (no training)."""
    from model_pipeline.data.synthetic import generate

    return generate(tmp_path_factory.mktemp("synthetic") / "ham", 160, seed=3, width=120, height=90)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """The whole pipeline (synth, train, convert, evaluate, bundle, validate) on a tiny SYNTHETIC set."""
    work = tmp_path_factory.mktemp("demo")
    result = run_cli(
        "demo",
        "--workdir",
        str(work),
        "--images",
        "210",
        "--image-size",
        "32",
        "--epochs",
        "3",
        "--tiny",
        "--latency-runs",
        "5",
        "--set",
        "batch_size=16",
        "--set",
        "warmup_epochs=0",
        "--set",
        "learning_rate=0.005",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    run = work / "run"
    version = json.loads((run / "model_meta.json").read_text())["version"]
    return {
        "work": work,
        "run": run,
        "data": work / "data",
        "bundles": work / "tflite_artifacts",
        "bundle": work / "tflite_artifacts" / version,
        "version": version,
        "stdout": result.stdout,
    }
