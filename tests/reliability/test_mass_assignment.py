"""Mass assignment: every write operation with a JSON body (read from the OpenAPI document, so a new one
is probed the day it is added) gets a valid body plus one field the client must not set (ids, owners,
roles, prices, stock, statuses, timestamps): each is a 422 naming the field, and nothing in the
database changed. Each probe runs in a savepoint that is rolled back after it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import transaction

from tests.reliability.conftest import World, operations, path_values, valid_body

# Who sends each write (someone who may: a refusal must come from the extra field, not the caller).
CALLER = {
    "register_user": "anonymous",
    "login_user": "anonymous",
    "refresh_token": "anonymous",
    "set_availability": "clinician",
    "create_exception": "clinician",
    "set_appointment_status": "clinician",
    "set_order_status": "admin",
    "create_post": "clinician",
    "update_post": "clinician",
    "write_screening_review": "clinician",
}
APPS = ("accounts", "appointments", "notifications", "shop", "blog", "screening", "core")


def _extras(world: World) -> dict[str, Any]:
    admin = world.users["admin"].pk
    return {
        "id": 999_999,
        "pk": 999_999,
        "user": admin,
        "user_id": admin,
        "owner": admin,
        "owner_id": admin,
        "author_id": admin,
        "role": "admin",
        "is_staff": True,
        "is_superuser": True,
        "price": 1,
        "price_minor": 1,
        "unit_price_minor": 1,
        "stock": 0,
        "status": "paid",
        "total_minor": 0,
        "created_at": "1970-01-01T00:00:00Z",
        "updated_at": "1970-01-01T00:00:00Z",
    }


def _snapshot() -> str:
    """Every row of the project's apps, serialised: equal snapshots mean nothing was written."""
    parts = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            parts.append(serializers.serialize("json", model.objects.order_by("pk")))
    return "\n".join(parts)


def _url(path: str, op: dict[str, Any], world: World) -> str:
    values = path_values(world)
    for param in op.get("parameters", []):
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(values[param["name"]]))
    return path


def test_extra_fields_are_refused_and_change_nothing(world: World, openapi_document: dict[str, Any]) -> None:
    # Given every JSON write of the document and a valid body for each
    writes = [
        (m, p, op)
        for m, p, op in operations(openapi_document)
        if m in ("POST", "PUT", "PATCH") and "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for method, path, op in writes:
        body = valid_body(op["operationId"], world)
        who = CALLER.get(op["operationId"], "owner")
        client = world.client(who)
        url = _url(path, op, world)
        for name, value in _extras(world).items():
            if name in body:
                continue  # a field this operation takes is not an extra
            counts["probes"] += 1
            # When the valid body carries one extra field
            with transaction.atomic():
                before = _snapshot()
                response = client.client.generic(
                    method, url, json.dumps({**body, name: value}), content_type="application/json", headers=client._headers(None)
                )
                changed = _snapshot() != before
                transaction.set_rollback(True)
            counts[str(response.status_code)] += 1
            # Then it is refused with the field named, and nothing was written
            fields = {str(e["loc"][-1]) for e in response.json().get("errors", [])} if response.status_code == 422 else set()
            if response.status_code != 422 or name not in fields or changed:
                problems.append(f"{who} {method} {path} + {name!r} -> {response.status_code}, database changed: {changed}")
            counts["changed"] += int(changed)
    print(
        f"mass assignment: {len(writes)} JSON write operations, {counts['probes']} probes:"
        f" 422={counts['422']}, other={counts['probes'] - counts['422']}, database changed={counts['changed']}"
    )
    assert not problems, "\n".join(problems)
