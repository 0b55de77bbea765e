"""Training on more than one split's worth of data: images an older split does not list, and the trainable half
of another dataset, with the validation side kept exactly as it was (so a new model is compared with an older
bundle on the same images) and the classes balanced within each dataset."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from model_pipeline.config import TrainConfig
from model_pipeline.data.ham10000 import read_ham10000
from model_pipeline.data.split import external_holdout, lesion_split, read_split, write_split
from model_pipeline.pipeline import dataset_balanced_weights, extend_split

from .conftest import run_cli
from .test_resume import TINY


def _older_split(dataset, path: Path) -> tuple[set[str], set[str]]:
    """A split.csv that does not list every third image (as if those images were added later). Returns the
    image ids left out whose lesion validates and those whose lesion does not."""
    split = lesion_split(dataset, val_fraction=0.25, seed=5)
    val_lesions = {r.lesion_id for r in split.val}
    dropped = {r.image_id for i, r in enumerate(sorted(dataset.records, key=lambda r: r.image_id)) if i % 3 == 0}
    rows = [(r.image_id, r.lesion_id, r.label, side) for side, recs in (("train", split.train), ("val", split.val)) for r in recs]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("image_id", "lesion_id", "dx", "split"))
        writer.writerows(sorted(row for row in rows if row[0] not in dropped))
    # a lesion whose every image was left out is new to the older split: it trains
    listed_val_lesions = {r.lesion_id for r in split.val if r.image_id not in dropped}
    assert listed_val_lesions < val_lesions or listed_val_lesions == val_lesions
    by_id = {r.image_id: r for r in dataset.records}
    return (
        {i for i in dropped if by_id[i].lesion_id in listed_val_lesions},
        {i for i in dropped if by_id[i].lesion_id not in listed_val_lesions},
    )


def test_extend_split_adds_unlisted_images_to_training_and_keeps_the_validation_side(synthetic_dir, tmp_path):
    # Given an older split that does not list a third of the images
    dataset = read_ham10000(synthetic_dir)
    old_file = tmp_path / "split.csv"
    of_val_lesions, of_train_lesions = _older_split(dataset, old_file)
    assert of_val_lesions and of_train_lesions
    old = read_split(old_file, dataset)
    # When it is extended
    new, skipped = extend_split(old, dataset)
    # Then validation is exactly the old side, the unlisted images of non-validation lesions train,
    # those of validation lesions stay out, and no lesion is on both sides
    assert [r.image_id for r in new.val] == [r.image_id for r in old.val]
    assert {r.image_id for r in new.train} == {r.image_id for r in old.train} | of_train_lesions
    assert skipped == len(of_val_lesions)
    assert not {r.lesion_id for r in new.train} & {r.lesion_id for r in new.val}


def test_dataset_balanced_weights_balance_within_each_dataset_and_cap_tiny_classes():
    # Given a big dataset of mostly nevi and a small one of mostly melanomas with one basal cell carcinoma
    y = np.array([5] * 80 + [4] * 20 + [4] * 30 + [5] * 20 + [1])
    groups = np.array(["ham"] * 100 + ["isic"] * 51, dtype=object)
    # When weighted (no boosts)
    w = dataset_balanced_weights(TrainConfig(class_weight_boost={}), y, groups)
    # Then within each dataset melanomas and nevi weigh the same, each dataset weighs its share of the images,
    # and the single bcc image is capped (uncapped it would carry a third of its dataset's weight)
    for group in ("ham", "isic"):
        m = groups == group
        assert np.isclose(w[m & (y == 4)].sum(), w[m & (y == 5)].sum(), rtol=1e-5)
    assert np.isclose(w[groups == "isic"].sum() / w.sum(), 51 / 151, rtol=1e-5)
    # (capped at 10x its dataset's mean, then the dataset renormalised to its share: 11.6x here, not 17x)
    isic_mean = w[groups == "isic"].mean()
    assert w[-1] < 12.0 * isic_mean and w[-1] < w[groups == "isic"].sum() / 4


def test_train_with_unlisted_images_and_an_extra_dataset(synthetic_dir, tmp_path):
    from model_pipeline.data.synthetic import generate

    # Given an older split file and another dataset (its own HAM10000-layout folder)
    dataset = read_ham10000(synthetic_dir)
    old_file = tmp_path / "old_split.csv"
    _, of_train_lesions = _older_split(dataset, old_file)
    extra_dir = generate(tmp_path / "extra", 60, seed=11, width=100, height=100)
    extra = read_ham10000(extra_dir, require_all_classes=False)
    run = tmp_path / "run"
    # When a run trains on the old split's training side, the unlisted images and the extra dataset's trainable half
    args = ["train", "--data", str(synthetic_dir), "--run-dir", str(run), "--split-file", str(old_file), "--add-unlisted"]
    args += ["--extra", str(extra_dir), "--set", "class_balance=dataset", "--set", f"members={json.dumps(TINY[:1])}"]
    for key, value in {"image_size": "32", "epochs": "1", "batch_size": "16", "warmup_epochs": "0"}.items():
        args += ["--set", f"{key}={value}"]
    result = run_cli(*args)
    # Then it trains, its split.csv keeps the old validation side and lists the added images as training,
    # and data.json / lineage.json say what else trained
    assert result.returncode == 0, result.stderr[-3000:]
    old = read_split(old_file, dataset)
    new = read_split(run / "split.csv", dataset)
    assert {r.image_id for r in new.val} == {r.image_id for r in old.val}
    assert {r.image_id for r in new.train} == {r.image_id for r in old.train} | of_train_lesions
    data = json.loads((run / "data.json").read_text())
    [entry] = data["extra_training"]
    assert entry["trained_images"] == len(external_holdout(extra).train) > 0
    assert entry["held_out_images"] == len(external_holdout(extra).val) > 0
    assert data["split_from"]["unlisted_images_added"] is True
    assert "given sample weights" in result.stderr
    [train_step] = json.loads((run / "lineage.json").read_text())["steps"]
    assert train_step["step"] == "train" and "--extra" in train_step["argv"] and "--add-unlisted" in train_step["argv"]
    # and the rebuilt split can be written and read back (the steps after train read it)
    write_split(new, tmp_path / "again.csv")
    assert read_split(tmp_path / "again.csv", dataset).val == new.val


def test_add_unlisted_without_a_split_file_and_a_bad_class_balance_are_refused(synthetic_dir, tmp_path):
    no_split = run_cli("train", "--data", str(synthetic_dir), "--run-dir", str(tmp_path / "a"), "--add-unlisted")
    assert no_split.returncode != 0 and "--split-file" in no_split.stderr and "Traceback" not in no_split.stderr
    bad = run_cli("train", "--data", str(synthetic_dir), "--run-dir", str(tmp_path / "b"), "--set", "class_balance=source")
    assert bad.returncode != 0 and "class_balance" in bad.stderr and "Traceback" not in bad.stderr
