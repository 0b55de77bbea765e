"""Lineage: every step of a run is recorded, the bundle carries it, and ``remake`` rebuilds a bundle from it."""

from __future__ import annotations

import json
from pathlib import Path

from model_pipeline.rundir import RunDir

from .conftest import ROOT, run_cli


def test_the_demo_bundle_carries_its_lineage(demo):
    # Given the demo's run (train -> convert -> evaluate) and its bundle
    steps = json.loads((demo["run"] / "lineage.json").read_text())["steps"]
    # Then every step is recorded in order with its command line, code revision and output hashes
    assert [s["step"] for s in steps] == ["train", "convert", "evaluate"]
    assert steps[0]["argv"][:2] == ["train", "--data"] and "{run}" in steps[0]["argv"]
    assert steps[0]["outputs"]["model"] == "model.h5" and len(steps[0]["sha256"]["model.h5"]) == 64
    assert steps[1]["inputs"]["model"]["sha256"] == steps[0]["sha256"]["model.h5"]
    assert "model_int8.tflite" in steps[1]["outputs"] and all(s["code_revision"] for s in steps)
    # and the bundle's manifest copies it
    assert json.loads((demo["bundle"] / "manifest.json").read_text())["lineage"] == steps


def test_remake_rebuilds_a_bundle_from_its_lineage(demo, tmp_path):
    # When the demo bundle is remade into a fresh run directory
    run, out = tmp_path / "remade", tmp_path / "bundles"
    result = run_cli("remake", str(demo["bundle"]), "--run-dir", str(run), "--data", str(demo["data"]), "--out", str(out))
    # Then a new, valid bundle exists with the same recipe and the same steps
    assert result.returncode == 0, result.stderr[-4000:]
    (new,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    original = json.loads((demo["bundle"] / "manifest.json").read_text())
    remade = json.loads((new / "manifest.json").read_text())
    assert remade["version"] != original["version"] or out != demo["bundles"]
    assert [s["step"] for s in remade["lineage"]] == [s["step"] for s in original["lineage"]]
    assert remade["training"]["members"] == original["training"]["members"]
    assert run_cli("validate", str(new)).returncode == 0
    assert RunDir(run).current("model") == run / "model.h5"


def test_remake_refuses_a_bundle_without_lineage(tmp_path):
    bundle = tmp_path / "old"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps({"version": "2026.11.25-ham10000-r1"}))
    result = run_cli("remake", str(bundle), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2 and "records no lineage" in result.stderr and "Traceback" not in result.stderr
    assert Path(ROOT / "model_pipeline" / "rundir.py").is_file()
