"""huey tasks of appointments: nightly pruning of bookkeeping rows that no longer guard anything."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from appointments import services


@db_periodic_task(crontab(hour="3", minute="17"))
def prune_booking_rows() -> None:
    services.booking_rows_prune()
