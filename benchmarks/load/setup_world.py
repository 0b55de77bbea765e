"""Creates the load test's world in the database the environment names (benchmarks/load/run_load.py calls it).

Patients with random passwords, clinicians bookable around the clock, products with deep stock, published
blog posts, and a tiny synthetic model bundle imported and activated. Writes what the locust users need
(credentials, ids, slugs) as JSON to the path given as the only argument.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import time, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "server"), str(REPO)]

PATIENTS = int(os.environ.get("LOAD_PATIENTS", "40"))
CLINICIANS = 4
PRODUCTS = 12
POSTS = 15
MODEL_VERSION = "2026.12.04-synthetic-load"


def main(out: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from appointments import services as appointment_services
    from blog import services as blog_services
    from screening import services as screening_services
    from tests.server.factories import UserFactory
    from tests.server.screening.bundle_factory import build_tiny_bundle
    from tests.server.shop.factories import ProductFactory

    bundle = build_tiny_bundle(Path(settings.MODEL_ARTIFACTS_DIR), MODEL_VERSION, seed=3, created_at="2026-12-04T00:00:00Z")
    version, _ = screening_services.model_version_import(bundle_dir=bundle, check_golden=False)
    screening_services.model_version_activate(model_version=version)

    patients = []
    for i in range(PATIENTS):
        password = secrets.token_urlsafe(18)
        user = UserFactory(role="patient", email=f"load-patient-{i:03d}@example.org", time_zone="Europe/Berlin")
        user.set_password(password)
        user.save(update_fields=["password"])
        patients.append({"email": user.email, "password": password})
    clinicians = []
    for i in range(CLINICIANS):
        user = UserFactory(role="clinician", email=f"load-clinician-{i}@example.org", time_zone="UTC")
        profile = appointment_services.clinician_profile_upsert(user=user, speciality="Dermatology", clinic="Load clinic", time_zone="UTC", slot_minutes=15)
        appointment_services.availability_set_weekly(profile=profile, windows=[(d, time(0), time(23, 45)) for d in range(7)])
        clinicians.append(user.pk)
        if i == 0:
            author = user
    products = [ProductFactory(stock=1_000_000, price_minor=500 + i * 100).pk for i in range(PRODUCTS)]
    slugs = [
        blog_services.post_create(
            author=author,
            title=f"Sun safety note {i}",
            body="Check your skin monthly. " * 40,
            tags=["prevention"],
            published_at=timezone.now() - timedelta(days=i),
        ).slug
        for i in range(POSTS)
    ]
    out.write_text(json.dumps({"patients": patients, "clinicians": clinicians, "products": products, "slugs": slugs}))
    print(f"world: {len(patients)} patients, {len(clinicians)} clinicians, {len(products)} products, {len(slugs)} posts, model {MODEL_VERSION}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
