"""Push devices, one row per due notification (the source of truth) and one delivery row per device push."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"


class Device(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    token = models.CharField(max_length=255, unique=True)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(max_length=64, blank=True)
    # The sign-in session that registered the token (the tokens' `sid`, and the account's session
    # generation then): its logout unregisters the token, and until that session ends (logout, password
    # change, revocation, expiry) the token cannot move to another account. Empty for rows from before.
    session_id = models.CharField(max_length=32, blank=True)
    session_generation = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "is_active"]), models.Index(fields=["user", "session_id"])]
        constraints = [models.CheckConstraint(condition=Q(platform__in=[p.value for p in Platform]), name="device_platform_valid")]

    def __str__(self) -> str:
        return f"{self.token[:28]}… ({self.platform}{'' if self.is_active else ', inactive'})"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for due_at (and next_attempt_at after a transient error)
    SENDING = "sending", "Sending"  # claimed by one sender; its push request may be in flight
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The sender died after its request may have reached Expo: never re-sent (a row is never sent twice).
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    CANCELLED = "cancelled", "Cancelled"


class Notification(models.Model):
    """One notification to one user, due at `due_at`. Sweeps claim due rows atomically and push them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=48)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=400)
    data = models.JSONField(default=dict, blank=True)
    # Groups rows that are cancelled together (e.g. "appointment:42"); unique key against double scheduling.
    group = models.CharField(max_length=64, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=160, unique=True)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in NotificationStatus]), name="notification_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.user_id} at {self.due_at:%Y-%m-%d %H:%M}Z ({self.status})"


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    OK = "ok", "Accepted by Expo"
    RETRY = "retry", "Transient error, will retry"
    ERROR = "error", "Error"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"


class Delivery(models.Model):
    """One push of one notification to one device, with Expo's ticket and, later, its receipt."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    token = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING)
    ticket_id = models.CharField(max_length=64, blank=True, db_index=True)
    error = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    receipt_status = models.CharField(max_length=16, blank=True)  # "", ok, error
    receipt_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "receipt_checked_at"])]
        constraints = [
            # Never two pushes of one notification to one token: the database's last line.
            models.UniqueConstraint(fields=["notification", "token"], name="delivery_once_per_notification_and_token"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} -> {self.token[:28]}… ({self.status})"
