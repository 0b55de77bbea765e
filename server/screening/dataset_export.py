"""Reviewed labels for the model: consenting patients' clinician-labelled screenings as a HAM10000-layout dataset.

The output directory holds `HAM10000_metadata.csv` and `images/<image_id>.jpg`, which the pipeline reads with
`model_pipeline.data.ham10000.read_ham10000`. Only honest labels: `dx` is the diagnosis a clinician recorded on
the review (one of the fixed LABELS, e.g. after histology); a review with an impression only (benign / monitor /
excise_or_biopsy / refer_urgently) carries no diagnosis and is left out. Every row also carries the clinician's
impression and the model's top label, risk and version, for evaluation. Ids are pseudonyms (HMAC-SHA256 of the
screening / lesion id with this installation's export key), never user ids; photos are re-encoded from their
pixels, so no metadata leaves.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import logging
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image

from config.settings.environment import checked_secret, installation_secret
from core import images
from core.errors import ApplicationError
from screening.error_codes import ScreeningError
from screening.models import Screening, ScreeningReview

logger = logging.getLogger(__name__)

METADATA_FILENAME = "HAM10000_metadata.csv"
COLUMNS = (
    "lesion_id",
    "image_id",
    "dx",
    "dx_type",
    "age",
    "sex",
    "localization",
    "dataset",
    "clinician_impression",
    "model_top_label",
    "model_risk",
    "model_version",
)
DX_TYPE = "clinician_review"
DATASET = "skinscreen_reviews"
JPEG_QUALITY = 95


@dataclass
class ExportResult:
    out_dir: Path
    rows: int = 0
    lesions: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def pseudonym_key() -> bytes:
    """This installation's export key: SCREENING_EXPORT_PSEUDONYM_KEY, else a random one kept in
    SCREENING_EXPORT_PSEUDONYM_KEY_FILE (made on first use, mode 0600). Keep it: pseudonyms stay stable
    across exports only with the same key; never publish it (with it, pseudonyms of known ids can be recomputed)."""
    value = settings.SCREENING_EXPORT_PSEUDONYM_KEY
    if value:
        return checked_secret(value, name="SCREENING_EXPORT_PSEUDONYM_KEY").encode()
    path = Path(settings.SCREENING_EXPORT_PSEUDONYM_KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    return installation_secret(path).encode()


def pseudonym(kind: str, value: object, key: bytes) -> str:
    """A stable id that reveals nothing without the key: `<prefix>_` + 20 hex of HMAC-SHA256(key, "kind:value")."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"{'SKL' if kind == 'lesion' else 'SKS'}_{digest}"


def _candidates() -> dict[Screening, list[ScreeningReview]]:
    """Reviewed screenings of active, consenting owners, with their reviews."""
    reviews = (
        ScreeningReview.objects.filter(screening__owner__research_consent=True, screening__owner__is_active=True)
        .select_related("screening", "screening__model_version")
        .order_by("screening_id", "updated_at", "id")
    )
    out: dict[Screening, list[ScreeningReview]] = {}
    by_id: dict[object, Screening] = {}
    for review in reviews:
        screening = by_id.setdefault(review.screening_id, review.screening)
        out.setdefault(screening, []).append(review)
    return out


def _clean_jpeg(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh, Image.open(fh) as image:
        return images.reencode_jpeg(image, quality=JPEG_QUALITY)


def export_reviewed_dataset(*, out_dir: Path, key: bytes | None = None) -> ExportResult:
    """Write the dataset to `out_dir` (which must not exist or be empty); all or nothing.

    Left out, and counted in `skipped`: screenings without a diagnosis label on any review ("no_diagnosis"),
    with reviews that disagree on it ("reviews_disagree"), whole lesions whose screenings carry different
    diagnoses ("lesion_disagrees", the HAM10000 layout has one dx per lesion), photos missing on disk.
    Owners without research consent are never read at all.
    """
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ApplicationError(f"{out_dir} exists and is not an empty directory; choose a new one.", code=ScreeningError.EXPORT_TARGET_INVALID, status=422)
    key = key or pseudonym_key()
    result = ExportResult(out_dir=out_dir)
    chosen: list[tuple[Screening, ScreeningReview, str]] = []
    for screening, reviews in _candidates().items():
        labels = {r.diagnosis_label for r in reviews if r.diagnosis_label}
        if not labels:
            result.skipped["no_diagnosis"] += 1
            continue
        if len(labels) > 1:
            result.skipped["reviews_disagree"] += 1
            continue
        latest = [r for r in reviews if r.diagnosis_label][-1]
        # A screening never assigned to a lesion is its own lesion.
        chosen.append((screening, latest, pseudonym("lesion", screening.lesion_id or screening.pk, key)))
    dx_of_lesion: dict[str, set[str]] = defaultdict(set)
    for _, review, lesion_id in chosen:
        dx_of_lesion[lesion_id].add(review.diagnosis_label)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        (staging / "images").mkdir()
        rows = []
        for screening, review, lesion_id in chosen:
            if len(dx_of_lesion[lesion_id]) > 1:
                result.skipped["lesion_disagrees"] += 1
                continue
            image_id = pseudonym("screening", screening.pk, key)
            try:
                jpeg = _clean_jpeg(screening.photo)
            except OSError:
                logger.warning("export: the photo of screening %s is missing or unreadable; left out", screening.pk)
                result.skipped["photo_missing"] += 1
                continue
            (staging / "images" / f"{image_id}.jpg").write_bytes(jpeg)
            rows.append(
                {
                    "lesion_id": lesion_id,
                    "image_id": image_id,
                    "dx": review.diagnosis_label,
                    "dx_type": DX_TYPE,
                    "age": "",
                    "sex": "",
                    "localization": "",
                    "dataset": DATASET,
                    "clinician_impression": review.impression,
                    "model_top_label": screening.top_label,
                    "model_risk": screening.risk,
                    "model_version": screening.model_version.version,
                }
            )
        rows.sort(key=lambda r: (r["lesion_id"], r["image_id"]))
        with (staging / METADATA_FILENAME).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.rows = len(rows)
    result.lesions = len({r["lesion_id"] for r in rows})
    return result
