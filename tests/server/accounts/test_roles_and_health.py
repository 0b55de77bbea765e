"""Role helpers, health probes and the API's published schema."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from core.permissions import is_admin, is_clinician, is_staff_member, require_admin, require_role
from tests.server.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_predicates():
    patient, clinician, admin = UserFactory(role="patient"), UserFactory(role="clinician"), UserFactory(role="admin")

    assert (is_clinician(patient), is_clinician(clinician), is_clinician(admin)) == (False, True, False)
    assert (is_admin(patient), is_admin(clinician), is_admin(admin)) == (False, False, True)
    assert (is_staff_member(patient), is_staff_member(clinician), is_staff_member(admin)) == (False, True, True)


def test_require_role_lets_admins_through_and_stops_others():
    patient, clinician, admin = UserFactory(role="patient"), UserFactory(role="clinician"), UserFactory(role="admin")

    require_role(clinician, "clinician")
    require_role(admin, "clinician")
    with pytest.raises(ApplicationError) as exc:
        require_role(patient, "clinician")
    assert exc.value.status_code == 403
    with pytest.raises(ApplicationError):
        require_admin(clinician)


def test_healthz_and_readyz(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.json()["checks"]["database"] == "ok"


def test_openapi_and_docs_are_published(api):
    schema = api.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/auth/login" in paths and "/api/v1/auth/refresh" in paths
    operation_ids = {op["operationId"] for p in paths.values() for op in p.values()}
    assert {"login_user", "register_user", "refresh_token", "logout_user"} <= operation_ids
    non_head = [op["operationId"] for p in paths.values() for method, op in p.items() if method != "head"]
    assert len(set(non_head)) == len(non_head), "operationIds must be unique (HEAD shares its GET's)"
    assert api.get("/api/v1/docs").status_code == 200


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/does-not-exist")

    assert response.status_code == 404


def test_admin_is_mounted(api):
    assert api.get("/admin/login/").status_code == 200


def test_every_paginated_list_caps_page_size_and_page_number(as_user):
    from tests.server.factories import UserFactory as F

    client = as_user(F())
    assert client.get("/api/v1/products", {"page_size": 1000}).status_code == 200
    assert len(client.get("/api/v1/products", {"page_size": 1000}).json()["items"]) <= 100
    assert client.get("/api/v1/products", {"page": 10**9}).status_code == 422
    assert client.get("/api/v1/notifications", {"page": 0}).status_code == 422
