"""Screening: model registry, authoritative .h5 inference, signed model delivery, offline sync."""

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class ScreeningConfig(AppConfig):
    name = "screening"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks
        from screening import photos, services

        photos.register_heif()
        hooks.delete_hooks.append(services.screenings_delete_for_user)

        # Opt-in eager model warm-up (gunicorn workers); migrate and other commands stay fast.
        if settings.SCREENING_WARMUP:
            from screening import inference

            inference.warm_up_in_background()
