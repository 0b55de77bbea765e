"""The error answers every operation can give, added to the OpenAPI document from what the operation takes.

Routers declare their domain errors (403, 409, 429, 503 ...). The errors that come from the API's shared
machinery are the same for every route, so they are declared here once, from the operation's shape:
- 401 when the operation needs a bearer token (a missing, invalid or expired one);
- 404 when it has path parameters (an id that does not exist or is not yours, or not an id at all);
- 422 when it takes query or header parameters, a body, or a path parameter with rules (a UUID, an id range);
- 400 (a body that cannot be parsed) and 413 (a body over MAX_REQUEST_BYTES) when it takes a body.
Each is the one error shape `{"detail", "code"}` (core.errors). The `Idempotency-Key` header gets the one
key rule of core.idempotency as its pattern wherever a route takes it (the route checks it with its own
code, `invalid_idempotency_key`).
"""

from __future__ import annotations

from typing import Any

from core.idempotency import HEADER, KEY_PATTERN

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
DESCRIPTIONS = {
    400: "Malformed request: the body is not valid JSON or multipart (`malformed_json`, `malformed_request`).",
    401: "Authentication credentials were missing, invalid or expired (`not_authenticated`).",
    404: "Not found, or not yours to see (`not_found`).",
    413: "The request body is larger than the server accepts (`too_large`).",
    422: "A parameter or the body is invalid (`validation_error`: `errors` lists `{loc, msg, type}`), or a domain rule refused it.",
}
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def _statuses_for(operation: dict[str, Any]) -> list[int]:
    params = operation.get("parameters", [])
    path_params = [p for p in params if p.get("in") == "path"]
    statuses = []
    if operation.get("security"):
        statuses.append(401)
    if path_params:
        statuses.append(404)
    has_body = "requestBody" in operation
    # A path value the URL pattern lets through can still fail the parameter's own rules (a UUID, an id range).
    checked = ("format", "minimum", "maximum", "pattern", "maxLength", "minLength")
    formatted_path = any(key in (p.get("schema") or {}) for p in path_params for key in checked)
    if has_body or formatted_path or any(p.get("in") in ("query", "header") for p in params):
        statuses.append(422)
    if has_body:
        statuses += [400, 413]
    return statuses


def add_error_responses(document: dict[str, Any], error_schema: dict[str, Any]) -> None:
    """Declare the shared machinery's error answers on every operation (declared ones are kept as they are)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", error_schema)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for param in operation.get("parameters", []):
                if param.get("in") == "header" and param.get("name") == HEADER:
                    param.setdefault("schema", {})["pattern"] = f"^{KEY_PATTERN.pattern}$"
                    param.setdefault("description", "A UUID, or 8-128 letters, digits, '_' or '-': the same key repeats the first answer.")
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}
            for status in _statuses_for(operation):
                if str(status) in declared:
                    continue
                responses[status] = {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": ERROR_REF}}}
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
