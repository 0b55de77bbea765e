"""The server starts and screens with model_pipeline/ out of reach: the contract package is all it needs.

A fresh interpreter blocks every ``model_pipeline`` import, takes the repository root off its path, runs
``django.setup()`` with the test settings on an empty SQLite database, migrates, imports and activates the
newest committed bundle with ``import_bundles`` (sha256s, golden tensors and the .h5's golden outputs),
then screens a golden image through ``POST /api/v1/screenings`` (the real .h5 inference).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lesion_contract.labels import LABELS
from lesion_contract.manifest import Manifest
from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS, effective_high_risk_mass, risk_level

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib.abc, json, os, sys

repo, bundle, image = sys.argv[1], sys.argv[2], sys.argv[3]


class BlockTrainingCode(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "model_pipeline":
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: the server must run without the training code)")
        return None


sys.meta_path.insert(0, BlockTrainingCode())
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.getcwd()) != os.path.realpath(repo)]
sys.path.insert(0, os.path.join(repo, "server"))
try:
    import model_pipeline  # noqa: F401
except ModuleNotFoundError:
    pass
else:
    sys.exit("model_pipeline is still importable: the test would prove nothing")

import django

django.setup()
from django.core.management import call_command
from django.test import Client
from ninja_jwt.tokens import RefreshToken

from accounts.models import User

call_command("migrate", verbosity=0)
call_command("import_bundles", "--dir", bundle, "--activate", "latest")
user = User.objects.create_user(email="patient@example.org", password="x-secret-x-secret")
token = str(RefreshToken.for_user(user).access_token)
with open(image, "rb") as handle:
    response = Client().post("/api/v1/screenings", {"photo": handle}, headers={"Authorization": f"Bearer {token}"})
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "model_pipeline")
print(json.dumps({"status": response.status_code, "body": response.json(), "model_pipeline_modules": loaded}))
"""


def test_server_screens_a_golden_image_without_model_pipeline(tmp_path: Path) -> None:
    # Given the newest committed bundle (the one `import_bundles --activate latest` makes active)
    manifests = [Manifest.load(p.parent) for p in (ROOT / "tflite_artifacts").glob("*/manifest.json")]
    assert manifests, "no committed bundle under tflite_artifacts/"
    active = max(manifests, key=lambda m: m.created_at_datetime)
    bundle = ROOT / "tflite_artifacts" / active.version
    golden = json.loads((bundle / "golden.json").read_text())[0]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
        MODEL_ARTIFACTS_DIR=str(bundle.parent),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    # When a fresh server process, unable to import model_pipeline, imports it and screens a golden image
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT), str(bundle), str(bundle / golden["file"])],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    # Then the screening is the .h5's answer on that image, and nothing of model_pipeline was loaded
    assert answer["model_pipeline_modules"] == []
    assert answer["status"] == 201, answer["body"]
    body = answer["body"]
    got = [body["probabilities"][label] for label in LABELS]
    expected = golden["expected"]["h5"]
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 2e-3
    assert body["top_label"] == LABELS[expected.index(max(expected))]
    mass = effective_high_risk_mass(DEFAULT_HIGH_RISK_MASS, active.high_risk_mass)
    assert body["risk"] == risk_level(got, high_risk_mass=mass)
    assert body["model_version"] == active.version
