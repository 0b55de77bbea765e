"""Database helpers: the one retry loop for deadlocks and lock timeouts."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, transaction

from core.error_codes import CoreError
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# MySQL/MariaDB: 1213 deadlock (the transaction was rolled back), 1205 lock wait timeout.
RETRYABLE_MYSQL_ERRORS = frozenset({1213, 1205})
ATTEMPTS = 6


class TryAgain(Exception):
    """The state a transaction waited for went away (a competing request rolled back): run it again."""


def is_retryable(exc: OperationalError) -> bool:
    """A deadlock or lock-wait timeout on MySQL/MariaDB, or SQLite's "database is locked"."""
    code = exc.args[0] if exc.args else None
    return code in RETRYABLE_MYSQL_ERRORS or "database is locked" in str(exc)


def retry_on_deadlock(fn: Callable[[], T], *, what: str, attempts: int = ATTEMPTS, busy_message: str | None = None) -> T:
    """Run the whole transaction `fn` again after a deadlock, a lock timeout or `TryAgain`, with jittered backoff.

    Inside an outer transaction nothing is retried here (MySQL has rolled the whole outer transaction
    back on a deadlock): the error goes up to the outermost `retry_on_deadlock`. After `attempts`
    tries the caller gets a 503 `busy` it can retry later.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (OperationalError, TryAgain) as exc:
            if transaction.get_connection().in_atomic_block:
                raise
            if isinstance(exc, OperationalError) and not is_retryable(exc):
                raise
            if attempt == attempts:
                logger.error("%s: giving up after %d attempts: %s", what, attempt, exc)
                raise ApplicationError(
                    busy_message or "The server is very busy right now; please try again in a moment.", code=CoreError.BUSY, status=503
                ) from exc
            logger.warning("%s: retrying after %s (attempt %d)", what, exc, attempt)
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AssertionError("unreachable")
