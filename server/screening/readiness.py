"""Readiness for /readyz: an active model that is loaded in this process or loadable from disk."""

from __future__ import annotations

from pathlib import Path


def readiness() -> tuple[bool, str]:
    """(ok, message). Cheap: never loads TensorFlow; checks the active bundle's .h5 is on disk."""
    from screening.bundles import BundleInvalid, h5_path
    from screening.inference import ENGINE
    from screening.selectors import model_version_active

    try:
        active = model_version_active()
    except Exception as exc:  # database down: /readyz reports that separately
        return False, f"error: registry unavailable ({exc.__class__.__name__})"
    if active is None:
        return False, "no active model version (run manage.py import_bundles --activate latest)"
    loaded = ENGINE.loaded
    if loaded is not None and loaded.version == active.version:
        return True, f"ok: {active.version} loaded"
    try:
        path = h5_path(Path(active.path), active.manifest)
    except BundleInvalid as exc:
        return False, f"error: {exc}"
    if not path.is_file():
        return False, f"error: {active.version}: {path.name} missing on disk"
    return True, f"ok: {active.version} loadable"
