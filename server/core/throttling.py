"""Fixed-window throttles over the Django cache, with rates read from settings at request time."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def _parse(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()]


def client_ip(request: HttpRequest) -> str:
    num_proxies = int(settings.NINJA_NUM_PROXIES)
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and xff:
        addrs = [a.strip() for a in xff.split(",")]
        return addrs[-min(num_proxies, len(addrs))]
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def hit(key: str, rate: str) -> int | None:
    """Count one event for ``key`` in the current fixed window of ``rate`` ("N/period", shared through the
    cache); None while within the rate, else the seconds until the window ends."""
    limit, period = _parse(rate)
    window_key = f"{key}:{int(time.time() // period)}"
    cache.add(window_key, 0, timeout=period + 1)
    try:
        count = cache.incr(window_key)
    except ValueError:  # evicted between add and incr
        cache.set(window_key, 1, timeout=period + 1)
        count = 1
    return period - int(time.time()) % period if count > limit else None


def throttle(request: HttpRequest, scope: str) -> None:
    """Count this request against `scope` for the client; raise 429 past the configured rate."""
    rate = settings.AUTH_THROTTLE_RATES.get(scope)
    if not rate:
        return
    wait = hit(f"throttle:{scope}:{client_ip(request)}", rate)
    if wait is not None:
        raise Throttled(wait=wait)
