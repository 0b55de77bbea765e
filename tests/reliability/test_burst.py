"""A burst of 100 simultaneous connections against the embedded default's server: none reset, none dropped.

The server is started the way scripts/run-embedded.sh starts it (gunicorn with server/config/gunicorn.py,
SQLite under a scratch VAR_DIR); half of the burst writes (device registrations), so two worker
processes and their threads contend for SQLite's write lock. Django's runserver, which the embedded
default ran before, dropped 80-88 of 100 connection attempts per burst (benchmarks/burst_bench.py).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.burst_bench import FAILURES, PYTHON, REPO, Request, burst, embedded_env, free_port, migrate, start_server, stop_server

pytestmark = pytest.mark.slow


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = embedded_env(tmp_path, WEB_WORKERS="2", WEB_THREADS="16")
    migrate(env)
    password = secrets.token_urlsafe(16)
    created = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", f"from accounts.models import User; User.objects.create_user(email='burst@example.org', password='{password}')"],
        cwd=REPO / "server",
        env=env,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr[-3000:]
    port = free_port()
    proc = start_server("gunicorn", env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        login = urllib.request.Request(
            f"{url}/api/v1/auth/login",
            data=json.dumps({"email": "burst@example.org", "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=30) as response:
            token = json.load(response)["access"]
        yield url, token
    finally:
        stop_server(proc)


def test_run_embedded_serves_with_gunicorn_and_its_config():
    script = (REPO / "scripts" / "run-embedded.sh").read_text()
    assert '/gunicorn" -c config/gunicorn.py config.wsgi' in script
    assert "runserver" not in script


def test_burst_of_100_connections_is_answered_without_resets_or_database_locks(embedded_server):
    url, token = embedded_server
    auth = (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"))
    # Given 50 reads (health, products, posts) and 50 writes (each a new push device) sent at the same instant
    reads = [Request("GET", path) for path in ("/healthz", "/api/v1/products", "/api/v1/posts")]
    writes = [
        Request("POST", "/api/v1/notifications/devices", auth, json.dumps({"token": f"ExponentPushToken[burst-{i:04d}]", "platform": "web"}).encode())
        for i in range(50)
    ]
    requests = tuple(item for pair in zip(reads * 17, writes, strict=False) for item in pair)[:100]
    for _round in range(2):
        # When 100 connections open at once
        outcome = burst(url, connections=100, requests=requests, timeout=60)
        # Then every one is answered: none reset, refused, cut short or timed out, none waited for a
        # dropped SYN to be retried, and no write failed with a 5xx ("database is locked")
        assert {k: outcome[k] for k in FAILURES if outcome[k]} == {}, outcome
        assert outcome["syn_retried"] == 0, outcome
        assert outcome["5xx"] == 0, outcome
        assert outcome["2xx"] == 100, outcome
