"""Per-account login lockout with growing back-off: the callables django-axes is configured with.

axes counts failed sign-ins per normalised e-mail in the shared cache (Redis in production, a database
table in the embedded default) and refuses `authenticate()` for a locked account, on the API login and
the admin alike. A lock lasts LOGIN_LOCKOUT_SECONDS, doubled for every earlier lock of the account within
LOGIN_LOCKOUT_MEMORY_SECONDS (capped at LOGIN_LOCKOUT_MAX_SECONDS); retries while locked do not extend it.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.error_codes import AccountsError
from core.errors import error_body

_USERNAME_ATTR = "login_lockout_username"


def _key(kind: str, username: str) -> str:
    return f"login-lockout:{kind}:{hashlib.sha256(username.encode()).hexdigest()}"


def login_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the e-mail, stripped and lower-cased, so 'Ada@X.org ' counts as 'ada@x.org'."""
    credentials = credentials or {}
    raw = credentials.get("username") or credentials.get("email")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("username")
    username = str(raw or "").strip().lower()
    if request is not None:
        setattr(request, _USERNAME_ATTR, username)  # read by cool_off(), which axes calls with the request only
    return username


def _lock_seconds(username: str) -> int:
    earlier_locks = int(cache.get(_key("level", username), 0)) if username else 0
    base = max(1, int(settings.LOGIN_LOCKOUT_SECONDS))
    return int(min(base * 2 ** min(earlier_locks, 30), max(base, int(settings.LOGIN_LOCKOUT_MAX_SECONDS))))


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: how long the account's failures are kept and, once locked, how long the lock lasts."""
    return timedelta(seconds=_lock_seconds(getattr(request, _USERNAME_ATTR, "")))


@receiver(user_locked_out)
def _remember_lock(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    """On the failure that starts a lock: note when it ends (for Retry-After) and make the next one longer."""
    if request is None or not username:
        return
    # axes also sends this signal for each attempt refused during the lock; only the failure that
    # reached the limit carries the count (the cache's atomic increment gives it to exactly one request).
    if getattr(request, "axes_failures_since_start", None) != int(settings.AXES_FAILURE_LIMIT):
        return
    seconds = _lock_seconds(username)
    cache.set(_key("until", username), time.time() + seconds, timeout=seconds)
    level_key, memory = _key("level", username), int(settings.LOGIN_LOCKOUT_MEMORY_SECONDS)
    if not cache.add(level_key, 1, timeout=memory):
        try:
            cache.incr(level_key)
        except ValueError:  # expired between add and incr
            cache.set(level_key, 1, timeout=memory)
        cache.touch(level_key, timeout=memory)


def retry_after_seconds(username: str) -> int:
    """Seconds until the account's lock ends (at least 1)."""
    until = cache.get(_key("until", username)) if username else None
    if until is None:
        return _lock_seconds(username)
    return max(1, math.ceil(float(until) - time.time()))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a 429 with Retry-After; the API's one JSON error shape, plain text for the admin."""
    wait = retry_after_seconds(getattr(request, _USERNAME_ATTR, ""))
    message = f"Too many failed sign-ins for this account. Try again in {wait} seconds."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(message, AccountsError.LOGIN_LOCKED, retry_after=wait), status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
