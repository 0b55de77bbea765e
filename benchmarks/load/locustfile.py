"""The load test's users (locust): visitors browse the blog and the shop; patients also book, check out
and screen. Expected refusals under contention (a slot taken meanwhile: 409) count as successes; any 5xx,
and any other unexpected status, is a failure named after its status. LOAD_WORLD names setup_world.py's JSON.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import threading
import uuid
from datetime import date, timedelta

from locust import HttpUser, between, task
from PIL import Image

WORLD = json.loads(open(os.environ["LOAD_WORLD"], encoding="utf-8").read())
_accounts = itertools.cycle(WORLD["patients"])
_accounts_lock = threading.Lock()


def _photo() -> bytes:
    image = Image.new("RGB", (640, 480), (196, 150, 120))
    for x in range(260, 380):
        for y in range(190, 290):
            image.putpixel((x, y), (80, 45, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


PHOTO = _photo()


def _check(response, *expected: int) -> None:
    """Mark the response: a 5xx or an unexpected status fails under its own name."""
    if response.status_code >= 500:
        response.failure(f"HTTP 5xx: {response.status_code}")
    elif response.status_code not in expected:
        response.failure(f"unexpected HTTP {response.status_code}: {response.text[:120]}")
    else:
        response.success()


class Visitor(HttpUser):
    """Anonymous browsing: the blog and the shop."""

    weight = 3
    wait_time = between(0.5, 2.0)

    @task(3)
    def blog(self) -> None:
        with self.client.get("/api/v1/posts", name="GET /posts", catch_response=True) as r:
            _check(r, 200)
        with self.client.get(f"/api/v1/posts/{random.choice(WORLD['slugs'])}", name="GET /posts/[slug]", catch_response=True) as r:
            _check(r, 200)

    @task(3)
    def shop(self) -> None:
        with self.client.get("/api/v1/products", name="GET /products", catch_response=True) as r:
            _check(r, 200)
        with self.client.get(f"/api/v1/products/{random.choice(WORLD['products'])}", name="GET /products/[id]", catch_response=True) as r:
            _check(r, 200)
        with self.client.get("/api/v1/clinic", name="GET /clinic", catch_response=True) as r:
            _check(r, 200)


class Patient(HttpUser):
    """A signed-in patient: browses, books appointments, checks out, screens photos."""

    weight = 2
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        with _accounts_lock:
            account = next(_accounts)
        with self.client.post("/api/v1/auth/login", json=account, name="POST /auth/login", catch_response=True) as r:
            _check(r, 200)
            token = r.json()["access"] if r.status_code == 200 else ""
        self.client.headers["Authorization"] = f"Bearer {token}"

    @task(2)
    def browse(self) -> None:
        with self.client.get("/api/v1/products", name="GET /products", catch_response=True) as r:
            _check(r, 200)
        with self.client.get("/api/v1/orders", name="GET /orders", catch_response=True) as r:
            _check(r, 200)

    @task(2)
    def book(self) -> None:
        clinician = random.choice(WORLD["clinicians"])
        day = date.today() + timedelta(days=random.randint(2, 40))
        with self.client.get(
            f"/api/v1/clinicians/{clinician}/slots", params={"start": day.isoformat(), "end": day.isoformat(), "tz": "UTC"}, name="GET /clinicians/[id]/slots", catch_response=True
        ) as r:
            _check(r, 200)
            slots = r.json().get("items", []) if r.status_code == 200 else []
        if not slots:
            return
        body = {"clinician_id": clinician, "start": random.choice(slots)["start"], "reason": "load test"}
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        with self.client.post("/api/v1/appointments", json=body, headers=headers, name="POST /appointments", catch_response=True) as r:
            _check(r, 201, 409)  # 409: another patient took the slot first

    @task(2)
    def checkout(self) -> None:
        items = [{"product_id": pid, "quantity": random.randint(1, 3)} for pid in random.sample(WORLD["products"], 2)]
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        with self.client.post("/api/v1/orders", json={"items": items}, headers=headers, name="POST /orders", catch_response=True) as r:
            _check(r, 201)

    @task(1)
    def screen(self) -> None:
        files = {"photo": ("lesion.jpg", PHOTO, "image/jpeg")}
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        with self.client.post("/api/v1/screenings", files=files, data={"body_site": "back"}, headers=headers, name="POST /screenings", catch_response=True) as r:
            _check(r, 201)
