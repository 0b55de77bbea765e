"""Loads demo data for the embedded default: every installed app's `demo.seed()`, in order."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

# Apps seed in dependency order; apps not listed seed after these.
ORDER = ["accounts", "appointments", "notifications", "shop", "blog", "screening"]


class Command(BaseCommand):
    help = "Create demo users and demo content (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        configs = [c for c in apps.get_app_configs() if not c.name.startswith(("django.", "ninja", "huey"))]
        configs.sort(key=lambda c: ORDER.index(c.label) if c.label in ORDER else len(ORDER))
        for config in configs:
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name == f"{config.name}.demo":
                    continue
                raise
            with transaction.atomic():
                lines = module.seed() or []
            for line in lines:
                self.stdout.write(line)
