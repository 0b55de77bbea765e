"""Shared set-up of the model benchmarks: quiet TensorFlow, the repository importable, the dataset path.

Imported first by pipeline_bench.py, compare_bundles.py and test_time_variants.py (run as scripts, so
this folder is on ``sys.path``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ham10000"
DEFAULT_EXTERNAL = ROOT.parent / "shared" / "data" / "isic_archive"  # the external set (its held-out half)


def missing_input(bundle: Path, needed: tuple[str, ...], data: Path) -> str | None:
    """The error line for the first of ``needed`` missing from ``bundle``, or for a missing dataset; None if all there."""
    for name in needed:
        if not (bundle / name).is_file():
            return f"error: {bundle / name} not found"
    if not data.is_dir():
        return f"error: dataset {data} not found (pass --data)"
    return None
