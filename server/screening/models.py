"""Model versions (the registry), lesions, screenings with server and on-device results, shares, clinician
reviews with their revisions, audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnlyModel
from lesion_contract.labels import LABELS


class Risk(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Outcome(models.TextChoices):
    """lesion_contract.ood.OUTCOMES: whether the model could assess the photo at all."""

    ASSESSED = "assessed", "Assessed"
    CANNOT_ASSESS = "cannot_assess", "Cannot assess"


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


class BodyView(models.TextChoices):
    FRONT = "front", "Front"
    BACK = "back", "Back"


class Lesion(models.Model):
    """One lesion a patient follows over time: a name and where it is on the body map (front or back, x/y in 0..1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesions")
    name = models.CharField(max_length=80)
    body_view = models.CharField(max_length=8, choices=BodyView.choices)
    body_x = models.FloatField(help_text="0 = left edge of the body map, 1 = right edge.")
    body_y = models.FloatField(help_text="0 = top of the body map, 1 = bottom.")
    body_region = models.CharField(max_length=64, blank=True, help_text="Optional named region, e.g. 'left forearm'.")
    notes = models.CharField(max_length=500, blank=True)
    # The pending "photograph this lesion again" reminder (a notifications row is its delivery), if any.
    follow_up_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["owner", "name"])]
        constraints = [
            models.CheckConstraint(condition=Q(body_view__in=[v.value for v in BodyView]), name="lesion_body_view_valid"),
            models.CheckConstraint(condition=Q(body_x__gte=0) & Q(body_x__lte=1) & Q(body_y__gte=0) & Q(body_y__lte=1), name="lesion_body_xy_in_unit_square"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.body_view} {self.body_x:.2f},{self.body_y:.2f})"


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
    # Screenings taken before lesions existed stay unassigned (NULL) until their owner assigns them.
    lesion = models.ForeignKey(Lesion, null=True, blank=True, on_delete=models.SET_NULL, related_name="screenings")
    source = models.CharField(max_length=16, choices=[("online", "Online"), ("sync", "Offline sync")], default="online")
    captured_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="screenings")
    probabilities = models.JSONField(help_text="Server probabilities in label order.")
    top_label = models.CharField(max_length=16, choices=[(label, label) for label in LABELS])
    risk = models.CharField(max_length=8, choices=Risk.choices)
    server_latency_ms = models.FloatField()
    # The bundle's "cannot assess" rule (manifest.ood): cannot_assess withholds the class verdict (top label,
    # risk, probabilities) from every answer; they stay stored for the agreement report only.
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ASSESSED)
    ood_score = models.FloatField(null=True, blank=True, help_text="The rule's out-of-distribution score (NULL: the bundle has no rule).")

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
            models.CheckConstraint(condition=Q(outcome__in=[o.value for o in Outcome]), name="screening_outcome_valid"),
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


class Impression(models.TextChoices):
    BENIGN = "benign", "Benign"
    MONITOR = "monitor", "Monitor"
    EXCISE_OR_BIOPSY = "excise_or_biopsy", "Excise or biopsy"
    REFER_URGENTLY = "refer_urgently", "Refer urgently"


# Impressions that call for action: they agree with a "high" model risk (the agreement report).
CONCERNING_IMPRESSIONS = (Impression.EXCISE_OR_BIOPSY, Impression.REFER_URGENTLY)


class ScreeningReview(models.Model):
    """One clinician's assessment of one screening; its current state is its latest revision.

    The assessment fields are a copy of the latest `ScreeningReviewRevision` (written in the same
    transaction); the revisions are append-only and are the history of every amendment.
    """

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="reviews")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="screening_reviews")
    clinician_name = models.CharField(max_length=150, help_text="The clinician's name when they wrote it (kept if the account goes).")
    impression = models.CharField(max_length=24, choices=Impression.choices)
    note = models.TextField(max_length=2000, blank=True)
    follow_up_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    diagnosis_label = models.CharField(max_length=16, blank=True, choices=[(label, label) for label in LABELS])
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "clinician"], name="screeningreview_one_per_clinician"),
            models.CheckConstraint(condition=Q(impression__in=[i.value for i in Impression]), name="screeningreview_impression_valid"),
            models.CheckConstraint(condition=Q(diagnosis_label__in=["", *LABELS]), name="screeningreview_diagnosis_label_valid"),
            models.CheckConstraint(
                condition=Q(follow_up_weeks__isnull=True) | (Q(follow_up_weeks__gte=1) & Q(follow_up_weeks__lte=104)), name="screeningreview_follow_up_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.screening_id} by {self.clinician_name}: {self.impression} (r{self.revision})"


class ScreeningReviewRevision(models.Model):
    """One version of a review, never changed or deleted on its own (the amendment history)."""

    review = models.ForeignKey(ScreeningReview, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    impression = models.CharField(max_length=24, choices=Impression.choices)
    note = models.TextField(max_length=2000, blank=True)
    follow_up_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    diagnosis_label = models.CharField(max_length=16, blank=True, choices=[(label, label) for label in LABELS])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review_id", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="screeningreviewrevision_unique_number")]

    def __str__(self) -> str:
        return f"r{self.number} of review {self.review_id}: {self.impression}"


class AccessOutcome(models.TextChoices):
    GRANTED = "granted", "Granted"
    DENIED = "denied", "Denied"


class ScreeningAccessLog(AppendOnlyModel):
    """Every read of a screening by someone other than its owner: who, what, when, outcome.

    Plain values (no foreign keys) so the trail survives the deletion of users and screenings.
    Append-only for the application (core.append_only): rows are inserted, never changed or deleted.
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
