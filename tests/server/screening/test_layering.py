"""Screening keeps the layering the other apps keep: one "active model" query, access-trail rows written
only by named services, no hand-built screening dict (the schema builds the output)."""

from __future__ import annotations

import re
from pathlib import Path

SCREENING = Path(__file__).resolve().parents[3] / "server" / "screening"


def _sources() -> dict[str, str]:
    return {p.relative_to(SCREENING).as_posix(): p.read_text(encoding="utf-8") for p in SCREENING.rglob("*.py") if "migrations" not in p.parts}


def test_the_active_model_is_read_through_one_selector() -> None:
    readers = sorted(name for name, text in _sources().items() if "active_marker=True).first()" in text)
    assert readers == ["selectors.py"], readers


def test_access_trail_rows_are_written_by_services_only() -> None:
    writes = re.compile(r"(?<!class )ScreeningAccessLog\(|ScreeningAccessLog\.objects\.(bulk_)?create")
    writers = sorted(name for name, text in _sources().items() if writes.search(text))
    assert writers == ["services.py"], writers
    assert "record_access" not in _sources()["selectors.py"]


def test_the_screening_output_is_built_by_its_schema() -> None:
    presenters = _sources()["presenters.py"]
    assert '"top_label_display":' not in presenters and '"recommended_action":' not in presenters
    assert "ScreeningOut.from_orm" in presenters
