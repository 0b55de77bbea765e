"""Property-based API testing with schemathesis: the OpenAPI document is what the server does.

Every operation of /api/v1/openapi.json is called with generated requests (valid ones and invalid ones)
as anonymous, a patient, a clinician and an admin (JWT bearer), in-process through Django's WSGI handler
on the test database with the reliability world seeded. Every response must be:
- not a server error (no 5xx other than a documented 503),
- a status the operation documents,
- a body of the documented content type that validates against the documented schema;
and a request the schema refuses (negative mode) must be refused by the server (4xx).
Bounded: a few examples per operation and mode, derandomized, no shrinking, so it runs in minutes.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.conftest import World

pytestmark = pytest.mark.slow

# Examples per operation and generation mode; RELIABILITY_MAX_EXAMPLES raises it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("RELIABILITY_MAX_EXAMPLES", "4"))
SCHEMA_IDENTITIES = ("anonymous", "owner", "clinician", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]
# Logout, change-password and delete-account run too: a generated body cannot carry the caller's password
# or refresh token, so they answer 4xx and the identity's session survives the run.
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@contextmanager
def _same_connection() -> Iterator[None]:
    """Like Django's test client: requests share the test's transaction (no connection closing per request)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return " | ".join(_failure_text(e) for e in exc.exceptions)
    title = getattr(exc, "title", type(exc).__name__)
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return f"{title}: {' / '.join(line for line in message[:4] if line)}"


def _only_unknown_query_accepted(exc: BaseException) -> bool:
    """A request whose only fault is an unknown query parameter (e.g. one named ''): like most HTTP APIs,
    the server ignores query parameters it does not know, so accepting one breaks no promise."""
    failures = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)

    def benign(failure: BaseException) -> bool:
        message = str(getattr(failure, "message", ""))
        if type(failure).__name__ != "AcceptedNegativeData" or "Invalid component:" not in message:
            return False
        component = message.split("Invalid component:", 1)[1]
        parts = {line.strip() for line in component.splitlines() if line.strip()}
        return parts == {"- query: violates `additionalProperties`"}

    return all(benign(f) for f in failures)


def _exercise(operation: Any, mode: Any, who: str, headers: dict[str, str], counts: Counter[str], failures: list[str], seen: dict[str, int]) -> None:
    """Up to MAX_EXAMPLES generated requests of one operation in one mode; failures are collected, not raised."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: schemathesis.Case) -> None:
        counts[f"cases_{mode.value}"] += 1
        response = case.call(headers=headers)
        counts[f"status_{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # every failure is recorded, the run goes on
            if _only_unknown_query_accepted(exc):
                counts["ignored_unknown_query"] += 1
                return
            text = f"{who} {operation.label} [{mode.value}] -> {response.status_code}: {_failure_text(exc)}"
            key = text.split("->", 1)[1][:120]
            seen[key] += 1
            if seen[key] == 1:
                failures.append(
                    text + f"\n      request: {case.method} {case.formatted_path} query={case.query} headers={case.headers} body={str(case.body)[:200]}"
                    f"\n      response: {response.text[:300]}"
                )

    try:
        exercise()
    except (Unsatisfiable, FailedHealthCheck):
        # Nothing to generate in this mode (e.g. no parameters to make invalid).
        counts[f"unsatisfiable_{mode.value}"] += 1


def _run_identity(app: Any, who: str, token: str | None) -> tuple[Counter[str], list[str]]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        seen: dict[str, int] = defaultdict(int)
        for mode in MODES:
            _exercise(operation, mode, who, headers, counts, failures, seen)
    return counts, failures


def test_api_conforms_to_its_openapi_document(world: World) -> None:
    # Given the seeded world and the Django app served in-process over WSGI
    app = WSGIHandler()
    all_failures: list[str] = []
    totals: Counter[str] = Counter()
    # When every operation is exercised as each identity
    with _same_connection():
        for who in SCHEMA_IDENTITIES:
            token = world.tokens.get(who)
            counts, failures = _run_identity(app, who, token)
            totals.update(counts)
            print(
                f"schemathesis {who}: {counts['operations']} operations, {counts['cases_positive']} positive + {counts['cases_negative']} negative cases,"
                f" statuses 2xx={counts['status_2xx']} 3xx={counts['status_3xx']} 4xx={counts['status_4xx']} 5xx={counts['status_5xx']}, {len(failures)} distinct failures"
            )
            all_failures.extend(failures)
    print(f"schemathesis total: {totals['cases_positive'] + totals['cases_negative']} cases, {len(all_failures)} distinct failures")
    # Then nothing breaks the document's promises
    assert not all_failures, "\n".join(all_failures)
