"""Media served by the embedded default: public uploads yes, screening photos never."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from core.web import serve_media


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "screenings").mkdir()
    (tmp_path / "screenings" / "secret.jpg").write_bytes(b"\xff\xd8private")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "p.jpg").write_bytes(b"\xff\xd8public")
    return tmp_path


def test_public_media_is_served(media):
    response = serve_media(RequestFactory().get("/media/shop/p.jpg"), "shop/p.jpg")

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["screenings/secret.jpg", "/screenings/secret.jpg", "shop/../screenings/secret.jpg", "./screenings/secret.jpg"])
def test_screening_photos_are_never_served_as_media(media, path):
    with pytest.raises(Http404):
        serve_media(RequestFactory().get("/media/" + path), path)
