"""Load test: locust (headless, loopback) against gunicorn + the huey consumer on MariaDB and Redis.

    LOAD_SECONDS=120 .venv/bin/python benchmarks/load/run_load.py

A mixed load (browsing the blog and the shop, booking, checkout, screening) for LOAD_SECONDS (default
120) from LOAD_USERS simulated users (default 24). The database LOAD_DATABASE (default skin_s3_load on
127.0.0.1:3306, root) is created afresh, migrated and filled by setup_world.py; gunicorn runs the
production settings module (DEBUG and EMBEDDED off; https redirect off on loopback; login throttle
raised, as every simulated user comes from 127.0.0.1). Prints p50/p95 per endpoint and exits non-zero
on any 5xx (or when nothing was measured). tests/reliability/test_load.py runs it.
"""

from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
SERVER = REPO / "server"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _recreate_database(name: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="", connect_timeout=5)
    try:
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()


def server_env(work: Path, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "SECURE_", "AWS_", "CACHE_", "REDIS_", "HUEY_"))}
    for name in ("DEBUG", "EMBEDDED", "SECRET_KEY", "JWT_SIGNING_KEY", "EMAIL_URL", "EMAIL_HOST"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        PYTHONPATH=f"{SERVER}{os.pathsep}{REPO}",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=f"mysql://root@127.0.0.1:3306/{database}",
        REDIS_URL=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/4"),
        HUEY_NAME=f"load-{database}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        THROTTLE_LOGIN="100000/min",
        THROTTLE_REGISTER="100000/min",
        EMAIL_URL="dummymail://",
        VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(work / "media"),
        STATIC_ROOT=str(work / "static"),
        MODEL_ARTIFACTS_DIR=str(work / "artifacts"),
        MODEL_SIGNING_KEY_FILE=str(work / "model_signing_ed25519.key"),
        WEB_WORKERS=os.environ.get("LOAD_WEB_WORKERS", "2"),
        WEB_THREADS=os.environ.get("LOAD_WEB_THREADS", "8"),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    (work / "artifacts").mkdir(parents=True, exist_ok=True)
    return env


def _wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:  # noqa: S310 - our own http://127.0.0.1 server
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {seconds:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def report(prefix: Path) -> tuple[int, int]:
    """Print per-endpoint p50/p95; returns (requests, 5xx responses)."""
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    print(f"{'endpoint':<34} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    total = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        method = row["Type"] if row["Name"] != "Aggregated" else ""
        if row["Name"] == "Aggregated":
            total = int(row["Request Count"])
        label = name if name.startswith(("GET", "POST", "all")) else f"{method} {name}"
        print(f"{label:<34} {row['Request Count']:>8} {row['Failure Count']:>6} {row['50%']:>7} {row['95%']:>7} {float(row['Max Response Time']):>7.0f}")
    server_errors = sum(int(f["Occurrences"]) for f in failures if "5xx" in f["Error"])
    for f in failures:
        print(f"failure: {f['Method']} {f['Name']}: {f['Error']} x{f['Occurrences']}")
    return total, server_errors


def main() -> int:
    seconds = int(os.environ.get("LOAD_SECONDS", "120"))
    users = int(os.environ.get("LOAD_USERS", "24"))
    database = os.environ.get("LOAD_DATABASE", "skin_s3_load")
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        work = Path(tmp)
        env = server_env(work, database)
        _recreate_database(database)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            print(">> migrate + world", flush=True)
            subprocess.run([str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=SERVER, env=env, check=True)  # noqa: S603
            subprocess.run([str(BIN / "python"), str(Path(__file__).with_name("setup_world.py")), str(work / "world.json")], cwd=SERVER, env=env, check=True)  # noqa: S603
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            log = open(work / "server.log", "wb")
            procs.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"], cwd=SERVER, env={**env, "BIND": f"127.0.0.1:{port}", "SCREENING_WARMUP": "1"}, stdout=log, stderr=log))  # noqa: S603
            procs.append(subprocess.Popen([str(BIN / "python"), "manage.py", "run_huey", "--quiet"], cwd=SERVER, env=env, stdout=log, stderr=log))  # noqa: S603
            _wait_ready(url, procs[0])
            print(f">> locust: {users} users for {seconds} s against {url}", flush=True)
            prefix = work / "locust"
            locust = subprocess.run(  # noqa: S603
                [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", str(users), "-r", str(max(1, users // 6)),
                 "-t", f"{seconds}s", "--host", url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
                cwd=REPO, env={**os.environ, "LOAD_WORLD": str(work / "world.json")}, capture_output=True, text=True, timeout=seconds + 300,
            )
            total, server_errors = report(prefix)
            if server_errors or not total:
                print(locust.stderr[-3000:])
                print((work / "server.log").read_text(errors="replace")[-6000:])
            print(f"requests: {total}, 5xx: {server_errors}")
            return 0 if total and not server_errors else 1
        finally:
            for proc in procs:
                _stop(proc)
            _drop(database)


def _drop(name: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="", connect_timeout=5)
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
