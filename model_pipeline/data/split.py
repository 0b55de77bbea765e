"""Lesion-level, class-stratified, seeded train/validation splits (written to ``split.csv``)."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lesion_contract.labels import LABELS
from model_pipeline.data.ham10000 import Dataset, Record
from model_pipeline.errors import DatasetError

SPLIT_COLUMNS = ("image_id", "lesion_id", "dx", "split")


@dataclass(frozen=True)
class Split:
    """Records assigned to ``train`` and ``val``; no lesion appears in both."""

    train: tuple[Record, ...]
    val: tuple[Record, ...]
    seed: int

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {"n_images": {}, "n_lesions": {}}
        for name, recs in (("train", self.train), ("val", self.val)):
            out["n_images"][name] = len(recs)
            out["n_lesions"][name] = len({r.lesion_id for r in recs})
        return out

    def class_counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {label: sum(1 for r in recs if r.label == label) for label in LABELS}
            for name, recs in (("train", self.train), ("val", self.val))
        }


def lesion_split(dataset: Dataset, *, val_fraction: float = 0.2, seed: int = 42) -> Split:
    """Split by ``lesion_id``, stratified by class.

    For each class the lesions are shuffled with ``seed`` and moved to validation until the class's
    validation images reach ``val_fraction`` of its images (at least one lesion per class goes to each
    side when the class has two or more lesions). All images of a lesion stay together.
    """
    if not 0.0 < val_fraction < 1.0:
        raise DatasetError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rng = random.Random(seed)
    by_lesion: dict[str, list[Record]] = defaultdict(list)
    for record in dataset.records:
        by_lesion[record.lesion_id].append(record)
    lesions_by_class: dict[str, list[str]] = defaultdict(list)
    for lesion_id in sorted(by_lesion):
        lesions_by_class[by_lesion[lesion_id][0].label].append(lesion_id)
    val_lesions: set[str] = set()
    for label in LABELS:
        lesions = lesions_by_class.get(label, [])
        rng.shuffle(lesions)
        total = sum(len(by_lesion[lesion]) for lesion in lesions)
        target = val_fraction * total
        taken = 0
        n_val = 0
        for lesion in lesions:
            if taken >= target and n_val > 0:
                break
            if len(lesions) - n_val <= 1:
                break  # keep at least one lesion of the class for training
            val_lesions.add(lesion)
            n_val += 1
            taken += len(by_lesion[lesion])
    train = tuple(r for r in dataset.records if r.lesion_id not in val_lesions)
    val = tuple(r for r in dataset.records if r.lesion_id in val_lesions)
    if not train or not val:
        raise DatasetError("dataset too small to split into train and validation by lesion")
    return Split(train, val, seed)


def write_split(split: Split, path: Path) -> None:
    """Write ``split.csv`` (image_id, lesion_id, dx, split), sorted by image id."""
    rows = [(r.image_id, r.lesion_id, r.label, "train") for r in split.train]
    rows += [(r.image_id, r.lesion_id, r.label, "val") for r in split.val]
    rows.sort()
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SPLIT_COLUMNS)
        writer.writerows(rows)


def read_split(path: Path, dataset: Dataset) -> Split:
    """Re-create a split from ``split.csv`` for ``dataset``; errors name the file and row."""
    path = Path(path)
    by_id = {r.image_id: r for r in dataset.records}
    train: list[Record] = []
    val: list[Record] = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != SPLIT_COLUMNS:
            raise DatasetError(f"{path}: expected header {','.join(SPLIT_COLUMNS)}")
        for i, row in enumerate(reader):
            record = by_id.get(row["image_id"])
            if record is None:
                raise DatasetError(f"{path}:{i + 2}: image {row['image_id']} is not in the dataset")
            if row["split"] not in ("train", "val"):
                raise DatasetError(f"{path}:{i + 2}: unknown split {row['split']!r}")
            (train if row["split"] == "train" else val).append(record)
    return Split(tuple(train), tuple(val), seed=-1)


def source_split(dataset: Dataset, held_out: str) -> Split:
    """Leave one source out: validate on every lesion with an image from ``held_out`` (the metadata's
    ``dataset`` column), train on the other lesions.

    A lesion photographed in two sources goes to validation whole, so no lesion is on both sides. Images
    whose source is not recorded train. Measures what transfers to a clinic the model never saw.
    """
    sources = sorted({r.origin for r in dataset.records if r.origin})
    if held_out not in sources:
        raise DatasetError(f"source {held_out!r} not in the dataset's 'dataset' column (sources: {', '.join(sources) or 'none recorded'})")
    val_lesions = {r.lesion_id for r in dataset.records if r.origin == held_out}
    train = tuple(r for r in dataset.records if r.lesion_id not in val_lesions)
    val = tuple(r for r in dataset.records if r.lesion_id in val_lesions)
    if not train:
        raise DatasetError(f"leaving out {held_out!r} leaves nothing to train on")
    return Split(train, val, seed=0)


def dataset_sources(dataset: Dataset) -> dict[str, int]:
    """Images per recorded source (the ``dataset`` column), for reports and the leave-one-source-out folds."""
    counts: dict[str, int] = defaultdict(int)
    for record in dataset.records:
        if record.origin:
            counts[record.origin] += 1
    return dict(sorted(counts.items()))


EXTERNAL_HOLDOUT_SEED = 2026


def external_holdout(dataset: Dataset, *, fraction: float = 0.5) -> Split:
    """The fixed, held-out part of an external source (``val``: never trained on, never used to choose) and
    the part a run may train on (``train``): a lesion-level, class-stratified split with a fixed seed, so
    every bundle is judged on the same external images."""
    return lesion_split(dataset, val_fraction=fraction, seed=EXTERNAL_HOLDOUT_SEED)
