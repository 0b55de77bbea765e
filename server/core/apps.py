"""Cross-cutting pieces shared by every feature app."""

from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from core.memory import fix_mmap_threshold

        fix_mmap_threshold(int(settings.MALLOC_MMAP_THRESHOLD))
