"""Idempotency keys: one key rule, one request fingerprint, one stored answer replayed the same way everywhere.

A client sends `Idempotency-Key` (a UUID, or 8-128 characters of letters, digits, `_` and `-`) with a
write a flaky network may repeat. The first request's answer (status and body) is stored with the
request's fingerprint in the transaction that makes the effect. Later requests with the same key:
- same fingerprint: the stored status and body again, with the header `Idempotent-Replayed: true`;
- different fingerprint: 422 `idempotency_key_reused`, nothing written;
- at the same time as the first (concurrent first calls): the second waits on the key's unique index
  until the first commits, then replays its answer (or, if the first failed, does the work itself).
Only successful answers are stored: a request that failed (409 out of stock, 422 ...) can be retried
with the same key. Keys are scoped by (user, endpoint).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.http import HttpResponse
from django.utils import timezone

from core.db import TryAgain, retry_on_deadlock
from core.error_codes import CoreError
from core.errors import Unprocessable
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,128}")
KEY_RULE = "a UUID, or 8-128 characters of letters, digits, '_' or '-'"

M = TypeVar("M", bound=models.Model)


def validate_key(key: str | None) -> str | None:
    """The key as sent, or a 422 `invalid_idempotency_key` when it breaks the one key rule."""
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise Unprocessable(f"{HEADER} must be {KEY_RULE}.", code=CoreError.INVALID_IDEMPOTENCY_KEY)
    return key


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        # The same instant written with another offset is the same request.
        return value.astimezone(UTC).isoformat() if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8; datetimes in UTC: equal requests give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(*, method: str, endpoint: str, body: Mapping[str, Any], file_digests: Mapping[str, str] | None = None) -> str:
    """sha256 over the method, the endpoint, the canonical body and the sha256 of each uploaded file."""
    document = {"method": method.upper(), "endpoint": endpoint, "body": dict(body), "files": dict(file_digests or {})}
    return sha256_hex(canonical_json(document))


@dataclass(frozen=True)
class IdempotentRequest:
    """A keyed write: who, which endpoint, which key, and what exactly was asked."""

    user_id: int
    endpoint: str
    key: str
    fingerprint: str

    @classmethod
    def build(
        cls,
        *,
        user: models.Model,
        endpoint: str,
        key: str | None,
        body: Mapping[str, Any],
        file_digests: Mapping[str, str] | None = None,
        method: str = "POST",
    ) -> IdempotentRequest | None:
        """None without a key (the write is then simply not idempotent); 422 for a key that breaks the rule."""
        checked = validate_key(key)
        if checked is None:
            return None
        return cls(
            user_id=int(user.pk),
            endpoint=endpoint,
            key=checked,
            fingerprint=fingerprint(method=method, endpoint=endpoint, body=body, file_digests=file_digests),
        )


@dataclass(frozen=True)
class Answer:
    """What the endpoint answers: the status, the body, and whether it is a replay of a stored answer."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    def response(self) -> HttpResponse:
        """The HTTP answer: the body as JSON (already shaped by the endpoint's schema), plus
        `Idempotent-Replayed: true` when it is a replay (the one replay signal of the API)."""
        return json_response(self.body, status=self.status, replayed=self.replayed)


def json_response(body: Any, *, status: int, replayed: bool = False) -> HttpResponse:
    """A JSON response of an already schema-shaped body (a stored answer is not validated twice)."""
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


class _KeyTaken(Exception):
    """Another request holds (or held, and committed) this key."""


def _reused(request: IdempotentRequest) -> Unprocessable:
    return Unprocessable(
        f"This {HEADER} was already used for a different request; use a new key for a new request.",
        code=CoreError.IDEMPOTENCY_KEY_REUSED,
        extra={"key": request.key},
    )


def find(request: IdempotentRequest) -> IdempotencyKey | None:
    """The stored row of this key, None if the key is new, 422 if it was used for a different request."""
    row = IdempotencyKey.objects.filter(user_id=request.user_id, endpoint=request.endpoint, key=request.key).first()
    if row is not None and row.fingerprint != request.fingerprint:
        raise _reused(request)
    return row


def replay(row: IdempotencyKey, *, load: Callable[[str], M], render: Callable[[M], dict[str, Any]]) -> Answer:
    """The stored answer. Rows moved from the old key tables carry only the resource: render it once and keep it."""
    body = row.response_body
    if body is None:
        body = render(load(row.resource_id))
        IdempotencyKey.objects.filter(pk=row.pk, response_body__isnull=True).update(response_body=body)
    return Answer(status=row.response_status, body=body, replayed=True)


def stored_answer(request: IdempotentRequest | None, *, load: Callable[[str], M], render: Callable[[M], dict[str, Any]]) -> Answer | None:
    """The replay of a known key (422 if reused), or None when the request must do the work."""
    if request is None:
        return None
    row = find(request)
    return None if row is None else replay(row, load=load, render=render)


def _claim(request: IdempotentRequest, status: int) -> IdempotencyKey:
    """Insert the key row inside the caller's transaction; a concurrent holder makes this wait, then fail."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user_id=request.user_id, endpoint=request.endpoint, key=request.key, fingerprint=request.fingerprint, response_status=status
            )
    except IntegrityError as exc:
        raise _KeyTaken from exc


def respond_once(
    request: IdempotentRequest | None,
    *,
    status: int,
    run: Callable[[], M],
    render: Callable[[M], dict[str, Any]],
    load: Callable[[str], M],
    what: str,
) -> Answer:
    """Do `run` (a write returning the model it created) once per key and answer `status` + `render(result)`.

    The key row, the effect and the stored answer commit together in one transaction; a deadlock or
    lock timeout re-runs that transaction (core.db.retry_on_deadlock). Without a key the write runs as is.
    """

    def attempt() -> Answer:
        if request is None:
            with transaction.atomic():
                result = run()
                return Answer(status=status, body=render(result))
        known = stored_answer(request, load=load, render=render)
        if known is not None:
            return known
        try:
            with transaction.atomic():
                row = _claim(request, status)
                result = run()
                body = render(result)
                row.response_body = body
                row.resource_id = str(result.pk)
                row.save(update_fields=["response_body", "resource_id"])
                return Answer(status=status, body=body)
        except _KeyTaken:
            # The concurrent first call committed its answer while we waited: replay it.
            answer = stored_answer(request, load=load, render=render)
            if answer is None:
                raise TryAgain(f"idempotency key {request.key} was released") from None
            return answer

    return retry_on_deadlock(attempt, what=what)


def keys_purge(*, endpoints: list[str], older_than: timedelta, now: datetime | None = None) -> int:
    """Forget the keys of these endpoints older than `older_than` (what they created stays). Returns the count."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = IdempotencyKey.objects.filter(endpoint__in=endpoints, created_at__lt=cutoff).delete()
    return deleted
