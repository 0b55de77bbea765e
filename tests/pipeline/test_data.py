"""Dataset reading and lesion-level splitting (preprocessing is the contract's: tests/contract/test_preprocess.py)."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from lesion_contract.labels import LABELS
from lesion_contract.preprocess import preprocess_image
from model_pipeline.data.cache import load_images
from model_pipeline.data.ham10000 import read_ham10000, read_isic2018_groundtruth
from model_pipeline.data.split import lesion_split, read_split, write_split
from model_pipeline.errors import DatasetError

from .conftest import SHARED_HAM, run_cli


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _rows(root: Path) -> list[dict]:
    with (root / "HAM10000_metadata.csv").open() as handle:
        return list(csv.DictReader(handle))


def _write_rows(root: Path, rows: list[dict]) -> None:
    with (root / "HAM10000_metadata.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_synthetic_dataset_has_ham10000_layout_and_imbalance(synthetic_dir):
    # Given a generated SYNTHETIC dataset, when it is read as HAM10000
    dataset = read_ham10000(synthetic_dir)
    counts = dataset.class_counts()
    # then every class is present, nv dominates like in HAM10000, lesions have several images
    assert (synthetic_dir / "HAM10000_images_part_1").is_dir() and (synthetic_dir / "HAM10000_images_part_2").is_dir()
    assert (synthetic_dir / "SYNTHETIC.json").is_file()
    assert all(counts[label] > 0 for label in LABELS)
    assert counts["nv"] == max(counts.values()) and counts["nv"] > 3 * counts["mel"] / 2
    per_lesion = Counter(r.lesion_id for r in dataset.records)
    assert max(per_lesion.values()) >= 2
    assert dataset.n_lesions() < len(dataset.records)


def test_lesion_split_has_no_leakage_and_is_stratified_and_seeded(synthetic_dir, tmp_path):
    dataset = read_ham10000(synthetic_dir)
    split = lesion_split(dataset, val_fraction=0.25, seed=5)
    train_lesions = {r.lesion_id for r in split.train}
    val_lesions = {r.lesion_id for r in split.val}
    assert not train_lesions & val_lesions
    assert len(split.train) + len(split.val) == len(dataset.records)
    # every class appears on both sides (each has >= 2 lesions in the synthetic set)
    assert {r.label for r in split.train} == set(LABELS) == {r.label for r in split.val}
    assert 0.15 < len(split.val) / len(dataset.records) < 0.4
    # same seed -> same split; another seed -> another split
    assert [r.image_id for r in lesion_split(dataset, val_fraction=0.25, seed=5).val] == [r.image_id for r in split.val]
    assert {r.image_id for r in lesion_split(dataset, val_fraction=0.25, seed=6).val} != {r.image_id for r in split.val}
    # split.csv round-trips
    write_split(split, tmp_path / "split.csv")
    again = read_split(tmp_path / "split.csv", dataset)
    assert {r.image_id for r in again.val} == {r.image_id for r in split.val}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows[3].update(dx="xyz"), "unknown dx code 'xyz'"),
        (lambda rows: rows[4].update(image_id=rows[2]["image_id"]), "duplicated image_id"),
        (lambda rows: rows[5].update(image_id="SYN_MISSING"), "SYN_MISSING.jpg not found"),
    ],
)
def test_bad_metadata_rows_name_file_and_row(synthetic_dir, tmp_path, mutate, message):
    root = _copy(synthetic_dir, tmp_path / "bad")
    rows = _rows(root)
    mutate(rows)
    _write_rows(root, rows)
    with pytest.raises(DatasetError) as info:
        read_ham10000(root)
    assert message in str(info.value)
    assert "HAM10000_metadata.csv:" in str(info.value)  # file:line


def test_empty_class_and_missing_column_are_reported(synthetic_dir, tmp_path):
    root = _copy(synthetic_dir, tmp_path / "nodf")
    _write_rows(root, [r for r in _rows(root) if r["dx"] != "df"])
    with pytest.raises(DatasetError, match="no images for class\\(es\\) df"):
        read_ham10000(root)
    rows = [{k: v for k, v in r.items() if k != "lesion_id"} for r in _rows(root)]
    _write_rows(root, rows)
    with pytest.raises(DatasetError, match="missing column\\(s\\) lesion_id"):
        read_ham10000(root)


def test_corrupt_image_names_file_and_row(synthetic_dir, tmp_path):
    root = _copy(synthetic_dir, tmp_path / "corrupt")
    dataset = read_ham10000(root)
    victim = dataset.records[7]
    victim.path.write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    with pytest.raises(DatasetError) as info:
        load_images(dataset.records, 32, cache_dir=None)
    assert victim.image_id in str(info.value) and "corrupt" in str(info.value)
    assert f"HAM10000_metadata.csv:{victim.source.rsplit(':', 1)[1]}" in str(info.value)


def test_cli_reports_bad_dataset_without_traceback(synthetic_dir, tmp_path):
    root = _copy(synthetic_dir, tmp_path / "badcli")
    rows = _rows(root)
    rows[1]["dx"] = "melanoma"
    _write_rows(root, rows)
    result = run_cli("train", "--data", str(root), "--run-dir", str(tmp_path / "run"), timeout=300)
    assert result.returncode == 2
    assert "error:" in result.stderr and "HAM10000_metadata.csv:3" in result.stderr and "melanoma" in result.stderr
    assert "Traceback" not in result.stderr


def test_isic2018_groundtruth_reader(synthetic_dir, tmp_path):
    dataset = read_ham10000(synthetic_dir)
    images = tmp_path / "isic"
    images.mkdir()
    columns = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
    with (tmp_path / "gt.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", *columns])
        for r in dataset.records:
            shutil.copy(r.path, images / f"{r.image_id}.jpg")
            writer.writerow([r.image_id, *("1.0" if c.lower() == r.label else "0.0" for c in columns)])
    read = read_isic2018_groundtruth(tmp_path / "gt.csv", images, ham_metadata=synthetic_dir / "HAM10000_metadata.csv")
    assert [(r.image_id, r.label, r.lesion_id) for r in read.records] == [(r.image_id, r.label, r.lesion_id) for r in dataset.records]
    # a row that is not one-hot is rejected with its line number
    text = (tmp_path / "gt.csv").read_text().splitlines()
    parts = text[2].split(",")
    parts[1:] = ["1.0"] * 7
    text[2] = ",".join(parts)
    (tmp_path / "gt.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DatasetError, match="gt.csv:3: .* is not one-hot"):
        read_isic2018_groundtruth(tmp_path / "gt.csv", images)


@pytest.mark.skipif(not SHARED_HAM.is_dir(), reason="../shared HAM10000 images not present (user clone)")
def test_real_ham10000_reads_and_splits_by_lesion():
    dataset = read_ham10000(SHARED_HAM)
    # the full release since 2026-12-04 (../shared/data/README.md): HAM10000's published class counts
    assert len(dataset.records) == 10015
    assert dataset.class_counts() == {"akiec": 327, "bcc": 514, "bkl": 1099, "df": 115, "mel": 1113, "nv": 6705, "vasc": 142}
    split = lesion_split(dataset, val_fraction=0.2, seed=42)
    assert not {r.lesion_id for r in split.train} & {r.lesion_id for r in split.val}
    image = preprocess_image(split.val[0].path, 112)
    assert image.shape == (112, 112, 3)
