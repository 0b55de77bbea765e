"""Notification writes: devices, scheduling and cancelling rows, and the sweep that claims and pushes due rows.

Delivery protocol (see docs/appointments.md):
  pending --claim (one transaction, SKIP LOCKED)--> sending --one Expo request--> sent | failed | pending (retry later)
A claim takes at most 100 messages' worth of rows, so one claim is exactly one HTTP request. A row left in
`sending` by a killed worker may already have reached Expo, so it is never pushed again: after a lease it
becomes `unconfirmed` (shown in-app). A row that was never claimed is simply picked up by the next sweep.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.selectors import session_is_live
from core.errors import ApplicationError, Conflict, NotFound
from core.tasks import enqueue_after_commit
from notifications import push
from notifications.error_codes import NotificationsError
from notifications.models import Delivery, DeliveryStatus, Device, Notification, NotificationStatus, Platform

logger = logging.getLogger(__name__)

MAX_ACTIVE_DEVICES_PER_USER = 10


# --- devices ---------------------------------------------------------------------------------------


@transaction.atomic
def device_register(*, user: User, token: str, platform: str, session_id: str = "") -> Device:
    """Register (or re-activate) an Expo push token for `user` from sign-in session `session_id`.

    A token held by another account moves only once it is released: that account signed out of the
    session that registered it (logout unregisters it), the session ended otherwise (password change,
    revoked), Expo reported the token dead, or the account is gone. Otherwise 409 `push_token_in_use`,
    so nobody can redirect another person's reminders to their own account by registering the token.
    """
    token = token.strip()
    if not push.is_valid_token(token):
        raise ApplicationError(
            "Not an Expo push token: expected ExponentPushToken[...] as returned by getExpoPushTokenAsync().",
            code=NotificationsError.INVALID_PUSH_TOKEN,
            status=422,
        )
    if platform not in Platform.values:
        raise ApplicationError("platform must be one of ios, android, web.", code=NotificationsError.INVALID_PLATFORM, status=422)
    now = timezone.now()
    # Locks the row (or, for a new token, the unique insert decides): two accounts registering one token
    # at once are serialised, and the second sees the first's row.
    device, created = Device.objects.select_for_update().get_or_create(
        token=token, defaults={"user": user, "platform": platform, "created_at": now, "last_seen_at": now}
    )
    if not created and device.user_id != user.pk and not _device_released(device):
        raise Conflict(
            "This device's push token belongs to another account that is still signed in on it. "
            "Sign that account out on this device, then turn reminders on again.",
            code=NotificationsError.PUSH_TOKEN_IN_USE,
        )
    device.user = user
    device.session_id = session_id
    device.session_generation = user.session_generation
    device.platform = platform
    device.is_active = True
    device.last_seen_at = now
    device.deactivated_at = None
    device.deactivation_reason = ""
    device.save()
    # Keep the newest few: a phone that was reset many times should not fan pushes out forever.
    stale = Device.objects.filter(user=user, is_active=True).order_by("-last_seen_at", "-id").values_list("id", flat=True)[MAX_ACTIVE_DEVICES_PER_USER:]
    stale_ids = list(stale)
    if stale_ids:
        Device.objects.filter(id__in=stale_ids).update(is_active=False, deactivated_at=now, deactivation_reason="replaced")
    return device


def _device_released(device: Device) -> bool:
    """Whether the account holding `device` let go of it (see device_register)."""
    if not device.is_active:  # Expo said DeviceNotRegistered, or it was replaced
        return True
    return not session_is_live(user_id=device.user_id, sid=device.session_id, generation=device.session_generation)


@transaction.atomic
def device_remove(*, user: User, token: str) -> None:
    """Forget one of the user's tokens (idempotent; other users' tokens are never touched)."""
    Device.objects.filter(user=user, token=token.strip()).delete()


def devices_remove_for_session(user: User, session_id: str) -> None:
    """Logout hook: the tokens the ending session registered stop receiving pushes and are free to move.
    A session without an id (tokens from before sessions had ids) cannot be told apart: all go."""
    devices = Device.objects.filter(user=user)
    if session_id:
        devices = devices.filter(session_id=session_id)
    devices.delete()


def device_deactivate(*, token: str, reason: str) -> int:
    return Device.objects.filter(token=token, is_active=True).update(is_active=False, deactivated_at=timezone.now(), deactivation_reason=reason[:64])


# --- scheduling ------------------------------------------------------------------------------------


def notification_schedule(
    *,
    user: User,
    kind: str,
    title: str,
    body: str,
    due_at: datetime,
    dedupe_key: str,
    group: str = "",
    data: dict[str, Any] | None = None,
    send_now: bool = False,
) -> Notification:
    """Create one due row (idempotent on `dedupe_key`). Push text must carry no medical detail.

    With `send_now` a sender task is enqueued after commit; if that message is lost, the sweep sends the row.
    """
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "user": user,
            "kind": kind,
            "title": title[:120],
            "body": body[:400],
            "data": data or {},
            "group": group,
            "due_at": due_at,
            "next_attempt_at": due_at,
        },
    )
    if created and send_now:
        from notifications.tasks import send_notification

        enqueue_after_commit(send_notification, notification.pk)
    return notification


def notifications_cancel_group(*, group: str) -> int:
    """Cancel the group's rows that have not been claimed yet (a row being sent is left to finish)."""
    return Notification.objects.filter(group=group, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, last_error="cancelled before it was due"
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> None:
    updated = Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    if not updated and not Notification.objects.filter(pk=notification_id, user=user).exists():
        raise NotFound("Notification not found.", code=NotificationsError.NOTIFICATION_NOT_FOUND)


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- sending ---------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    requests: int = 0
    recovered: int = 0


def _backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    base = float(settings.NOTIFICATION_RETRY_BASE_SECONDS)
    cap = float(settings.NOTIFICATION_RETRY_MAX_SECONDS)
    delay = min(cap, base * (2 ** max(attempt - 1, 0)))
    delay *= random.uniform(0.8, 1.2)  # jitter: retries from many rows do not arrive together
    if retry_after:
        delay = max(delay, retry_after)
    return delay


@transaction.atomic
def _claim_batch(*, now: datetime, only_ids: list[int] | None) -> tuple[str, list[Notification], list[Delivery]]:
    """Atomically move due rows pending -> sending and create their per-device deliveries.

    At most 100 messages are claimed so that one claim is one Expo request. Concurrent sweepers skip
    each other's locked rows (MySQL/MariaDB SKIP LOCKED; SQLite serialises writers).
    """
    qs = Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    if only_ids is not None:
        qs = qs.filter(id__in=only_ids)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    batch = max(1, min(int(settings.NOTIFICATION_BATCH_SIZE), push.MAX_MESSAGES_PER_REQUEST))
    candidates = list(qs[:batch])
    if not candidates:
        return "", [], []
    user_ids = {n.user_id for n in candidates}
    devices_by_user: dict[int, list[Device]] = {}
    for device in Device.objects.filter(user_id__in=user_ids, is_active=True).order_by("id"):
        devices_by_user.setdefault(device.user_id, []).append(device)
    existing: dict[tuple[int, str], Delivery] = {
        (d.notification_id, d.token): d for d in Delivery.objects.filter(notification_id__in=[n.pk for n in candidates])
    }
    token = uuid.uuid4().hex
    claimed: list[Notification] = []
    to_create: list[Delivery] = []
    to_resend: list[int] = []
    budget = batch
    for notification in candidates:
        targets: list[tuple[Device, Delivery | None]] = []
        for device in devices_by_user.get(notification.user_id, []):
            previous = existing.get((notification.pk, device.token))
            if previous is None or previous.status == DeliveryStatus.RETRY:
                targets.append((device, previous))
        if claimed and len(targets) > budget:
            break  # the rest waits for the next claim: one claim, one request
        budget -= len(targets)
        claimed.append(notification)
        for device, previous in targets:
            if previous is None:
                to_create.append(Delivery(notification=notification, device=device, token=device.token, attempts=1, created_at=now, updated_at=now))
            else:
                to_resend.append(previous.pk)
    ids = [n.pk for n in claimed]
    Notification.objects.filter(id__in=ids, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    Delivery.objects.bulk_create(to_create)
    if to_resend:
        Delivery.objects.filter(id__in=to_resend).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    deliveries = list(
        Delivery.objects.filter(notification_id__in=ids, status=DeliveryStatus.SENDING).select_related("notification").order_by("id")
    )
    return token, claimed, deliveries


def _message_for(delivery: Delivery) -> push.OutMessage:
    n = delivery.notification
    return push.OutMessage(to=delivery.token, title=n.title, body=n.body, data={**(n.data or {}), "notification_id": n.pk, "kind": n.kind})


@transaction.atomic
def _record_outcome(*, token: str, claimed: list[Notification], deliveries: list[Delivery], result: push.SendResult | None, now: datetime) -> SweepResult:
    """Write the request's outcome for every claimed row in one transaction."""
    summary = SweepResult(claimed=len(claimed), requests=1 if deliveries else 0)
    if result is not None and not result.failed:
        for delivery, ticket in zip(deliveries, result.tickets, strict=True):
            delivery.updated_at = now
            if ticket.ok:
                delivery.status, delivery.ticket_id, delivery.error = DeliveryStatus.OK, ticket.ticket_id[:64], ""
            elif ticket.error == "MessageRateExceeded":
                delivery.status, delivery.error = DeliveryStatus.RETRY, ticket.error
            else:
                delivery.status, delivery.error = DeliveryStatus.ERROR, f"{ticket.error}: {ticket.message}"[:255]
                if ticket.error == "DeviceNotRegistered":
                    device_deactivate(token=delivery.token, reason="DeviceNotRegistered")
    elif result is not None:
        status = DeliveryStatus.UNCONFIRMED if result.ambiguous else (DeliveryStatus.RETRY if result.transient else DeliveryStatus.ERROR)
        for delivery in deliveries:
            delivery.status, delivery.error, delivery.updated_at = status, result.error[:255], now
    Delivery.objects.bulk_update(deliveries, ["status", "ticket_id", "error", "updated_at"])

    max_attempts = int(settings.NOTIFICATION_MAX_ATTEMPTS)
    by_notification: dict[int, list[Delivery]] = {}
    for d in Delivery.objects.filter(notification_id__in=[n.pk for n in claimed]):
        by_notification.setdefault(d.notification_id, []).append(d)
    # Rows with the same outcome are finished in one UPDATE; only the claimer may finish a row (one that
    # was recovered as unconfirmed meanwhile stays so).
    finish: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for notification in claimed:
        rows = by_notification.get(notification.pk, [])
        statuses = {d.status for d in rows}
        attempts = notification.attempts + 1
        update: dict[str, Any] = {"claim_token": ""}
        if DeliveryStatus.RETRY in statuses and attempts < max_attempts:
            delay = _backoff_seconds(attempts, result.retry_after if result else None)
            update.update(status=NotificationStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay))
            update["last_error"] = next((d.error for d in rows if d.status == DeliveryStatus.RETRY), "")[:255]
            summary.retried += 1
        elif DeliveryStatus.OK in statuses:
            update.update(status=NotificationStatus.SENT, sent_at=now, last_error="")
            summary.sent += 1
        elif DeliveryStatus.UNCONFIRMED in statuses:
            update.update(status=NotificationStatus.UNCONFIRMED, last_error="push request outcome unknown; not re-sent")
            summary.failed += 1
        else:
            if not rows:
                error = "push not configured; shown in the app only" if not push.push_enabled() else "no registered device"
            else:
                error = next((d.error for d in rows if d.error), "push failed")
            update.update(status=NotificationStatus.FAILED, last_error=error[:255])
            summary.failed += 1
        finish.setdefault(tuple(sorted(update.items())), []).append(notification.pk)
    for key, ids in finish.items():
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.SENDING, claim_token=token).update(**dict(key))
    return summary


