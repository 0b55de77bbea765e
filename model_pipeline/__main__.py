"""Entry point for ``python -m model_pipeline <step>``."""

import os
import sys

# glibc hands large freed blocks (TensorFlow's per-step activation and gradient buffers) back to the
# kernel and maps fresh zeroed pages on the next step. On the 2-core build machine that kernel work
# doubled the training step (measured: 3.4 s -> 1.5-1.7 s per batch of 64 at 128 px with these two
# settings). They must be in the environment before the allocator starts, hence one re-exec on Linux.
# MODEL_PIPELINE_MALLOC_TUNING=0 turns this off; values already in the environment are kept.
_MALLOC_TUNING = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296"}

if (
    sys.platform.startswith("linux")
    and os.environ.get("MODEL_PIPELINE_MALLOC_TUNING", "1") != "0"
    and any(key not in os.environ for key in _MALLOC_TUNING)
):
    for key, value in _MALLOC_TUNING.items():
        os.environ.setdefault(key, value)
    os.execv(sys.executable, [sys.executable, "-m", "model_pipeline", *sys.argv[1:]])  # noqa: S606 (same interpreter, same argv)

from model_pipeline.cli import main  # noqa: E402

raise SystemExit(main())
