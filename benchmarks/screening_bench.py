#!/usr/bin/env python3
"""Benchmark POST /api/v1/screenings against a running server (see docs/screening.md).

Reports, in one run: the bare .h5 forward time for one image (same loading code as the server),
p50/p95 latency at concurrency 1, throughput at concurrency 1 and N, and the web process's RSS
(current and peak) before and after 1,000 requests.

    gunicorn config.wsgi -w 1 --threads 8 -b 127.0.0.1:8000      # from server/, EMBEDDED=1
    .venv/bin/python benchmarks/screening_bench.py --base-url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEMO_EMAIL = "patient@demo.skinscreen.local"
DEMO_PASSWORD = "demo-pass-2026"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def make_photo(width: int, height: int, seed: int = 0) -> bytes:
    """A phone-sized synthetic lesion photo (the pipeline's generator when available)."""
    try:
        sys.path.insert(0, str(REPO))
        from model_pipeline.data.synthetic import _lesion_params, draw_lesion

        rng = np.random.default_rng(seed)
        image = draw_lesion(_lesion_params(rng, "nv"), rng, width, height)
    except Exception:  # the generator's private helpers moved: any textured picture will do
        rng = np.random.default_rng(seed)
        image = Image.fromarray(rng.integers(60, 200, size=(height, width, 3), dtype=np.uint8))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def login(base: str, email: str, password: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    response.raise_for_status()
    return str(response.json()["access"])


def find_web_pids(port: int | None) -> list[int]:
    """gunicorn worker processes (children of a gunicorn master), else any gunicorn/runserver process."""
    procs: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "gunicorn" in cmd or "runserver" in cmd:
            procs[int(entry.name)] = (ppid, cmd)
    workers = [pid for pid, (ppid, _) in procs.items() if ppid in procs]
    return sorted(workers or procs)


def rss_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


BOUNDARY = "----screening-bench-7d1f0c"


def multipart_body(photo: bytes) -> bytes:
    """The request body, built once: the client should spend its CPU on nothing but sending it."""
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"lesion.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + photo + f"\r\n--{BOUNDARY}--\r\n".encode()


class Client:
    """One keep-alive HTTP connection posting a pre-built multipart body."""

    def __init__(self, base: str, token: str, photo: bytes) -> None:
        parsed = urlsplit(base)
        self.conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=60)
        self.path = f"{parsed.path.rstrip('/')}/api/v1/screenings"
        self.body = multipart_body(photo)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    def screen(self) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        self.conn.request("POST", self.path, body=self.body, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status != 201:
            raise RuntimeError(f"POST /screenings -> {response.status}: {payload[:300]!r}")
        return elapsed, json.loads(payload)


def run_concurrent(base: str, token: str, photo: bytes, concurrency: int, total: int) -> tuple[float, list[float], list[dict[str, Any]]]:
    """`total` requests spread over `concurrency` threads; returns (elapsed s, latencies ms, bodies)."""
    latencies: list[float] = []
    bodies: list[dict[str, Any]] = []
    lock = threading.Lock()
    counter = iter(range(total))
    errors: list[BaseException] = []

    def worker() -> None:
        client = Client(base, token, photo)
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            try:
                ms, body = client.screen()
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                latencies.append(ms)
                bodies.append(body)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} request(s) failed; first: {errors[0]}")
    return elapsed, latencies, bodies


def bare_forward_ms(bundle_dir: Path, runs: int) -> tuple[float, float]:
    """Median and p95 of one-image forward passes with the server's own loader (tf.function graph)."""
    sys.path.insert(0, str(REPO / "server"))  # the server's own modules; the bundle contract is installed (lesion_contract)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("EMBEDDED", "1")
    import django

    django.setup()
    from screening.bundles import h5_path, input_size
    from screening.inference import load_forward

    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    size = input_size(manifest)
    forward = load_forward(h5_path(bundle_dir, manifest), size)
    x = np.random.default_rng(0).integers(0, 256, size=(1, size, size, 3)).astype(np.float32)
    for _ in range(10):
        forward(x)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        forward(x)
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times), percentile(times, 95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default=DEMO_EMAIL)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--artifacts", default=str(REPO / "tflite_artifacts"), help="Where the served bundle lives (for the bare forward timing).")
    parser.add_argument("--photo-size", default="1024x768", help="Width x height of the synthetic JPEG sent (a phone-resized photo).")
    parser.add_argument("--latency-requests", type=int, default=100)
    parser.add_argument("--throughput-requests", type=int, default=160)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--memory-requests", type=int, default=1000)
    parser.add_argument("--pid", type=int, action="append", help="Web process id(s) to watch (default: gunicorn workers found in /proc).")
    parser.add_argument("--json", dest="json_out", default=None, help="Also write the results to this JSON file.")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    width, height = (int(v) for v in args.photo_size.lower().split("x"))
    photo = make_photo(width, height)

    latest = requests.get(f"{base}/api/v1/models/latest", timeout=30)
    latest.raise_for_status()
    version = latest.json()["version"]
    bundle_dir = Path(args.artifacts) / version
    token = login(base, args.email, args.password)
    pids = args.pid or find_web_pids(None)
    print(f"server {base}  model {version}  photo {width}x{height} JPEG ({len(photo) / 1024:.0f} KiB)  web pids {pids}")

    # Warm up the server (model load, graph trace, connections) before any timing.
    run_concurrent(base, token, photo, args.concurrency, 4 * args.concurrency)
    run_concurrent(base, token, photo, 1, 10)

    # Bare forward, measured while the server is idle (same cores).
    fwd_p50, fwd_p95 = bare_forward_ms(bundle_dir, runs=100) if bundle_dir.is_dir() else (float("nan"), float("nan"))

    elapsed1, lat1, bodies1 = run_concurrent(base, token, photo, 1, args.latency_requests)
    p50, p95 = percentile(lat1, 50), percentile(lat1, 95)
    thr1 = len(lat1) / elapsed1
    server_ms = statistics.median(float(b["server_latency_ms"]) for b in bodies1)
    elapsedn, latn, _ = run_concurrent(base, token, photo, args.concurrency, args.throughput_requests)
    thrn = len(latn) / elapsedn

    mem_before = {pid: rss_kib(pid) for pid in pids}
    elapsedm, latm, _ = run_concurrent(base, token, photo, args.concurrency, args.memory_requests)
    mem_after = {pid: rss_kib(pid) for pid in pids}

    results = {
        "model_version": version,
        "photo": f"{width}x{height} JPEG, {len(photo)} bytes",
        "bare_forward_ms": {"p50": round(fwd_p50, 2), "p95": round(fwd_p95, 2)},
        "concurrency_1": {
            "requests": len(lat1),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "throughput_rps": round(thr1, 2),
            "server_inference_p50_ms": round(server_ms, 2),
        },
        f"concurrency_{args.concurrency}": {
            "requests": len(latn),
            "p50_ms": round(percentile(latn, 50), 2),
            "p95_ms": round(percentile(latn, 95), 2),
            "throughput_rps": round(thrn, 2),
        },
        "memory": {
            "requests": len(latm),
            "seconds": round(elapsedm, 1),
            "per_pid_kib": {str(pid): {"before": mem_before[pid], "after": mem_after[pid]} for pid in pids},
        },
        "targets": {
            "p50_c1_le_forward_plus_25ms": bool(p50 <= fwd_p50 + 25.0),
            "throughput_cN_ge_1_5x_c1": bool(thrn >= 1.5 * thr1),
        },
    }
    print(f"bare forward (1 image)        p50 {fwd_p50:7.2f} ms   p95 {fwd_p95:7.2f} ms")
    print(f"POST /screenings, c=1         p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({len(lat1)} requests)")
    print(f"  of which queue + forward in the server (median server_latency_ms) {server_ms:.2f} ms")
    print(f"  overhead over bare forward  p50 {p50 - fwd_p50:7.2f} ms   (target <= 25 ms: {'PASS' if results['targets']['p50_c1_le_forward_plus_25ms'] else 'FAIL'})")
    print(f"throughput c=1                {thr1:7.2f} req/s")
    print(f"throughput c={args.concurrency:<2}               {thrn:7.2f} req/s   ({thrn / thr1:.2f}x; target >= 1.5x: {'PASS' if results['targets']['throughput_cN_ge_1_5x_c1'] else 'FAIL'})")
    for pid in pids:
        b, a = mem_before[pid], mem_after[pid]
        print(
            f"web pid {pid}: RSS {b.get('VmRSS', 0) / 1024:.1f} -> {a.get('VmRSS', 0) / 1024:.1f} MiB, "
            f"peak {b.get('VmHWM', 0) / 1024:.1f} -> {a.get('VmHWM', 0) / 1024:.1f} MiB over {len(latm)} requests"
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
