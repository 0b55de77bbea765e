"""The Expo push service behind one small interface: send <= 100 messages, read receipts, classify errors."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from exponent_server_sdk import (
    PushClient,
    PushMessage,
    PushServerError,
    PushTicket,
)

# Expo's documented limit: at most 100 messages per /push/send request.
MAX_MESSAGES_PER_REQUEST = 100
MAX_RECEIPTS_PER_REQUEST = 1000
TOKEN_RE = re.compile(r"^ExponentPushToken\[[A-Za-z0-9_\-]{8,200}\]$")  # what getExpoPushTokenAsync returns


def is_valid_token(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def push_enabled() -> bool:
    """Pushes go out only when configured (a host, e.g. the local fake in tests, or an access token)."""
    explicit = settings.EXPO_PUSH_ENABLED
    if explicit is not None:
        return bool(explicit)
    return bool(settings.EXPO_PUSH_HOST or settings.EXPO_ACCESS_TOKEN)


@dataclass(frozen=True)
class OutMessage:
    to: str
    title: str
    body: str
    data: dict[str, Any]


@dataclass
class TicketResult:
    """Expo's answer for one message: ok with a ticket id, or an error name (DeviceNotRegistered, ...)."""

    ok: bool
    ticket_id: str = ""
    error: str = ""
    message: str = ""


@dataclass
class SendResult:
    """Either per-message tickets, or a request-level failure that is `transient` (safe to retry) or not."""

    tickets: list[TicketResult] = field(default_factory=list)
    failed: bool = False
    transient: bool = False
    # True when the request may have reached Expo (read timeout, reset): never retried.
    ambiguous: bool = False
    error: str = ""
    retry_after: float | None = None


@dataclass
class ReceiptResult:
    ticket_id: str
    ok: bool
    error: str = ""
    message: str = ""


_local = threading.local()


def _client() -> PushClient:
    """One client per thread and configuration, so its keep-alive connection (TLS to exp.host) stays warm:
    the time between claiming rows and the request leaving the process is then only payload building."""
    config = (
        settings.EXPO_PUSH_HOST,
        settings.EXPO_ACCESS_TOKEN,
        settings.EXPO_CONNECT_TIMEOUT_SECONDS,
        settings.EXPO_READ_TIMEOUT_SECONDS,
    )
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != config:
        _local.client = (config, _new_client())
    return _local.client[1]


def _new_client() -> PushClient:
    session = requests.Session()
    session.headers.update({"accept": "application/json", "accept-encoding": "gzip, deflate", "content-type": "application/json"})
    access_token = settings.EXPO_ACCESS_TOKEN
    if access_token:
        session.headers["Authorization"] = f"Bearer {access_token}"
    connect_timeout = float(settings.EXPO_CONNECT_TIMEOUT_SECONDS)
    read_timeout = float(settings.EXPO_READ_TIMEOUT_SECONDS)
    return PushClient(
        host=settings.EXPO_PUSH_HOST or None,
        session=session,
        timeout=(connect_timeout, read_timeout),
        max_message_count=MAX_MESSAGES_PER_REQUEST,
    )


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


def _never_reached_server(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server (refused / connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        name = type(item).__name__
        if name in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError"):
            return True
        if isinstance(item, BaseException):
            stack.extend([item.__cause__, item.__context__, *[a for a in item.args if isinstance(a, BaseException)]])
            reason = getattr(item, "reason", None)
            if isinstance(reason, BaseException):
                stack.append(reason)
    return False


def send(messages: list[OutMessage]) -> SendResult:
    """POST one request of at most 100 messages to Expo and classify the outcome."""
    if not messages:
        return SendResult()
    if len(messages) > MAX_MESSAGES_PER_REQUEST:
        raise ValueError("At most 100 messages per Expo push request.")
    push_messages = [
        PushMessage(to=m.to, title=m.title, body=m.body, data=m.data, sound="default", priority="high", channel_id="default")
        for m in messages
    ]
    try:
        tickets = _client()._publish_internal(push_messages)
    except PushServerError as exc:
        response = exc.response
        status = getattr(response, "status_code", 0) or 0
        transient = status == 429 or status >= 500
        return SendResult(failed=True, transient=transient, error=f"Expo request failed ({status}): {exc.message}"[:255], retry_after=_retry_after(response))
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        transient = status == 429 or status >= 500
        return SendResult(failed=True, transient=transient, error=f"Expo HTTP {status}"[:255], retry_after=_retry_after(exc.response))
    except requests.exceptions.RequestException as exc:
        if _never_reached_server(exc):
            return SendResult(failed=True, transient=True, error=f"Expo unreachable: {type(exc).__name__}"[:255])
        return SendResult(failed=True, ambiguous=True, error=f"Expo response lost: {type(exc).__name__}"[:255])
    results = []
    for ticket in tickets:
        if ticket.status == PushTicket.SUCCESS_STATUS:
            results.append(TicketResult(ok=True, ticket_id=str(ticket.id or "")))
        else:
            details = ticket.details or {}
            results.append(TicketResult(ok=False, error=str(details.get("error") or "PushTicketError"), message=str(ticket.message or "")[:255]))
    return SendResult(tickets=results)


@dataclass(frozen=True)
class _TicketRef:
    id: str


def get_receipts(ticket_ids: list[str]) -> list[ReceiptResult] | None:
    """Receipts for up to 1000 ticket ids; None on a transport error (try again later)."""
    if not ticket_ids:
        return []
    try:
        receipts = _client().check_receipts_multiple([_TicketRef(t) for t in ticket_ids])
    except (PushServerError, requests.exceptions.RequestException):
        return None
    out = []
    for r in receipts:
        details = r.details or {}
        out.append(ReceiptResult(ticket_id=str(r.id), ok=r.status == "ok", error=str(details.get("error") or ""), message=str(r.message or "")[:255]))
    return out
