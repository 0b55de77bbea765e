"""Decode slots: at most IMAGE_DECODE_SLOTS image decodes at once per process, a 503 + Retry-After past the wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from core.error_codes import CoreError
from core.errors import ApplicationError

# What a client is told to wait before retrying when every slot stayed busy.
RETRY_AFTER_SECONDS = 2

_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _semaphore() -> threading.BoundedSemaphore:
    """One semaphore per slot count (read per call, so a changed setting takes effect without a restart)."""
    count = max(1, int(settings.IMAGE_DECODE_SLOTS))
    with _lock:
        if count not in _slots:
            _slots[count] = threading.BoundedSemaphore(count)
        return _slots[count]


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of this process's decode slots while a decoded bitmap exists.

    Waits up to IMAGE_DECODE_WAIT_SECONDS for a free slot, then answers 503 `busy` with Retry-After, so
    many concurrent large uploads queue briefly instead of each holding a bitmap at once."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=max(0.0, float(settings.IMAGE_DECODE_WAIT_SECONDS))):
        raise ApplicationError(
            "The server is busy processing other photos; please try again in a few seconds.",
            code=CoreError.BUSY,
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield
    finally:
        semaphore.release()
