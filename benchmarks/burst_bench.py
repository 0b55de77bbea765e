"""Bursts of simultaneous connections against the embedded default's web server: how many are reset.

    # gunicorn as scripts/run-embedded.sh starts it (the default), and Django's runserver for comparison
    .venv/bin/python benchmarks/burst_bench.py --server gunicorn --rounds 5
    .venv/bin/python benchmarks/burst_bench.py --server runserver --rounds 5
    # against a running `make run`
    .venv/bin/python benchmarks/burst_bench.py --url http://127.0.0.1:8000

Each round opens N connections at once (threads released by one barrier), sends one GET each (healthz,
the shop's products, the blog, the web app's index, in turn) and reads the whole answer. A connection
that is reset, refused, cut short or times out counts as failed. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
PYTHON = str(REPO / ".venv" / "bin" / "python")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
DEFAULT_PATHS = ("/healthz", "/api/v1/products", "/api/v1/posts", "/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment scripts/run-embedded.sh gives the server (SQLite and huey under `var_dir`)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "SECRET_KEY"}}
    env.update(
        EMBEDDED="1",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        VAR_DIR=str(var_dir),
        HOST="127.0.0.1",
        WEB_WORKERS="1",
        WEB_THREADS="16",
        SCREENING_WARMUP="0",
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO / "server", env=env, check=True)  # noqa: S603 - our own manage.py


def start_server(kind: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start `gunicorn` (server/config/gunicorn.py, as run-embedded.sh does) or Django's `runserver`."""
    env = {**env, "PORT": str(port)}
    if kind == "gunicorn":
        cmd = [GUNICORN, "-c", "config/gunicorn.py", "config.wsgi"]
    else:
        cmd = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"]
    proc = subprocess.Popen(cmd, cwd=REPO / "server", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603 - our own server
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{kind} did not answer /healthz within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str, port: int) -> bytes:
        head = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}:{port}", "Accept-Encoding: gzip", "Connection: close"]
        head += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            head.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


def _one(host: str, port: int, request: Request, barrier: threading.Barrier, timeout: float) -> tuple[str, float]:
    """('2xx'/'3xx'/'4xx'/'5xx' for an answer, or the failure: reset, refused, timeout, truncated; connect seconds)."""
    barrier.wait()
    started = time.perf_counter()
    connect_s = 0.0
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            connect_s = time.perf_counter() - started
            sock.sendall(request.encode(host, port))
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return "reset", connect_s
    except ConnectionRefusedError:
        return "refused", connect_s
    except TimeoutError:
        return "timeout", connect_s
    response = b"".join(chunks)
    if not response.startswith(b"HTTP/1."):
        return "truncated", connect_s
    return f"{response.split(b' ', 2)[1][:1].decode()}xx", connect_s


def burst(url: str, *, connections: int = 100, requests: tuple[Request, ...] | None = None, timeout: float = 60.0) -> Counter[str]:
    """Open `connections` connections at the same instant; count the outcomes.

    `syn_retried` counts connections whose handshake took over 0.9 s: the server's listen queue was full,
    the kernel dropped the SYN and the client retried after 1 s (3 s, 7 s, ...).
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = requests or tuple(Request("GET", p) for p in DEFAULT_PATHS)
    barrier = threading.Barrier(connections)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        result, connect_s = _one(host, port, requests[i % len(requests)], barrier, timeout)
        with lock:
            outcomes[result] += 1
            if connect_s > 0.9:
                outcomes["syn_retried"] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


FAILURES = ("reset", "refused", "timeout", "truncated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one with --server on a scratch SQLite database)")
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    proc = None
    url = args.url
    with tempfile.TemporaryDirectory(prefix="burst-") as var:
        if not url:
            env = embedded_env(Path(var))
            migrate(env)
            port = free_port()
            proc = start_server(args.server, env, port)
            url = f"http://127.0.0.1:{port}"
        try:
            rounds = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                outcome = burst(url, connections=args.connections)
                rounds.append({"failed": sum(outcome[k] for k in FAILURES), **dict(outcome), "seconds": round(time.perf_counter() - started, 2)})
                time.sleep(0.5)
        finally:
            if proc is not None:
                stop_server(proc)
    failed = [r["failed"] for r in rounds]
    print(
        json.dumps(
            {"server": args.server if not args.url else url, "connections": args.connections, "rounds": rounds, "failed_per_round": failed, "failed_total": sum(failed)},
            indent=1,
        )
    )
    sys.exit(1 if sum(failed) else 0)


if __name__ == "__main__":
    main()
