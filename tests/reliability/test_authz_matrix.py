"""Authorisation matrix: every object endpoint (an operation with path parameters, read from the OpenAPI
document, so a new endpoint is covered the day it is added) x six identities: nobody gets a 2xx the
table below does not grant.

Each request runs against the same world and is rolled back after (a savepoint), so one identity's
write never changes what the next one sees. The body of a write is a valid one (conftest.valid_body),
so a refusal is about who asks, not about the body.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.reliability.conftest import IDENTITIES, World, operations, path_values, photo_bytes, query_values, valid_body

EVERYONE = frozenset(IDENTITIES)
SIGNED_IN = EVERYONE - {"anonymous"}
OWNER_ADMIN = frozenset({"owner", "admin"})
OWNER = frozenset({"owner"})
SCHEDULE = frozenset({"clinician", "admin"})  # the clinician's own schedule, and admins
CARE = frozenset({"owner", "clinician", "admin"})  # the patient, their clinician (appointment), admins
CLINICAL = frozenset({"clinician", "unrelated_clinician", "admin"})
AUTHOR = frozenset({"clinician", "admin"})  # the post's author is `clinician`

# Who may get a 2xx, per operationId. The world: `owner` (patient) has an upcoming appointment with
# `clinician`, a screening (not shared), a lesion, an order, a device and a notification; `clinician`
# wrote the post and owns the schedule; `other_patient` and `unrelated_clinician` have nothing to do
# with any of it.
EXPECTED_2XX: dict[str, frozenset[str]] = {
    # the clinician directory and free slots: any signed-in user
    "get_clinician": SIGNED_IN,
    "list_slots": SIGNED_IN,
    "get_availability": SCHEDULE,
    "set_availability": SCHEDULE,
    "create_exception": SCHEDULE,
    "delete_exception": SCHEDULE,
    "get_appointment": CARE,
    "reschedule_appointment": OWNER_ADMIN | {"clinician"},
    "cancel_appointment": CARE,
    "set_appointment_status": frozenset(),  # the appointment has not started yet: nobody, yet
    # one's own devices and notifications; removing a token one does not hold changes nothing (204)
    "delete_device": SIGNED_IN,
    "read_notification": OWNER,
    # the shop: the catalogue is public; orders are the customer's and the admins'
    "get_product": EVERYONE,
    "get_order": OWNER_ADMIN,
    "cancel_order": OWNER,
    "set_order_status": frozenset({"admin"}),
    "download_order_receipt": OWNER,
    # the blog: a published post is public, its author and admins edit it, anyone signed in bookmarks it
    "get_post": EVERYONE,
    "update_post": AUTHOR,
    "upload_post_cover": AUTHOR,
    "bookmark_post": SIGNED_IN,
    "unbookmark_post": SIGNED_IN,
    # screenings: owner, clinicians with access (here: the appointment), admins read; only the owner manages
    "get_screening": CARE,
    "get_screening_photo": CARE,
    "delete_screening": OWNER,
    "list_screening_shares": OWNER,
    "share_screening": OWNER,
    "unshare_screening": OWNER,
    "assign_screening_lesion": OWNER,
    "list_screening_reviews": CARE,
    "write_screening_review": frozenset({"clinician"}),
    # lesions: read like the owner's screenings, written by the owner only
    "get_lesion": CARE,
    "get_lesion_timeline": CARE,
    "update_lesion": OWNER,
    "delete_lesion": OWNER,
    "set_lesion_follow_up": OWNER,
    "cancel_lesion_follow_up": OWNER,
    # the model registry: delivery is public, activation is for admins, agreement for clinicians and admins
    "activate_model_version": frozenset({"admin"}),
    "get_model_agreement": CLINICAL,
    "download_model_file": EVERYONE,
}


def _object_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for m, p, op in operations(document) if any(x["in"] == "path" for x in op.get("parameters", []))]


def _request(world: World, who: str, method: str, path: str, op: dict[str, Any]) -> Any:
    values = path_values(world)
    url = path
    for param in op["parameters"]:
        if param["in"] == "path":
            assert param["name"] in values, f"no value for path parameter {param['name']!r}: add it to conftest.path_values()"
            url = url.replace("{" + param["name"] + "}", str(values[param["name"]]))
    query = {p["name"]: query_values(world)[p["name"]] for p in op["parameters"] if p["in"] == "query" and p.get("required")}
    client = world.client(who)
    headers = client._headers(None)
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = json.dumps(valid_body(op["operationId"], world))
        return client.client.generic(method, url, body, content_type="application/json", headers=headers)
    if "multipart/form-data" in content:
        upload = SimpleUploadedFile("photo.jpg", photo_bytes(), content_type="image/jpeg")
        fields = {name: upload for name in content["multipart/form-data"]["schema"].get("required", [])}
        return client.client.post(url, fields, headers=headers)
    if method == "GET":
        return client.client.get(url, query, headers=headers)
    return client.client.generic(method, url, "", headers=headers)


def test_no_identity_gets_a_2xx_the_table_does_not_grant(world: World, openapi_document: dict[str, Any]) -> None:
    # Given every object endpoint of the document and the six identities
    ops = _object_operations(openapi_document)
    missing = sorted({op["operationId"] for _m, _p, op in ops} - set(EXPECTED_2XX))
    assert not missing, f"object endpoints without a row in EXPECTED_2XX (add who may succeed): {missing}"
    counts: Counter[str] = Counter()
    leaks: list[str] = []
    denied_allowed: list[str] = []
    # When each identity calls each of them (each call rolled back)
    for method, path, op in ops:
        for who in IDENTITIES:
            with transaction.atomic():
                response = _request(world, who, method, path, op)
                transaction.set_rollback(True)
            counts["cases"] += 1
            ok = 200 <= response.status_code < 300
            allowed = who in EXPECTED_2XX[op["operationId"]]
            counts["2xx" if ok else f"{response.status_code // 100}xx"] += 1
            if ok and not allowed:
                leaks.append(f"{who} {method} {path} -> {response.status_code}")
            if allowed and not ok:
                denied_allowed.append(f"{who} {method} {path} -> {response.status_code} {response.content[:120]!r}")
    print(
        f"authz matrix: {len(ops)} object endpoints x {len(IDENTITIES)} identities = {counts['cases']} cases;"
        f" 2xx={counts['2xx']} 4xx={counts['4xx']} 5xx={counts['5xx']}; unexpected 2xx={len(leaks)};"
        f" granted but refused={len(denied_allowed)}"
    )
    for line in denied_allowed:
        print("  granted but refused (not a leak):", line)
    # Then nobody gets what the table does not grant, and nothing is a server error
    assert not leaks, "\n".join(leaks)
    assert counts["5xx"] == 0
