"""The reviewed-label export: consenting owners only, honest dx, pseudonymous ids, clean photos, and it
reads back with the pipeline's own HAM10000 reader."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from model_pipeline.data.ham10000 import read_ham10000
from screening import dataset_export
from tests.server.factories import UserFactory
from tests.server.screening.factories import LesionFactory, ReviewFactory, ScreeningFactory

KEY = "export-test-key-0123456789abcdefghijklmnopqrstuvwxyz"


def _photo_with_metadata(name: str, color: tuple[int, int, int]) -> None:
    """A stored photo that (unlike real stored photos) still carries EXIF: the export must not pass it on."""
    image = Image.new("RGB", (40, 30), color)
    exif = Image.Exif()
    exif[0x013B] = "Patient Name"  # Artist
    exif[0x010E] = "GPS 52.52N 13.40E"  # ImageDescription
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"secret")
    default_storage.save(name, ContentFile(out.getvalue()))


@pytest.fixture
def reviewed(registry: Any, settings: Any) -> dict[str, Any]:
    settings.SCREENING_EXPORT_PSEUDONYM_KEY = KEY
    consenting = UserFactory(role="patient", research_consent=True, email="alice@example.org")
    refusing = UserFactory(role="patient", email="bob@example.org")  # research_consent off by default
    clinician = UserFactory(role="clinician")
    lesion = LesionFactory(owner=consenting)
    split = LesionFactory(owner=consenting)
    made: dict[str, Any] = {"consenting": consenting, "refusing": refusing}

    def screening(key: str, owner: Any, *, label: str, dx: str, impression: str = "excise_or_biopsy", lesion: Any = None, color=(120, 60, 40)) -> Any:
        s = ScreeningFactory(owner=owner, model_version=registry["a"], label=label, lesion=lesion)
        _photo_with_metadata(s.photo, color)
        ReviewFactory(screening=s, clinician=clinician, impression=impression, diagnosis_label=dx)
        made[key] = s
        return s

    screening("mel_1", consenting, label="mel", dx="mel", lesion=lesion)
    screening("mel_2", consenting, label="nv", dx="mel", lesion=lesion, color=(90, 40, 20))
    screening("nv_alone", consenting, label="nv", dx="nv", impression="benign")  # unassigned: its own lesion
    screening("no_dx", consenting, label="bkl", dx="", impression="monitor")  # impression only: no honest dx
    screening("refused", refusing, label="mel", dx="mel")
    screening("split_a", consenting, label="nv", dx="nv", lesion=split)
    screening("split_b", consenting, label="mel", dx="mel", lesion=split)  # one lesion, two diagnoses: left out
    return made


def _hmac(kind: str, value: Any) -> str:
    return hmac.new(KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]


def test_export_round_trips_through_the_pipeline_reader_and_leaves_out_non_consenting(reviewed: dict[str, Any], tmp_path: Path) -> None:
    # Given reviewed screenings of a consenting and a non-consenting patient
    out = tmp_path / "reviewed"
    # When an admin runs the export command
    stdout = io.StringIO()
    call_command("export_reviewed_dataset", str(out), stdout=stdout)
    # Then the pipeline reads it as a HAM10000 dataset
    dataset = read_ham10000(out, require_all_classes=False)
    by_image = {r.image_id: r for r in dataset.records}
    expected = {"mel_1": "mel", "mel_2": "mel", "nv_alone": "nv"}
    assert {image_id: r.label for image_id, r in by_image.items()} == {f"SKS_{_hmac('screening', reviewed[k].pk)}": dx for k, dx in expected.items()}
    # The two screenings of one lesion share its pseudonymous lesion id; the unassigned one is its own lesion
    lesion_ids = {k: by_image[f"SKS_{_hmac('screening', reviewed[k].pk)}"].lesion_id for k in expected}
    assert lesion_ids["mel_1"] == lesion_ids["mel_2"] == f"SKL_{_hmac('lesion', reviewed['mel_1'].lesion_id)}"
    assert lesion_ids["nv_alone"] == f"SKL_{_hmac('lesion', reviewed['nv_alone'].pk)}"
    # The non-consenting patient's screening, the impression-only one and the lesion with two diagnoses are not there
    text = (out / "HAM10000_metadata.csv").read_text()
    for key in ("refused", "no_dx", "split_a", "split_b"):
        assert _hmac("screening", reviewed[key].pk) not in text
    # No user id, e-mail or raw screening id anywhere in the metadata
    for key in expected:
        assert str(reviewed[key].pk) not in text
    assert "alice@" not in text and "bob@" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["dx_type"] for r in rows} == {"clinician_review"}
    assert {(r["clinician_impression"], r["model_top_label"]) for r in rows} == {("excise_or_biopsy", "mel"), ("excise_or_biopsy", "nv"), ("benign", "nv")}
    assert all(r["model_version"] == reviewed["mel_1"].model_version.version for r in rows)
    # And every photo is a clean re-encode: no EXIF, no comment
    for record in dataset.records:
        with Image.open(record.path) as image:
            assert not image.getexif() and "comment" not in image.info and "exif" not in image.info
    assert "wrote 3 images of 2 lesions" in stdout.getvalue() and "lesion_disagrees 2" in stdout.getvalue() and "no_diagnosis 1" in stdout.getvalue()


def test_consent_is_set_by_the_patient_through_the_profile_api_and_then_counts(reviewed: dict[str, Any], as_user: Any, tmp_path: Path) -> None:
    # Given the refusing patient (consent off by default, as the profile says)
    refusing = reviewed["refusing"]
    client = as_user(refusing)
    assert client.get("/api/v1/auth/me").json()["research_consent"] is False
    assert client.patch("/api/v1/auth/me", {"research_consent": None}).status_code == 422
    # When they turn it on
    response = client.patch("/api/v1/auth/me", {"research_consent": True})
    assert response.status_code == 200 and response.json()["research_consent"] is True
    # Then their reviewed screening is exported too
    dataset_export.export_reviewed_dataset(out_dir=tmp_path / "after")
    assert _hmac("screening", reviewed["refused"].pk) in (tmp_path / "after" / "HAM10000_metadata.csv").read_text()


def test_export_refuses_a_non_empty_directory_and_writes_nothing(reviewed: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("export_reviewed_dataset", str(out))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".busy")]  # no staging directory left behind


def test_without_a_configured_key_each_installation_makes_its_own(reviewed: dict[str, Any], settings: Any, tmp_path: Path) -> None:
    # Given no configured key: a file under the installation's var directory is made once and reused
    settings.SCREENING_EXPORT_PSEUDONYM_KEY = ""
    settings.SCREENING_EXPORT_PSEUDONYM_KEY_FILE = tmp_path / "keys" / "export_pseudonym_key"
    first = dataset_export.pseudonym_key()
    assert first == dataset_export.pseudonym_key() and len(first) >= 32
    assert (settings.SCREENING_EXPORT_PSEUDONYM_KEY_FILE.stat().st_mode & 0o777) == 0o600
    # And another installation's key gives other pseudonyms
    settings.SCREENING_EXPORT_PSEUDONYM_KEY_FILE = tmp_path / "other" / "export_pseudonym_key"
    assert dataset_export.pseudonym("screening", "x", dataset_export.pseudonym_key()) != dataset_export.pseudonym("screening", "x", first)
