"""manage.py export_reviewed_dataset OUT_DIR: consenting patients' reviewed screenings as a HAM10000-layout dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from screening.dataset_export import export_reviewed_dataset


class Command(BaseCommand):
    help = (
        "Write HAM10000_metadata.csv and images/ for the reviewed screenings of patients who consented "
        "(research_consent), with a clinician's diagnosis label as dx; ids are pseudonyms (HMAC with this "
        "installation's export key), photos carry no metadata. Read it with model_pipeline.data.ham10000.read_ham10000."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", help="A new (or empty) directory to write the dataset to.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = export_reviewed_dataset(out_dir=Path(options["out_dir"]))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(result.skipped.items())) or "none"
        self.stdout.write(f"wrote {result.rows} images of {result.lesions} lesions to {result.out_dir} (left out: {skipped})")
