"""A tiny progress reporter for long steps (stderr, one updating line on a TTY, sparse lines otherwise)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def log(message: str) -> None:
    """Print a timestamped progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def progress(items: Iterable[T], total: int, label: str, *, every: float = 5.0) -> Iterator[T]:
    """Yield ``items`` while reporting ``label: i/total`` with a rate and ETA."""
    tty = sys.stderr.isatty()
    start = last = time.monotonic()
    for i, item in enumerate(items, 1):
        yield item
        now = time.monotonic()
        if i == total or now - last >= (0.2 if tty else every):
            last = now
            rate = i / max(now - start, 1e-9)
            eta = (total - i) / rate if rate > 0 else 0.0
            line = f"{label}: {i}/{total} ({rate:.0f}/s, eta {eta:.0f}s)"
            if tty:
                print(f"\r{line}", end="\n" if i == total else "", file=sys.stderr, flush=True)
            else:
                log(line)
