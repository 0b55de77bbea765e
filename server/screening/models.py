"""Model versions (the registry), screenings with server and on-device results, shares, audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lesion_contract.labels import LABELS


class Risk(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ModelVersion(models.Model):
    """One immutable bundle in tflite_artifacts/<version>/, validated (every sha256) before it is recorded.

    Exactly one version is active: `active_marker` is True for the active row and NULL for every other
    row, and it is unique, which SQLite and MariaDB both enforce (NULLs never collide) without the
    partial indexes MariaDB lacks.
    """

    version = models.CharField(max_length=100, unique=True)
    path = models.CharField(max_length=500, help_text="Bundle directory on disk.")
    manifest = models.JSONField()
    manifest_sha256 = models.CharField(max_length=64)
    synthetic = models.BooleanField(default=False)
    bundle_created_at = models.DateTimeField()
    imported_at = models.DateTimeField(default=timezone.now)
    active_marker = models.BooleanField(null=True, unique=True, default=None, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-bundle_created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(active_marker=True) | Q(active_marker__isnull=True), name="modelversion_active_marker_true_or_null"),
        ]

    def __str__(self) -> str:
        return f"{self.version}{' (active)' if self.is_active else ''}"

    @property
    def is_active(self) -> bool:
        return self.active_marker is True

    @property
    def labels(self) -> list[str]:
        return list(self.manifest.get("labels", LABELS))

    def file_entry(self, name: str) -> dict[str, Any] | None:
        for entry in self.manifest.get("files", []):
            if entry.get("name") == name:
                return dict(entry)
        return None


class Screening(models.Model):
    """One lesion photo, the server's authoritative result and (optionally) the phone's result."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screenings")
    # The phone's id for the capture; as the idempotency key it lives in core.IdempotencyKey.
    client_uuid = models.UUIDField(null=True, blank=True, help_text="The phone's id for this capture (its idempotency key).")
    photo = models.CharField(max_length=300, help_text="Path of the re-encoded photo under MEDIA_ROOT.")
    photo_sha256 = models.CharField(max_length=64, help_text="sha256 of the uploaded bytes (before re-encoding).")
    photo_width = models.PositiveIntegerField()
    photo_height = models.PositiveIntegerField()
    body_site = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=[("online", "Online"), ("sync", "Offline sync")], default="online")
    captured_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="screenings")
    probabilities = models.JSONField(help_text="Server probabilities in label order.")
    top_label = models.CharField(max_length=16, choices=[(label, label) for label in LABELS])
    risk = models.CharField(max_length=8, choices=Risk.choices)
    server_latency_ms = models.FloatField()

    device_model_version = models.CharField(max_length=100, blank=True)
    device_probabilities = models.JSONField(null=True, blank=True)
    device_top_label = models.CharField(max_length=16, blank=True)
    device_latency_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-captured_at", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(risk__in=[r.value for r in Risk]), name="screening_risk_valid"),
            models.CheckConstraint(condition=Q(top_label__in=list(LABELS)), name="screening_top_label_valid"),
            models.CheckConstraint(condition=Q(server_latency_ms__gte=0), name="screening_server_latency_nonneg"),
        ]
        indexes = [
            models.Index(fields=["owner", "captured_at"]),
            models.Index(fields=["model_version", "device_model_version"]),
        ]

    def __str__(self) -> str:
        return f"Screening {self.id} ({self.top_label})"


class ScreeningShare(models.Model):
    """The owner lets one clinician see one screening."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="shares")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shared_screenings")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["screening", "clinician"], name="screeningshare_unique")]

    def __str__(self) -> str:
        return f"{self.screening_id} -> {self.clinician_id}"


class AccessOutcome(models.TextChoices):
    GRANTED = "granted", "Granted"
    DENIED = "denied", "Denied"


class ScreeningAccessLog(models.Model):
    """Every read of a screening by someone other than its owner: who, what, when, outcome.

    Plain values (no foreign keys) so the trail survives the deletion of users and screenings.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    screening_id = models.UUIDField(db_index=True)
    owner_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=32)
    outcome = models.CharField(max_length=8, choices=AccessOutcome.choices)
    reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email} {self.action} {self.screening_id} {self.outcome}"
