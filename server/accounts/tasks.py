"""Accounts background work (huey): forget ended sessions and expired refresh tokens once no token can use them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accounts import services


@db_periodic_task(crontab(minute="41", hour="3"))
def purge_expired_sessions() -> dict[str, int]:
    return services.sessions_purge_expired()
