"""Leave-one-source-out: the source split keeps lesions whole, and ``loso`` trains and scores one fold per source."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from model_pipeline.data.ham10000 import read_ham10000
from model_pipeline.data.split import dataset_sources, source_split
from model_pipeline.errors import DatasetError
from model_pipeline.loso import transfer_figures

from .conftest import run_cli


def _with_sources(src: Path, dst: Path) -> Path:
    """A copy of the synthetic set whose ``dataset`` column names two clinics (by lesion), a few rows unrecorded;
    one lesion is photographed in both clinics."""
    shutil.copytree(src, dst)
    meta = dst / "HAM10000_metadata.csv"
    with meta.open() as handle:
        rows = list(csv.DictReader(handle))
    lesions = sorted({r["lesion_id"] for r in rows})
    for row in rows:
        k = lesions.index(row["lesion_id"])
        row["dataset"] = "" if k % 11 == 0 else ("clinic_a" if k % 2 else "clinic_b")
    shared = next(r["lesion_id"] for r in rows if sum(x["lesion_id"] == r["lesion_id"] for x in rows) >= 2 and r["dataset"])
    first = True
    for row in rows:
        if row["lesion_id"] == shared:
            row["dataset"] = "clinic_a" if first else "clinic_b"
            first = False
    with meta.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return dst


def test_source_split_holds_out_whole_lesions_of_one_source(synthetic_dir, tmp_path):
    # Given a dataset from two clinics where one lesion was photographed in both
    dataset = read_ham10000(_with_sources(synthetic_dir, tmp_path / "ham"))
    assert set(dataset_sources(dataset)) == {"clinic_a", "clinic_b"}
    # When clinic_a is held out
    split = source_split(dataset, "clinic_a")
    # Then every clinic_a image validates, no lesion is on both sides (the shared lesion validates whole),
    # and images without a recorded source train
    assert all(r.origin != "clinic_a" for r in split.train)
    assert {r.image_id for r in dataset.records if r.origin == "clinic_a"} <= {r.image_id for r in split.val}
    assert not {r.lesion_id for r in split.train} & {r.lesion_id for r in split.val}
    assert any(r.origin == "clinic_b" for r in split.val)  # the lesion seen in both clinics
    assert any(r.origin == "" for r in split.train)
    with pytest.raises(DatasetError, match="'vienna' not in the dataset"):
        source_split(dataset, "vienna")


def test_transfer_figures_count_referrals_under_the_product_rule():
    # Given two melanomas (one flagged only by mass), a nevus flagged by mass and a nevus that is not
    mel, nv = 4, 5
    y = np.array([mel, mel, nv, nv])
    probs = np.zeros((4, 7), np.float32)
    probs[0, mel] = 0.9
    probs[0, nv] = 0.1
    probs[1, mel], probs[1, nv] = 0.3, 0.7
    probs[2, mel], probs[2, nv] = 0.25, 0.75
    probs[3, nv] = 1.0
    # When scored at a high-risk mass of 0.2
    f = transfer_figures(y, probs, mass=0.2)
    # Then both melanomas and one of two nevi are referred; top-1 melanoma recall is 1 of 2
    assert f["melanoma_referred"] == 1.0 and f["benign_referred"] == 0.5 and f["melanoma_recall"] == 0.5
    assert f["balanced_accuracy"] == 0.75  # over the two classes present
    assert f["hindsight_mass_for_95pct_melanoma"] == 0.3  # the largest mass that still refers the 0.3 melanoma


def test_loso_trains_one_fold_per_source_and_reports_each(synthetic_dir, tmp_path):
    data = _with_sources(synthetic_dir, tmp_path / "ham")
    out = tmp_path / "loso"
    args = [
        "loso", "--data", str(data), "--out-dir", str(out),
        "--set", "image_size=32", "--set", "epochs=1", "--set", "batch_size=16", "--set", "warmup_epochs=0",
        "--set", 'members=[{"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}]',
    ]  # fmt: skip
    # When leave-one-source-out runs
    result = run_cli(*args)
    # Then each source was held out once, with figures, and a summary with the mean
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((out / "loso.json").read_text())
    assert set(summary["folds"]) == {"clinic_a", "clinic_b"}
    for source, fold in summary["folds"].items():
        assert json.loads((out / source / "config.json").read_text())["leave_out_source"] == source
        assert 0.0 <= fold["balanced_accuracy"] <= 1.0 and fold["images"] > 0
    assert "| **mean** |" in (out / "loso.md").read_text() and "| clinic_a |" in result.stdout
    assert summary["split"] is None and summary["external_mean"] == {}
    # and running it again scores the trained folds without training them again
    again = run_cli(*args)
    assert again.returncode == 0 and "loso fold" not in again.stderr and "epoch 1/1" not in again.stderr


def test_loso_adds_a_reference_split_fold_and_scores_every_fold_on_an_external_holdout(synthetic_dir, tmp_path):
    from model_pipeline.data.split import external_holdout, lesion_split, write_split
    from model_pipeline.data.synthetic import generate

    # Given a two-clinic dataset, a lesion split of it and another dataset
    data = _with_sources(synthetic_dir, tmp_path / "ham")
    dataset = read_ham10000(data)
    split_file = tmp_path / "split.csv"
    write_split(lesion_split(dataset, val_fraction=0.25, seed=4), split_file)
    extra_dir = generate(tmp_path / "other", 40, seed=12, width=90, height=90)
    out = tmp_path / "loso"
    # When leave-one-source-out runs with the reference split and the external set
    result = run_cli(
        "loso", "--data", str(data), "--out-dir", str(out), "--split-file", str(split_file), "--external", str(extra_dir),
        "--set", "image_size=32", "--set", "epochs=1", "--set", "batch_size=16", "--set", "warmup_epochs=0",
        "--set", 'members=[{"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}]',
    )  # fmt: skip
    # Then the same recipe also trained on the split (its validation side is the file's), the reference is not
    # part of the held-out mean, and every fold was scored on the external held-out half
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((out / "loso.json").read_text())
    assert set(summary["folds"]) == {"clinic_a", "clinic_b"}
    assert summary["split"]["images"] == sum(1 for line in split_file.read_text().splitlines() if line.endswith(",val"))
    held_out = len(external_holdout(read_ham10000(extra_dir, require_all_classes=False)).val)
    for fold in [*summary["folds"].values(), summary["split"]]:
        assert fold["external"]["other"]["images"] == held_out
    assert set(summary["external_mean"]["other"]) == {"balanced_accuracy", "melanoma_recall", "melanoma_referred", "benign_referred"}
    # and, without --mass, the operating point is the split's (>= 95% of its melanomas), applied to every fold
    assert summary["mass_from"] == "split" and all(f["mass"] == summary["mass"] for f in summary["folds"].values())
    md = (out / "loso.md").read_text()
    assert "lesion split (same recipe, reference)" in md and "Held-out half of `other`" in md
