"""manage.py seed_artifacts --from DIR: copy the image's bundles that the artifacts volume lacks (never overwrites)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lesion_contract import manifest as contract
from lesion_contract.manifest import MANIFEST, BundleError


class Command(BaseCommand):
    help = (
        "Copy each bundle directory of --from that is missing in the artifacts directory (MODEL_ARTIFACTS_DIR), "
        "so a new image's bundles reach a volume that already exists. Existing bundles are never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, help="Directory holding <version>/ bundles (the image's copy).")
        parser.add_argument("--to", dest="target", default=None, help="Artifacts directory (default: MODEL_ARTIFACTS_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"]).resolve()
        target = Path(options["target"] or settings.MODEL_ARTIFACTS_DIR).resolve()
        if not source.is_dir():
            raise CommandError(f"{source} is not a directory.")
        target.mkdir(parents=True, exist_ok=True)
        bundles = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())
        copied = 0
        for bundle in bundles:
            final = target / bundle.name
            if final.exists():
                self.stdout.write(f"present: {bundle.name}")
                continue
            # Copy under a hidden name (import_bundles skips those), check it, then publish it in one rename:
            # a crash or a bad copy never leaves a half-written bundle where the server looks.
            staging = target / f".{bundle.name}.seeding"
            shutil.rmtree(staging, ignore_errors=True)
            try:
                shutil.copytree(bundle, staging)
                _verify_copy(staging, bundle.name)
                staging.rename(final)
            except (OSError, BundleError) as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise CommandError(f"could not copy {bundle.name} into {target}: {exc}") from exc
            copied += 1
            self.stdout.write(self.style.SUCCESS(f"copied: {bundle.name}"))
        self.stdout.write(f"{copied} bundle(s) copied into {target}, {len(bundles) - copied} already there.")


def _verify_copy(staging: Path, version: str) -> None:
    """The copy holds a valid manifest for ``version`` and every listed file with its size and sha256."""
    raw = contract.read_manifest(staging)
    manifest = contract.Manifest.from_dict(raw, dir_name=version, source=str(staging))
    problems = contract.check_files(staging, manifest)
    if problems:
        raise BundleError(f"{staging}: " + "; ".join(problems))
