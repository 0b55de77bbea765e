"""Training survives interruption: every epoch is checkpointed and ``train --resume`` goes on from there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT, run_cli

TINY = [{"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}, {"arch": "dsnet", "width": 0.25, "seed": 2, "dropout": 0.0}]


def _train_args(data: Path, run: Path, epochs: int = 4) -> list[str]:
    sets = {
        "image_size": "32",
        "epochs": str(epochs),
        "members": json.dumps(TINY),
        "patience": "100",
        "batch_size": "16",
        "warmup_epochs": "0",
        "learning_rate": "0.005",
    }
    args = ["train", "--data", str(data), "--run-dir", str(run)]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    return args


def _kill_after_first_epoch(args: list[str], state: Path, timeout: float = 600) -> str:
    """Start ``python -m model_pipeline train``, SIGKILL it once ``state`` records a finished epoch."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "model_pipeline", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if state.is_file() and json.loads(state.read_text())["epochs_done"] >= 1:
                proc.send_signal(signal.SIGKILL)  # no chance to clean up: like a power cut or an OOM kill
                break
            if proc.poll() is not None:
                raise AssertionError(f"training ended before it could be interrupted: {proc.stderr.read()[-3000:]}")
            time.sleep(0.05)
        else:
            raise AssertionError("no epoch finished in time")
    finally:
        proc.kill()
        _, err = proc.communicate()
    return err


def test_killed_run_resumes_after_its_last_epoch(synthetic_dir, tmp_path):
    # Given a training run killed after the first member's first epoch
    run = tmp_path / "run"
    args = _train_args(synthetic_dir, run)
    _kill_after_first_epoch(args, run / "member0.state.json")
    assert not (run / "model.h5").exists()
    before = json.loads((run / "member0.state.json").read_text())
    killed_at = before["epochs_done"]
    assert 1 <= killed_at < 4

    # When it is resumed with the same arguments
    result = run_cli(*args, "--resume")

    # Then it goes on after the last finished epoch (not from scratch) and finishes both members
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"member 0: resumed after epoch {killed_at}/4" in result.stderr
    assert (run / "model.h5").is_file()
    history = json.loads((run / "training_history.json").read_text())
    assert [e["epoch"] for e in history["members"][0]["history"]] == [1, 2, 3, 4]
    assert history["members"][0]["history"][:killed_at] == before["history"]  # the epochs before the kill were kept, not redone
    assert [e["epoch"] for e in history["members"][1]["history"]] == [1, 2, 3, 4]
    # progress says which epoch of how many, how long it took and the validation figures
    assert "member 1 epoch 2/4: loss" in result.stderr and "val_bacc" in result.stderr and "eta" in result.stderr

    # and resuming a finished run trains nothing again
    again = run_cli(*args, "--resume")
    assert again.returncode == 0, again.stderr[-4000:]
    assert "member 0: finished before" in again.stderr and "member 1: finished before" in again.stderr
    assert " epoch 1/4" not in again.stderr


def test_resume_with_another_configuration_is_refused(synthetic_dir, tmp_path):
    # Given an interrupted run
    run = tmp_path / "run"
    _kill_after_first_epoch(_train_args(synthetic_dir, run), run / "member0.state.json")
    # When it is resumed with a different number of epochs, or where nothing was trained
    changed = run_cli(*_train_args(synthetic_dir, run, epochs=6), "--resume")
    empty = run_cli(*_train_args(synthetic_dir, tmp_path / "nothing"), "--resume")
    # Then both are refused with a clear message and no traceback
    assert changed.returncode != 0 and "the configuration differs" in changed.stderr
    assert empty.returncode != 0 and "nothing to resume" in empty.stderr
    assert "Traceback" not in changed.stderr + empty.stderr
