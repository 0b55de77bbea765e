"""After-commit work: the one way to enqueue a huey task (or run a side effect) once a transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def run_after_commit(fn: Callable[[], Any], *, what: str, using: str | None = None) -> None:
    """Run `fn` after the current transaction commits (at once outside one); never if it rolls back.

    `robust=True`: a failing callback (a queue outage, a missing file) is logged and does not turn the
    committed request into an error. Every caller must be able to live with a lost callback: the
    database is the source of truth and a periodic sweep picks up what a lost message left undone.
    """

    def call() -> None:
        try:
            fn()
        except Exception:
            # Logged here with what failed; robust=True below is the backstop for anything else.
            logger.exception("after-commit %s failed; the database still has the work to redo", what)

    transaction.on_commit(call, using=using, robust=True)


def enqueue_after_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue the huey `task(*args, **kwargs)` once the current transaction commits (see run_after_commit).

    Tasks take ids, not objects: the worker reads the committed row, so a message that outlives its
    transaction (or runs twice) finds the truth in the database.
    """
    name = getattr(task, "name", None) or getattr(task, "__name__", repr(task))
    what = f"enqueue {name}{args!r}"

    def enqueue() -> None:
        task(*args, **kwargs)
        logger.info("enqueued %s%r", name, args)

    run_after_commit(enqueue, what=what)
