"""Readers for the official HAM10000 release and the ISIC 2018 Task 3 ground-truth CSV."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lesion_contract.labels import LABEL_INDEX, LABELS
from model_pipeline.errors import DatasetError

METADATA_FILENAME = "HAM10000_metadata.csv"
REQUIRED_COLUMNS = ("lesion_id", "image_id", "dx")
IMAGE_DIR_CANDIDATES = ("HAM10000_images_part_1", "HAM10000_images_part_2", "images")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# ISIC 2018 Task 3 ground-truth column names, mapped to our labels.
ISIC2018_COLUMNS: dict[str, str] = {"MEL": "mel", "NV": "nv", "BCC": "bcc", "AKIEC": "akiec", "BKL": "bkl", "DF": "df", "VASC": "vasc"}


@dataclass(frozen=True)
class Record:
    """One labelled image: where it is and which lesion it shows."""

    image_id: str
    lesion_id: str
    label: str
    path: Path
    source: str  # "<csv file>:<row>" for error messages
    dx_type: str = ""
    origin: str = ""  # the metadata's ``dataset`` column: where the image was collected ("" when not recorded)

    @property
    def label_index(self) -> int:
        return LABEL_INDEX[self.label]

    def source_size(self) -> str:
        """The image file's "WxH" (its header only; the file is closed again)."""
        from PIL import Image

        with Image.open(self.path) as im:
            return "{}x{}".format(*im.size)


@dataclass(frozen=True)
class Dataset:
    """A list of records plus what it was read from (for provenance)."""

    records: tuple[Record, ...]
    name: str
    root: Path
    metadata_sha256: str

    def class_counts(self) -> dict[str, int]:
        counts = Counter(r.label for r in self.records)
        return {name: counts.get(name, 0) for name in LABELS}

    def n_lesions(self) -> int:
        return len({r.lesion_id for r in self.records})


