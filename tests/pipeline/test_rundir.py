"""RunDir owns a run folder's file names: steps write new files and append to lineage.json, never rewrite."""

from __future__ import annotations

import json

import pytest

from model_pipeline.errors import DatasetError
from model_pipeline.rundir import RunDir


def test_steps_write_new_files_and_the_newest_is_current(tmp_path):
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    # Given a first model written by train
    first = run.new("model", "train")
    assert first.name == "model.h5"
    first.write_bytes(b"trained")
    (run.path / "config.json").write_text("{}")
    run.record("train", ["train", "--run-dir", str(run.path), "--data", "/data/ham"], inputs={}, outputs={"model": first, "config": run.path / "config.json"}, code_revision="abc")
    # When a later step (qat) writes its model
    second = run.new("model", "qat")
    # Then it gets a new name, the first model is untouched, and the newest is current
    assert second.name == "model.2-qat.h5" and not second.exists()
    second.write_bytes(b"fine-tuned")
    run.record("qat", ["qat", "--run-dir", str(run.path)], inputs={"model": first}, outputs={"model": second}, code_revision="abc")
    assert first.read_bytes() == b"trained"
    assert run.current("model") == second
    assert run.current("config") == run.path / "config.json"  # qat wrote no config
    steps = json.loads((run.path / "lineage.json").read_text())["steps"]
    assert [s["step"] for s in steps] == ["train", "qat"] and steps[1]["parent"] == 1
    assert steps[0]["argv"] == ["train", "--run-dir", "{run}", "--data", "/data/ham"]
    assert steps[1]["inputs"]["model"]["name"] == "model.h5" and len(steps[1]["sha256"]["model.2-qat.h5"]) == 64


def test_a_run_without_lineage_reads_the_classic_names_and_a_broken_lineage_is_an_error(tmp_path):
    run = RunDir(tmp_path)
    assert run.current("model") == tmp_path / "model.h5"
    (tmp_path / "model.h5").write_bytes(b"old run")
    assert run.new("model", "assemble").name == "model.1-assemble.h5"  # model.h5 exists: never overwritten
    (tmp_path / "model.1-assemble.h5").write_bytes(b"assembled by a library call, no lineage entry")
    (tmp_path / "model.2-ood.h5").write_bytes(b"two outputs")
    assert run.current("model").name == "model.2-ood.h5"
    assert run.current("model", skip=("ood",)).name == "model.1-assemble.h5"  # what an ood step run again reads
    assert run.new("model", "qat").name == "model.3-qat.h5"
    (tmp_path / "lineage.json").write_text("{not json")
    with pytest.raises(DatasetError, match="unreadable lineage"):
        run.new("model", "qat")
