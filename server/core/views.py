"""Health endpoints: /healthz (process up) and /readyz (database and, once present, the model)."""

from __future__ import annotations

import importlib

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash: this is what a load balancer polls
        checks["database"] = f"error: {exc.__class__.__name__}"
        ok = False
    # The screening app, when installed, exposes `readiness() -> (ok, message)`.
    try:
        screening = importlib.import_module("screening.readiness")
    except ModuleNotFoundError:
        screening = None
    if screening is not None:
        model_ok, message = screening.readiness()
        checks["model"] = message
        ok = ok and model_ok
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
