"""manage.py generate_signing_key [--force]: create the Ed25519 key that signs served manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screening import signing


class Command(BaseCommand):
    help = "Create the model-signing Ed25519 key file (MODEL_SIGNING_KEY_FILE) unless it exists; print the public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing key (phones pinned to the old key will refuse updates).")
        parser.add_argument("--if-missing", action="store_true", help="Only create a key when none exists (the default; kept for scripts).")
        parser.add_argument("--path", default=None, help="Key file to write (default: settings.MODEL_SIGNING_KEY_FILE).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["force"] and options["if_missing"]:
            raise CommandError("--force and --if-missing contradict each other.")
        path = Path(options["path"]) if options["path"] else signing.key_file()
        key, created = signing.generate_key_file(path, force=options["force"])
        self.stdout.write(f"{'created' if created else 'exists'}: {path}")
        self.stdout.write(f"key_id: {key.key_id}")
        self.stdout.write(f"public_key (base64): {key.public_key_b64}")
