"""A real server for the reliability tests: gunicorn as the embedded default runs it (one worker, gthread), on a free
loopback port, with a SQLite file DB, media and var of its own, and the model loaded and warmed up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "server"
COMMITTED_ARTIFACTS = REPO / "tflite_artifacts"

# Makes the users the tests act as and prints their access tokens (one JSON line).
_SEED = """
import json
from ninja_jwt.tokens import RefreshToken
from blog.services import post_create
from tests.server.factories import UserFactory
patient = UserFactory(role="patient")
clinician = UserFactory(role="clinician")
post = post_create(author=clinician, title="Cover target", body="Reliability test post.")
print(json.dumps({"patient": str(RefreshToken.for_user(patient).access_token),
                  "clinician": str(RefreshToken.for_user(clinician).access_token), "slug": post.slug}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    root: Path
    tokens: dict[str, str]
    slug: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        """The worker process (the one that decodes and holds the model), not gunicorn's master."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0]) if children else self.process.pid

    def rss(self) -> int:
        return _proc_status(self.pid)["VmRSS"]

    def peak_rss(self) -> int:
        """The process's high-water mark of resident memory since start (or since `reset_peak`)."""
        return _proc_status(self.pid)["VmHWM"]

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def headers(self, who: str = "patient") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def media_files(self) -> list[Path]:
        media = self.root / "media"
        return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []

    def sql(self, query: str) -> Any:
        import sqlite3

        with sqlite3.connect(self.root / "db.sqlite3") as conn:
            return conn.execute(query).fetchall()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(root: Path, *, artifacts: Path, extra_env: dict[str, str] | None = None, timeout: float = 180.0) -> LiveServer:
    """Migrate a fresh SQLite DB under `root`, register and activate the newest bundle in `artifacts`,
    seed a patient and a clinician (with a post), then start gunicorn (config/gunicorn.py) with the
    model warmed up, and wait until /readyz says the model is loaded."""
    root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "CACHE_URL", "DB_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "EMBEDDED": "1",
            "DEBUG": "0",
            "VAR_DIR": str(root / "var"),
            "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
            "MEDIA_ROOT": str(root / "media"),
            "CACHE_URL": "locmemcache://",
            "MODEL_ARTIFACTS_DIR": str(artifacts),
            "MODEL_SIGNING_KEY_FILE": str(root / "var" / "signing.key"),
            "SCREENING_WARMUP": "1",
            "SCREENING_MODEL_CHECK_SECONDS": "3600",
            # The seeded users' access tokens must outlast a long soak (the default is 15 minutes).
            "JWT_ACCESS_MINUTES": "600",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(SERVER), str(REPO)]),
            **(extra_env or {}),
        }
    )
    py = sys.executable

    def manage(*args: str) -> str:
        done = subprocess.run([py, "manage.py", *args], cwd=SERVER, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    manage("migrate", "--noinput", "-v", "0")
    manage("import_bundles", "--dir", str(artifacts), "--activate", "latest", "--skip-golden")
    seeded = json.loads(manage("shell", "-c", _SEED).strip().splitlines()[-1])
    port = _free_port()
    log = root / "server.log"
    gunicorn = Path(py).parent / "gunicorn"
    # One worker with gunicorn's production thread count: what "one web process" means in the issue.
    env.update({"BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "WEB_THREADS": env.get("WEB_THREADS", "8"), "WEB_LOG_LEVEL": "warning"})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "config/gunicorn.py", "config.wsgi"], cwd=SERVER, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        process=process,
        root=root,
        tokens={"patient": seeded["patient"], "clinician": seeded["clinician"]},
        slug=seeded["slug"],
        log=log,
        env=env,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            ready = requests.get(f"{server.url}/readyz", timeout=2).json()
            if "loaded" in ready.get("checks", {}).get("model", ""):
                return server
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"the server did not load its model within {timeout:.0f} s:\n{log.read_text()[-4000:]}")
