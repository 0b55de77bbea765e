"""compose.yaml's production shape: gunicorn web with health checks, a worker, one-shot jobs, writable volumes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_long_running_service_has_a_health_check_and_web_runs_gunicorn_with_its_config() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["command"] == ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
    # the web health probe sends an allowed Host (production ALLOWED_HOSTS does not list 127.0.0.1)
    assert "ALLOWED_HOSTS" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["worker"]["command"] == ["python", "manage.py", "run_huey"]
    for one_shot in ("artifacts", "migrate"):
        assert services[one_shot]["restart"] == "no"
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_image_owns_every_volume_mount_point_as_its_non_root_user() -> None:
    # Given the volumes the app services mount
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    mounts = {volume.split(":", 1)[1] for name in ("web", "worker", "migrate") for volume in services[name]["volumes"]}
    dockerfile = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    # Then each is created in the image and handed to the non-root user before USER switches to it
    made = next(line for line in dockerfile.splitlines() if "useradd" in line)
    for mount in mounts:
        assert mount in made.split("mkdir -p", 1)[1], mount
    assert "chown -R app /data /app/tflite_artifacts" in made
    assert dockerfile.index(made) < dockerfile.index("USER app")
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]' in dockerfile
