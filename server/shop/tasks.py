"""Shop background work (huey): e-mail the receipt once an order is committed."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from shop import services


@db_task(retries=3, retry_delay=60)
def send_order_receipt(order_id: int) -> bool:
    """Fetch the order by id and send its receipt; a repeated message sends nothing twice."""
    return services.order_send_receipt(order_id=order_id)
