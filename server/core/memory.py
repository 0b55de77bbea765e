"""Process memory tuning at start-up: large buffers (decoded images) go back to the OS when freed."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def fix_mmap_threshold(threshold: int) -> bool:
    """Serve every allocation of `threshold` bytes or more from its own mmap (glibc), once per process.

    glibc raises its mmap threshold after the first large free (up to 32 MB), after which decoded image
    blocks (Pillow allocates up to 16 MB at a time) come from per-thread heaps that keep them: a threaded
    server's resident memory then creeps up with every large upload. A fixed threshold returns them at
    once. 0 leaves glibc's default; False where the C library has no mallopt (musl, macOS)."""
    if threshold <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(M_MMAP_THRESHOLD, int(threshold)))
    if not ok:
        logger.warning("mallopt(M_MMAP_THRESHOLD, %d) was refused", threshold)
    return ok
