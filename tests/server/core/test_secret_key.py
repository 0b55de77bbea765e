"""No constant secrets: the embedded default makes its own key per installation; short or published keys are refused."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[3] / "server"
PUBLISHED = "insecure-embedded-default-key-do-not-use-in-production"
PROBE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps([settings.SECRET_KEY, settings.NINJA_JWT['SIGNING_KEY']]))"
)


def _settings(var_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "JWT_SIGNING_KEY", "EMBEDDED", "DEBUG"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "VAR_DIR": str(var_dir), **variables})
    return subprocess.run([sys.executable, "-c", PROBE], cwd=SERVER, env=env, capture_output=True, text=True, timeout=120)


def _keys(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_makes_a_random_key_per_installation_and_keeps_it(tmp_path: Path) -> None:
    # Given two fresh installations of the embedded default, no SECRET_KEY set
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    # When each starts (the first one twice)
    key_a, jwt_a = _keys(_settings(first, EMBEDDED="1"))
    key_a_again, _ = _keys(_settings(first, EMBEDDED="1"))
    key_b, _ = _keys(_settings(second, EMBEDDED="1"))
    # Then each has its own long random key, never the once-published constant, kept across restarts,
    # readable by its owner only, and JWTs are signed with it
    assert key_a != PUBLISHED and len(key_a) >= 32 and jwt_a == key_a
    assert key_a_again == key_a and key_b != key_a
    assert stat.S_IMODE((first / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SECRET_KEY": PUBLISHED, "EMBEDDED": "1"}, "published key"),
        ({"SECRET_KEY": "too-short", "EMBEDDED": "1"}, "at least 32 characters"),
        ({"SECRET_KEY": "x" * 50, "JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be at least"),
        ({}, "SECRET_KEY must be set"),
    ],
)
def test_short_published_or_missing_keys_refuse_to_start(tmp_path: Path, variables: dict[str, str], message: str) -> None:
    out = _settings(tmp_path, **variables)
    assert out.returncode != 0 and message in out.stderr
