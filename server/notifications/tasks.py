"""huey tasks: the periodic sweep (claims and pushes due rows), an immediate sender, and receipt checks.

The database is the source of truth: each task only reads ids/rows and calls a service, so a lost,
flushed or repeated queue message loses or duplicates nothing.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from notifications import services

logger = logging.getLogger(__name__)


def sweep_seconds() -> float:
    return max(0.2, float(settings.REMINDER_SWEEP_SECONDS))


def run_sweep_once() -> services.SweepResult:
    services.notifications_recover_stale()
    result = services.notifications_send_due()
    if result.claimed:
        logger.info("notification sweep: claimed=%s sent=%s failed=%s retried=%s requests=%s",
                    result.claimed, result.sent, result.failed, result.retried, result.requests)
    return result


@db_periodic_task(crontab(minute="*"))
def sweep_notifications() -> None:
    """huey's scheduler fires once a minute; a shorter REMINDER_SWEEP_SECONDS sweeps repeatedly inside it.

    Overlapping sweeps (a slow one, several consumers) are safe: claims skip each other's rows.
    """
    period = sweep_seconds()
    deadline = time.monotonic() + max(60.0 - period, 0.0)
    while True:
        try:
            run_sweep_once()
        except Exception:  # a database blip must not end the loop for the whole minute
            logger.exception("notification sweep failed; retrying next period")
            close_old_connections()
        if time.monotonic() + period > deadline:
            break
        time.sleep(period)


@db_task(retries=3, retry_delay=10)
def send_notification(notification_id: int) -> None:
    """Push one row now (e.g. a cancellation notice); a no-op when a sweep already took it."""
    services.notifications_send_due(only_ids=[notification_id], max_requests=1)


@db_periodic_task(crontab(minute="*/5"))
def check_push_receipts() -> None:
    services.receipts_check()
