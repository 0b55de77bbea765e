"""The production image needs the contract, not the training code; the artifacts volume receives new bundles."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _instructions(dockerfile: str) -> list[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_image_installs_the_contract_and_leaves_model_pipeline_out() -> None:
    steps = _instructions((ROOT / "Dockerfile").read_text())
    copies = [s for s in steps if s.startswith("COPY")]
    assert not any("model_pipeline" in s for s in copies), copies
    assert "COPY contract/ contract/" in copies
    # the contract is in place before the requirements that install it (-e ./contract) are installed
    install = next(i for i, s in enumerate(steps) if s.startswith("RUN pip install") and "requirements/base.txt" in s)
    assert steps.index("COPY contract/ contract/") < install
    assert "-e ./contract" in (ROOT / "requirements" / "base.txt").read_text().splitlines()
    # the image's bundles live outside the volume's mount point
    assert "COPY tflite_artifacts/ /app/tflite_artifacts-image/" in copies
    assert "model_pipeline" in (ROOT / ".dockerignore").read_text().split()


def test_compose_seeds_the_artifacts_volume_before_the_server_imports_bundles() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    mount = "artifacts:/app/tflite_artifacts"
    seeder = services["artifacts"]
    assert mount in seeder["volumes"]
    assert seeder["command"] == "python manage.py seed_artifacts --from /app/tflite_artifacts-image"
    assert seeder["restart"] == "no"
    assert services["migrate"]["depends_on"]["artifacts"] == {"condition": "service_completed_successfully"}
    assert "import_bundles" in services["migrate"]["command"]
    for name in ("migrate", "web", "worker"):
        assert mount in services[name]["volumes"], name
        assert services[name]["environment"]["MODEL_ARTIFACTS_DIR"] == "/app/tflite_artifacts", name
    assert "artifacts" in compose["volumes"]
