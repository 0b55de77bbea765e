"""Demo lines for the embedded default: which model is active and where phones fetch it."""

from __future__ import annotations

from screening.selectors import model_version_active


def seed() -> list[str]:
    """Idempotent: creates nothing (bundles come from `manage.py import_bundles`); reports the registry."""
    active = model_version_active()
    if active is None:
        return ["  screening: no active model (run: manage.py import_bundles --activate latest)"]
    flag = " [SYNTHETIC - not for clinical use]" if active.synthetic else ""
    return [
        f"  screening: active model {active.version}{flag}",
        "  screening: phones fetch /api/v1/models/latest (signed), public key at /api/v1/models/public-key",
    ]