def _index_images(dirs: Sequence[Path]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                index.setdefault(path.stem, path)
    return index


def image_dirs_for(root: Path, explicit: Sequence[Path] | None = None) -> list[Path]:
    """Folders searched for ``<image_id>.jpg``: the explicit ones, else the official ones + root."""
    if explicit:
        missing = [str(d) for d in explicit if not Path(d).is_dir()]
        if missing:
            raise DatasetError(f"image folder not found: {', '.join(missing)}")
        return [Path(d) for d in explicit]
    dirs = [root / name for name in IMAGE_DIR_CANDIDATES if (root / name).is_dir()]
    return [*dirs, root]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            fields = [f.strip() for f in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: not a readable CSV file ({exc})") from exc
    return fields, rows


def _check_complete(records: Iterable[Record], csv_path: Path) -> None:
    counts = Counter(r.label for r in records)
    empty = [name for name in LABELS if counts.get(name, 0) == 0]
    if empty:
        raise DatasetError(
            f"{csv_path}: no images for class(es) {', '.join(empty)}; every class in {', '.join(LABELS)} needs at least one image"
        )


def read_ham10000(
    root: str | Path,
    *,
    metadata: str | Path | None = None,
    image_dirs: Sequence[Path] | None = None,
    require_all_classes: bool = True,
) -> Dataset:
    """Read ``HAM10000_metadata.csv`` and locate every image.

    Raises ``DatasetError`` naming the file and row for missing columns, unknown dx codes,
    duplicated image ids, missing images, lesions labelled with two classes, and empty classes.
    """
    root = Path(root)
    csv_path = Path(metadata) if metadata else root / METADATA_FILENAME
    fields, rows = _read_csv(csv_path)
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in fields]
    if missing_cols:
        raise DatasetError(f"{csv_path}: missing column(s) {', '.join(missing_cols)} (header: {fields})")
    index = _index_images(image_dirs_for(root, image_dirs))
    records: list[Record] = []
    seen: dict[str, int] = {}
    lesion_label: dict[str, tuple[str, int]] = {}
    for i, row in enumerate(rows):
        line = i + 2  # header is line 1
        where = f"{csv_path}:{line}"
        image_id = (row.get("image_id") or "").strip()
        lesion_id = (row.get("lesion_id") or "").strip()
        dx = (row.get("dx") or "").strip().lower()
        if not image_id or not lesion_id:
            raise DatasetError(f"{where}: empty image_id or lesion_id")
        if dx not in LABEL_INDEX:
            raise DatasetError(f"{where}: unknown dx code {row.get('dx')!r} for image {image_id} (expected one of {', '.join(LABELS)})")
        if image_id in seen:
            raise DatasetError(f"{where}: duplicated image_id {image_id} (first seen on line {seen[image_id]})")
        seen[image_id] = line
        if lesion_id in lesion_label and lesion_label[lesion_id][0] != dx:
            other, other_line = lesion_label[lesion_id]
            raise DatasetError(f"{where}: lesion {lesion_id} is labelled {dx} but {other} on line {other_line}")
        lesion_label.setdefault(lesion_id, (dx, line))
        path = index.get(image_id)
        if path is None:
            raise DatasetError(f"{where}: image {image_id}.jpg not found under {root}")
        records.append(
            Record(image_id, lesion_id, dx, path, where, (row.get("dx_type") or "").strip(), (row.get("dataset") or "").strip())
        )
    if not records:
        raise DatasetError(f"{csv_path}: no rows")
    if require_all_classes:
        _check_complete(records, csv_path)
    return Dataset(tuple(records), "HAM10000", root, _sha256_file(csv_path))


def read_isic2018_groundtruth(
    csv_path: str | Path,
    images_dir: str | Path,
    *,
    ham_metadata: str | Path | None = None,
    require_all_classes: bool = True,
) -> Dataset:
    """Read the ISIC 2018 Task 3 ground truth (image + one-hot MEL..VASC columns).

    Without ``ham_metadata`` each image is its own lesion (the CSV has no lesion ids); pass the
    HAM10000 metadata CSV to group images by ``lesion_id`` so splits do not leak.
    """
    csv_path = Path(csv_path)
    fields, rows = _read_csv(csv_path)
    needed = ["image", *ISIC2018_COLUMNS]
    missing_cols = [c for c in needed if c not in fields]
    if missing_cols:
        raise DatasetError(f"{csv_path}: missing column(s) {', '.join(missing_cols)} (header: {fields})")
    lesions: dict[str, str] = {}
    if ham_metadata is not None:
        _, meta_rows = _read_csv(Path(ham_metadata))
        lesions = {r["image_id"].strip(): r["lesion_id"].strip() for r in meta_rows if r.get("image_id")}
    index = _index_images([Path(images_dir)])
    records: list[Record] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        line = i + 2
        where = f"{csv_path}:{line}"
        image_id = (row.get("image") or "").strip()
        if not image_id:
            raise DatasetError(f"{where}: empty image column")
        try:
            values = {col: float(row[col]) for col in ISIC2018_COLUMNS}
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{where}: non-numeric label value for image {image_id}") from exc
        hot = [col for col, v in values.items() if v >= 0.5]
        if len(hot) != 1 or any(v not in (0.0, 1.0) for v in values.values()):
            raise DatasetError(f"{where}: image {image_id} is not one-hot over {', '.join(ISIC2018_COLUMNS)}")
        if image_id in seen:
            raise DatasetError(f"{where}: duplicated image {image_id} (first seen on line {seen[image_id]})")
        seen[image_id] = line
        path = index.get(image_id)
        if path is None:
            raise DatasetError(f"{where}: image {image_id}.jpg not found in {images_dir}")
        lesion = lesions.get(image_id, image_id)
        records.append(Record(image_id, lesion, ISIC2018_COLUMNS[hot[0]], path, where))
    if not records:
        raise DatasetError(f"{csv_path}: no rows")
    if require_all_classes:
        _check_complete(records, csv_path)
    return Dataset(tuple(records), "ISIC2018-Task3", Path(images_dir), _sha256_file(csv_path))