def notifications_send_due(*, now: datetime | None = None, only_ids: list[int] | None = None, max_requests: int = 50) -> SweepResult:
    """Claim and push due rows, one Expo request per claim, until none are due (or max_requests)."""
    total = SweepResult()
    for _ in range(max_requests):
        moment = now or timezone.now()
        token, claimed, deliveries = _claim_batch(now=moment, only_ids=only_ids)
        if not claimed:
            break
        result: push.SendResult | None = None
        if deliveries and push.push_enabled():
            result = push.send([_message_for(d) for d in deliveries])
        elif deliveries:
            result = push.SendResult(failed=True, error="push not configured")
        outcome = _record_outcome(token=token, claimed=claimed, deliveries=deliveries, result=result, now=timezone.now())
        for name in ("claimed", "sent", "failed", "retried", "requests"):
            setattr(total, name, getattr(total, name) + getattr(outcome, name))
    return total


@transaction.atomic
def notifications_recover_stale(*, now: datetime | None = None) -> int:
    """Rows a killed sender left in `sending`: their request may have reached Expo, so mark, never resend."""
    now = now or timezone.now()
    lease = float(settings.NOTIFICATION_SENDING_LEASE_SECONDS)
    cutoff = now - timedelta(seconds=lease)
    stale = list(
        Notification.objects.filter(status=NotificationStatus.SENDING, claimed_at__lt=cutoff).values_list("id", flat=True)[:1000]
    )
    if not stale:
        return 0
    Delivery.objects.filter(notification_id__in=stale, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.UNCONFIRMED, error="sender stopped mid-request", updated_at=now
    )
    ok_ids = set(Delivery.objects.filter(notification_id__in=stale, status=DeliveryStatus.OK).values_list("notification_id", flat=True))
    Notification.objects.filter(id__in=ok_ids, status=NotificationStatus.SENDING).update(status=NotificationStatus.SENT, sent_at=now, claim_token="")
    return Notification.objects.filter(id__in=stale, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.UNCONFIRMED, claim_token="", last_error="sender stopped mid-request; not re-sent"
    ) + len(ok_ids)


