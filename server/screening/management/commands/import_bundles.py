"""manage.py import_bundles [--dir DIR] [--activate latest|VERSION]: validate and register bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from screening import selectors, services
from screening.bundles import MANIFEST
from screening.models import ModelVersion


class Command(BaseCommand):
    help = "Validate every bundle under the artifacts directory (every sha256, golden vectors) and record it in the registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=None, help="Directory holding <version>/ bundles, or one bundle directory (default: MODEL_ARTIFACTS_DIR).")
        parser.add_argument("--activate", default=None, help="'latest' (newest created_at) or a version to make active.")
        parser.add_argument("--if-none-active", action="store_true", help="With --activate: only activate when no version is active yet.")
        parser.add_argument("--skip-golden", action="store_true", help="Skip running the .h5 on the golden vectors (faster; sha256s are still checked).")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["dir"] or settings.MODEL_ARTIFACTS_DIR).resolve()
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        # Hidden directories are the pipeline's staging areas (a bundle being written): never import those.
        candidates = (
            [root] if (root / MANIFEST).is_file() else sorted(p for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())
        )
        failures = 0
        for bundle_dir in candidates:
            try:
                mv, created = services.model_version_import(bundle_dir=bundle_dir, check_golden=not options["skip_golden"])
            except ApplicationError as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"REFUSED {bundle_dir.name}: {exc.message}"))
                continue
            state = "imported" if created else "already registered"
            flag = " [SYNTHETIC - not for clinical use]" if mv.synthetic else ""
            self.stdout.write(f"{state}: {mv.version}{flag}")
        if not candidates:
            self.stdout.write(f"No bundles found under {root}.")

        target = options["activate"]
        if target:
            active = selectors.model_version_active()
            if options["if_none_active"] and active is not None:
                self.stdout.write(f"active: {active.version} (unchanged)")
            else:
                if target == "latest":
                    mv_target = ModelVersion.objects.order_by("-bundle_created_at", "-id").first()
                    if mv_target is None:
                        # Not fatal: the server runs and /readyz reports that no model is active.
                        self.stderr.write(self.style.WARNING("Nothing to activate: no bundle is registered."))
                else:
                    mv_target = ModelVersion.objects.filter(version=target).first()
                    if mv_target is None:
                        raise CommandError(f"Version {target!r} is not registered.")
                if mv_target is not None:
                    try:
                        services.model_version_activate(model_version=mv_target)
                    except ApplicationError as exc:
                        raise CommandError(exc.message) from exc
                    self.stdout.write(self.style.SUCCESS(f"active: {mv_target.version}"))
        if failures:
            raise CommandError(f"{failures} bundle(s) refused.")
