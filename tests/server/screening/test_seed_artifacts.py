"""manage.py seed_artifacts: a new image's bundles reach an artifacts volume that already exists."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.contract.conftest import build_bundle


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_copies_missing_bundles_and_never_overwrites_existing_ones(tmp_path: Path, capsys: Any) -> None:
    # Given an image with two bundles and a volume that already holds the first one (changed locally)
    image = tmp_path / "image"
    old = build_bundle(image, "2026.01.01-synthetic-contract-r1")
    new = build_bundle(image, "2026.02.01-synthetic-contract-r2")
    (image / ".staging-r3").mkdir()  # hidden: a pipeline staging area, never copied
    volume = tmp_path / "volume"
    shutil.copytree(old, volume / old.name)
    (volume / old.name / "report.md").write_text("edited on the server")
    before = _tree(volume / old.name)
    # When the seeding step runs
    call_command("seed_artifacts", "--from", str(image), "--to", str(volume))
    # Then the missing bundle arrives intact, the existing one is untouched and nothing else is written
    assert _tree(volume / new.name) == _tree(new)
    assert _tree(volume / old.name) == before
    assert sorted(p.name for p in volume.iterdir()) == [old.name, new.name]
    out = capsys.readouterr().out
    assert f"copied: {new.name}" in out and f"present: {old.name}" in out
    # and a second run copies nothing
    call_command("seed_artifacts", "--from", str(image), "--to", str(volume))
    assert "0 bundle(s) copied" in capsys.readouterr().out


def test_a_bundle_that_does_not_match_its_manifest_is_not_published(tmp_path: Path) -> None:
    image = tmp_path / "image"
    bundle = build_bundle(image, "2026.01.01-synthetic-contract-r1")
    (bundle / "labels.txt").write_text("tampered\n")
    volume = tmp_path / "volume"
    with pytest.raises(CommandError, match="labels.txt"):
        call_command("seed_artifacts", "--from", str(image), "--to", str(volume))
    assert list(volume.iterdir()) == []  # no bundle, no half-written staging directory


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("seed_artifacts", "--from", str(tmp_path / "nope"), "--to", str(tmp_path / "volume"))
