"""Shop background work (huey): e-mail the receipt once an order is committed, and sweep up misses."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shop import services

logger = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=60)
def send_order_receipt(order_id: int) -> bool:
    """Fetch the order by id and send its receipt; a repeated message sends nothing twice."""
    return services.order_send_receipt(order_id=order_id)


@db_periodic_task(crontab(minute="*/15"))
def send_missing_receipts() -> int:
    """The database is the source of truth: receipts whose queue message was lost go out here."""
    sent = 0
    for order_id in services.order_receipts_due():
        try:
            sent += int(services.order_send_receipt(order_id=order_id))
        except Exception:
            logger.exception("receipt for order %s failed; the next sweep tries again", order_id)
    return sent


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_old_checkout_keys() -> int:
    return services.checkout_keys_purge()
