"""Screening fixtures: two tiny bundles built once per session, a signing key, a registry, photos."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.server.screening.bundle_factory import build_tiny_bundle

VERSION_A = "2026.01.01-synthetic-test-a"
VERSION_B = "2026.02.01-synthetic-test-b"


@pytest.fixture(scope="session")
def bundle_root(tmp_path_factory: Any) -> Path:
    root = tmp_path_factory.mktemp("artifacts")
    build_tiny_bundle(root, VERSION_A, seed=1, created_at="2026-01-01T00:00:00Z")
    build_tiny_bundle(root, VERSION_B, seed=2, created_at="2026-02-01T00:00:00Z")
    return root


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: Any) -> Path:
    from screening.signing import generate_key_file

    path = tmp_path_factory.mktemp("keys") / "model_signing_ed25519.key"
    generate_key_file(path)
    return path


@pytest.fixture(autouse=True)
def screening_settings(settings: Any, bundle_root: Path, signing_key_file: Path, monkeypatch: Any, tmp_path: Path) -> Any:
    settings.MODEL_SIGNING_KEY = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODEL_ARTIFACTS_DIR = bundle_root
    settings.MODEL_SIGNING_KEY_FILE = signing_key_file
    settings.SCREENING_MODEL_CHECK_SECONDS = 0
    return settings


@pytest.fixture
def registry(db: Any, bundle_root: Path) -> dict[str, Any]:
    """Both tiny bundles registered, A active."""
    from screening import services

    a, _ = services.model_version_import(bundle_dir=bundle_root / VERSION_A, check_golden=False)
    b, _ = services.model_version_import(bundle_dir=bundle_root / VERSION_B, check_golden=False)
    services.model_version_activate(model_version=a)
    a.refresh_from_db()
    return {"a": a, "b": b}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (180, 90, 60), **save: Any) -> bytes:
    image = Image.new("RGB", size, color)
    # A darker blob so the picture is not flat.
    for x in range(size[0] // 4, size[0] // 2):
        for y in range(size[1] // 4, size[1] // 2):
            image.putpixel((x, y), (color[0] // 3, color[1] // 3, color[2] // 3))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "lesion.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def media_files(settings: Any) -> Any:
    def files() -> list[Path]:
        root = Path(settings.MEDIA_ROOT) / "screenings"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files


def _vm() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


class PeakMemory:
    """Peak resident-memory growth of this process (bytes) over a block: Linux `clear_refs` resets VmHWM.

    Unlike tracemalloc it sees native allocations too (Pillow bitmaps, TensorFlow)."""

    def __enter__(self) -> PeakMemory:
        Path("/proc/self/clear_refs").write_text("5")
        self.before = _vm()["VmRSS"]
        self.growth = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.growth = _vm()["VmHWM"] - self.before


@pytest.fixture
def peak_memory() -> type[PeakMemory]:
    try:
        with PeakMemory():
            pass
    except OSError:
        pytest.skip("needs Linux /proc/self/clear_refs")
    return PeakMemory
