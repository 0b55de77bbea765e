"""Malformed requests the router never reaches a view with: still the JSON error shape, never a 500 or an HTML page."""

from __future__ import annotations

from typing import Any

import pytest

from blog.models import Post
from screening.models import Screening

MULTIPART_WITHOUT_BOUNDARY = "multipart/form-data"


@pytest.mark.parametrize("path", ["/api/v1/screenings", "/api/v1/screenings/sync"])
def test_multipart_without_a_boundary_is_a_400_in_the_error_shape(as_user: Any, patient: Any, path: str) -> None:
    # Given a patient's client that declares multipart but sends no boundary
    client = as_user(patient)
    # When the body is posted
    response = client.client.post(
        path, b"--x\r\nnot really multipart\r\n", content_type=MULTIPART_WITHOUT_BOUNDARY, headers=client._headers(None)
    )
    # Then a clear 400 in the JSON error shape, and nothing stored
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "malformed_request"
    assert "multipart" in body["detail"]
    assert Screening.objects.count() == 0


def test_cover_upload_without_a_boundary_is_a_400_in_the_error_shape(as_user: Any, clinician: Any) -> None:
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Boundary", "body": "x"}).json()["slug"]
    response = client.client.post(
        f"/api/v1/posts/{slug}/cover", b"garbage", content_type=MULTIPART_WITHOUT_BOUNDARY, headers=client._headers(None)
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "malformed_request"
    assert not Post.objects.get(slug=slug).cover_image


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appointments/abc",
        "/api/v1/notifications/x1/read",
        "/api/v1/clinicians/1.5/slots",
        "/api/v1/no-such-thing",
        "/api/v2/screenings",
    ],
)
def test_an_api_path_no_route_matches_is_a_json_404(as_user: Any, patient: Any, path: str) -> None:
    # Given a signed-in patient
    client = as_user(patient)
    # When a path that matches no route (a non-integer where an id goes, or no route at all) is asked for
    response = client.get(path)
    # Then a JSON 404 in the error shape, not Django's HTML page
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
