"""A local fake of the Expo push service on 127.0.0.1: counts what it accepts, injects failures on demand.

Only messages in a request answered 200 count as accepted (a real 429/5xx means Expo did not take them).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeExpo:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: Counter[tuple[str, int]] = Counter()  # (token, notification_id) -> times accepted
        self.requests = 0
        self.max_batch = 0
        self.batch_sizes: list[int] = []
        self.rejected_requests = 0
        self.unregistered: set[str] = set()  # tokens answered DeviceNotRegistered
        self.rate_limited_tokens: dict[str, int] = {}  # token -> how many more MessageRateExceeded tickets
        self.fail_plan: list[int] = []  # statuses for the next requests (429, 500, 503...), consumed in order
        self.fail_every: int = 0  # if > 0: every n-th request gets fail_status
        self.fail_status: int = 503
        self.latency: float = 0.0  # seconds before answering (after counting)
        self.receipts: dict[str, dict[str, Any]] = {}
        self.receipt_unregistered: set[str] = set()  # tokens whose receipts say DeviceNotRegistered
        self.in_flight = threading.Event()  # set while a request has been counted but not yet answered
        self.payloads: list[dict[str, Any]] = []  # every accepted message as sent
        self.first_seen: dict[int, float] = {}  # notification id -> first acceptance (epoch seconds)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeExpo:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                body = json.loads(raw or b"null")
                if self.path.endswith("/push/send"):
                    status, payload = fake._send(body)
                elif self.path.endswith("/push/getReceipts"):
                    status, payload = 200, fake._receipts(body)
                else:
                    status, payload = 404, {"errors": [{"code": "NOT_FOUND", "message": "no such route"}]}
                data = json.dumps(payload).encode()
                if fake.latency and status == 200 and self.path.endswith("/push/send"):
                    fake.in_flight.set()
                    time.sleep(fake.latency)
                    fake.in_flight.clear()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(data)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (the SIGKILL test) is expected, not an error

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- behaviour -----------------------------------------------------------------------------
    def _send(self, messages: list[dict[str, Any]]) -> tuple[int, Any]:
        with self.lock:
            self.requests += 1
            self.batch_sizes.append(len(messages))
            self.max_batch = max(self.max_batch, len(messages))
            status = 200
            if self.fail_plan:
                status = self.fail_plan.pop(0)
            elif self.fail_every and self.requests % self.fail_every == 0:
                status = self.fail_status
            if len(messages) > 100:
                status = 400
            if status != 200:
                self.rejected_requests += 1
                return status, {"errors": [{"code": "FAKE_FAILURE", "message": f"injected {status}"}]}
            tickets = []
            for m in messages:
                token = m["to"]
                if token in self.unregistered:
                    tickets.append(
                        {"status": "error", "message": f'"{token}" is not a registered push notification recipient', "details": {"error": "DeviceNotRegistered"}}
                    )
                    continue
                if self.rate_limited_tokens.get(token, 0) > 0:
                    self.rate_limited_tokens[token] -= 1
                    tickets.append({"status": "error", "message": "rate exceeded", "details": {"error": "MessageRateExceeded"}})
                    continue
                nid = int((m.get("data") or {}).get("notification_id", 0))
                self.accepted[(token, nid)] += 1
                self.payloads.append(m)
                self.first_seen.setdefault(nid, time.time())
                ticket_id = uuid.uuid4().hex
                self.receipts[ticket_id] = (
                    {"status": "error", "message": "gone", "details": {"error": "DeviceNotRegistered"}}
                    if token in self.receipt_unregistered
                    else {"status": "ok"}
                )
                tickets.append({"status": "ok", "id": ticket_id})
            return 200, {"data": tickets}

    def _receipts(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"data": {i: self.receipts[i] for i in body.get("ids", []) if i in self.receipts}}

    # --- assertions helpers --------------------------------------------------------------------
    def total_accepted(self) -> int:
        with self.lock:
            return sum(self.accepted.values())

    def duplicates(self) -> dict[tuple[str, int], int]:
        with self.lock:
            return {k: v for k, v in self.accepted.items() if v > 1}
