"""Issue 21 defect 11: the OpenAPI document says what the server does, and the server refuses what it refuses."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from typing import Any

import pytest

from blog.models import Post
from core.idempotency import KEY_PATTERN
from notifications.push import TOKEN_RE
from tests.reliability.conftest import World, operations


def _param(document: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    operation = document["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == name)


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]["properties"]


class TestNumbersAreNotTimes:
    """Pydantic alone reads 0 and "0.5" as seconds since 1970: the API takes only ISO 8601 text."""

    def test_numeric_start_before_is_refused(self, world: World) -> None:
        # Given an owner with an appointment
        client = world.client("owner")
        # When the list is filtered with a number for a date-time
        response = client.get("/api/v1/appointments", {"start_before": "0.5"})
        # Then it is a 422 naming the parameter, not a list filtered at 1970-01-01T00:00:00.5
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert "start_before" in response.json()["detail"]
        assert client.get("/api/v1/appointments", {"start_before": "2099-01-01T00:00:00Z"}).json()["count"] == 1

    def test_numeric_date_to_is_refused(self, world: World) -> None:
        response = world.client("owner").get("/api/v1/screenings", {"date_to": "0"})
        assert response.status_code == 422
        assert "date_to" in response.json()["detail"]

    def test_a_date_time_for_a_date_is_refused(self, world: World) -> None:
        response = world.client("owner").get("/api/v1/screenings", {"date_from": "2026-01-01T00:00:00Z"})
        assert response.status_code == 422

    @pytest.mark.parametrize("published_at", [0, 1.5, "0", "1700000000"])
    def test_numeric_published_at_creates_no_post(self, world: World, published_at: Any) -> None:
        # Given a clinician who may write posts
        before = Post.objects.count()
        # When a post is sent with a number as its publication time
        response = world.client("clinician").post("/api/v1/posts", {"title": "Sun", "body": "Shade at noon.", "published_at": published_at})
        # Then it is refused and no 1970 post exists
        assert response.status_code == 422, response.content
        assert Post.objects.count() == before
        assert not Post.objects.filter(published_at__year=1970).exists()

    def test_iso_published_at_still_works(self, world: World) -> None:
        response = world.client("clinician").post("/api/v1/posts", {"title": "Sun", "body": "Shade at noon.", "published_at": "2026-12-01T08:00:00+01:00"})
        assert response.status_code == 201
        assert response.json()["published_at"].startswith("2026-12-01T07:00:00")


class TestIdsBeyondTheDatabase:
    def test_huge_owner_id_is_a_422_not_a_500(self, world: World) -> None:
        # Given an admin listing screenings (found by schemathesis: SQLite overflowed on 3e20)
        response = world.client("admin").get("/api/v1/screenings", {"owner_id": str(332723542817352450048)})
        # Then the id is refused as out of range
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_largest_id_is_just_not_found(self, world: World) -> None:
        response = world.client("admin").get("/api/v1/screenings", {"owner_id": str(2**63 - 1)})
        assert response.status_code == 200
        assert response.json()["count"] == 0

    @pytest.mark.parametrize("path", ["/api/v1/orders/abc", "/api/v1/products/abc", "/api/v1/orders/abc/receipt.pdf"])
    def test_a_non_numeric_shop_id_is_a_json_404(self, world: World, path: str) -> None:
        # Like every other integer id in the API: not a 422 the document did not declare
        response = world.client("owner").get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestTheDocumentStatesTheRules:
    def test_time_zone_pattern_admits_every_iana_zone_and_refuses_junk(self, openapi_document: dict[str, Any]) -> None:
        for schema in ("RegisterIn", "MePatch"):
            prop = _component(openapi_document, schema)["time_zone"]
            pattern = prop.get("pattern") or next(s["pattern"] for s in prop["anyOf"] if "pattern" in s)
            # every zone the server accepts matches (the schema does not refuse what the server takes)
            assert all(re.fullmatch(pattern.strip("^$"), zone) for zone in zoneinfo.available_timezones())
            assert not re.search(pattern, "../../etc/passwd")
            assert not re.search(pattern, "Europe/Berlin; DROP")

    def test_push_token_and_platform(self, openapi_document: dict[str, Any]) -> None:
        device = _component(openapi_document, "DeviceIn")
        assert device["token"]["pattern"] == TOKEN_RE.pattern
        platform = device["platform"]
        enum = platform.get("enum") or openapi_document["components"]["schemas"][platform["$ref"].rsplit("/", 1)[1]]["enum"]
        assert sorted(enum) == ["android", "ios", "web"]

    def test_appointment_statuses_are_enums(self, openapi_document: dict[str, Any]) -> None:
        status = _component(openapi_document, "StatusIn")["status"]
        assert sorted(status["enum"]) == ["done", "no_show"]
        listed = _param(openapi_document, "get", "/api/v1/appointments", "status")["schema"]
        refs = [s["$ref"] for s in listed["anyOf"] if "$ref" in s]
        assert sorted(openapi_document["components"]["schemas"][refs[0].rsplit("/", 1)[1]]["enum"]) == ["booked", "cancelled", "done", "no_show"]

    def test_every_idempotency_key_header_states_the_key_rule(self, openapi_document: dict[str, Any]) -> None:
        headers = [
            p for _m, _p, op in operations(openapi_document) for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"
        ]
        assert len(headers) >= 3  # checkout, booking, screening create
        for header in headers:
            schema = header["schema"]
            pattern = schema.get("pattern") or next(s["pattern"] for s in schema["anyOf"] if "pattern" in s)
            assert pattern.strip("^$") == KEY_PATTERN.pattern
            assert re.fullmatch(pattern.strip("^$"), str(uuid.uuid4()))

    def test_shared_errors_are_declared_where_they_can_happen(self, openapi_document: dict[str, Any]) -> None:
        missing = []
        for method, path, op in operations(openapi_document):
            declared = set(op["responses"])
            params = op.get("parameters", [])
            expected = set()
            if op.get("security"):
                expected.add("401")
            if any(p["in"] == "path" for p in params):
                expected.add("404")
            if "requestBody" in op:
                expected |= {"400", "413", "422"}
            if any(p["in"] in ("query", "header") for p in params):
                expected.add("422")
            if expected - declared:
                missing.append(f"{method} {path}: {sorted(expected - declared)}")
        assert not missing, missing
        login = openapi_document["paths"]["/api/v1/auth/login"]["post"]["responses"]
        assert {"400", "401", "413", "422", "429"} <= set(login)
        assert login["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}

    def test_malformed_json_is_the_declared_400(self, world: World) -> None:
        response = world.client("owner").client.post("/api/v1/auth/login", "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] in ("malformed_json", "malformed_request")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_an_unmatched_api_write_is_a_json_404_not_a_csrf_page(db: Any, method: str) -> None:
    # Given a client the way a phone is one: no cookies, CSRF enforced as in production
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    # When a write goes to an id that is not a number (no route matches)
    response = getattr(client, method)("/api/v1/appointments/abc/cancel", "{}", content_type="application/json")
    # Then it is the API's JSON 404, not Django's HTML 403 "CSRF cookie not set"
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "path", ["/api/v1/clinicians/244253135223927940824963219456/exceptions/1024", "/api/v1/appointments/99999999999999999999999", "/api/v1/orders/99999999999999999999999"]
)
def test_an_id_beyond_bigint_in_the_path_is_a_422_not_a_500(world: World, path: str) -> None:
    # Found by schemathesis: DELETE .../clinicians/2.4e29/exceptions/1024 overflowed SQLite's INTEGER (500)
    method = "delete" if "exceptions" in path else "get"
    response = getattr(world.client("admin"), method)(path)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