def receipts_check(*, now: datetime | None = None, limit: int = push.MAX_RECEIPTS_PER_REQUEST) -> int:
    """Read Expo receipts for accepted pushes older than the receipt delay; deactivate DeviceNotRegistered tokens."""
    now = now or timezone.now()
    delay = float(settings.NOTIFICATION_RECEIPT_DELAY_SECONDS)
    pending = list(
        Delivery.objects.filter(status=DeliveryStatus.OK, receipt_checked_at__isnull=True, updated_at__lte=now - timedelta(seconds=delay))
        .exclude(ticket_id="")
        .order_by("id")[:limit]
    )
    if not pending or not push.push_enabled():
        return 0
    receipts = push.get_receipts([d.ticket_id for d in pending])
    if receipts is None:
        return 0
    by_ticket = {r.ticket_id: r for r in receipts}
    checked = 0
    with transaction.atomic():
        for delivery in pending:
            receipt = by_ticket.get(delivery.ticket_id)
            if receipt is None:
                # Expo keeps receipts for a day; one that never appears is given up on after that.
                if delivery.updated_at < now - timedelta(days=1):
                    Delivery.objects.filter(pk=delivery.pk).update(receipt_status="missing", receipt_checked_at=now)
                continue
            checked += 1
            if receipt.ok:
                Delivery.objects.filter(pk=delivery.pk).update(receipt_status="ok", receipt_checked_at=now)
                continue
            Delivery.objects.filter(pk=delivery.pk).update(
                receipt_status="error", receipt_checked_at=now, error=f"receipt {receipt.error}: {receipt.message}"[:255]
            )
            if receipt.error == "DeviceNotRegistered":
                device_deactivate(token=delivery.token, reason="DeviceNotRegistered")
    return checked
