"""Cross-cutting data: the idempotency keys of every endpoint that takes one; the privacy audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.append_only import AppendOnlyModel


class IdempotencyKey(models.Model):
    """One user's Idempotency-Key on one endpoint: the request's fingerprint and the answer it got.

    The row is written in the same transaction as the effect (the order, the booking, the screening),
    so it exists exactly when the effect does; a repeat of the request replays `response_status` and
    `response_body`. The unique (user, endpoint, key) index is what makes concurrent first calls
    produce one effect: the second insert waits for the first transaction and then fails.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=64, help_text="The operation the key belongs to, e.g. create_order.")
    key = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, endpoint, canonical body and file digests.")
    response_status = models.PositiveSmallIntegerField()
    # NULL only for rows moved from the old per-app key tables: their answer is rendered from
    # `resource_id` on the first replay and stored then.
    response_body = models.JSONField(null=True, blank=True)
    resource_id = models.CharField(max_length=64, blank=True, help_text="Primary key of what the request created.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotencykey_user_endpoint_key_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.endpoint}:{self.key}"


class PrivacyAuditEvent(AppendOnlyModel):
    """One data export or account deletion (append-only). No foreign key: the row outlives the account."""

    class Action(models.TextChoices):
        EXPORT = "export", "Data export"
        DELETE = "delete", "Account deletion"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True, help_text="Counts only (e.g. screenings, photos, bytes); no personal data.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
