"""Notification reads: the in-app history a user sees."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from notifications.models import Device, Notification, NotificationStatus


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """What is due for the user: sent, failed, unconfirmed or retrying; never cancelled or future rows."""
    qs = Notification.objects.filter(user=user, due_at__lte=timezone.now()).exclude(status=NotificationStatus.CANCELLED)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-due_at", "-id")


def device_list(*, user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user, is_active=True).order_by("-last_seen_at")
