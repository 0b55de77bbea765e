"""The public catalogue: active products only, search, category filter, capped pagination."""

from __future__ import annotations

import pytest

from shop.models import Product
from tests.server.shop.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT_KEYS = {"id", "sku", "name", "description", "price_minor", "currency", "stock", "category", "image_url", "active"}


def test_list_shows_active_products_with_the_mobile_contract(api):
    # Given an active and an inactive product
    sun = CategoryFactory(slug="sun-protection", name="Sun protection")
    ProductFactory(name="SPF 50 sunscreen", price_minor=1490, stock=7, category=sun)
    ProductFactory(name="Retired lotion", active=False)

    # When anyone lists products
    response = api.get("/api/v1/products")

    # Then only the active one is there, with integer minor-unit prices and the category slug
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert set(item) == PRODUCT_KEYS
    assert item["name"] == "SPF 50 sunscreen"
    assert item["price_minor"] == 1490 and isinstance(item["price_minor"], int)
    assert item["currency"] == "EUR"
    assert item["stock"] == 7
    assert item["category"] == "sun-protection"
    assert item["image_url"] is None
    assert item["active"] is True


def test_search_and_category_filter(api):
    sun = CategoryFactory(slug="sun-protection")
    derm = CategoryFactory(slug="dermatoscopy")
    ProductFactory(name="Mineral sunscreen", category=sun)
    ProductFactory(name="Dermatoscope clip", description="10x polarised lens", category=derm)
    ProductFactory(name="Lip balm", description="with sunscreen SPF 30", category=sun)

    by_search = api.get("/api/v1/products", {"search": "SUNSCREEN"}).json()
    assert sorted(p["name"] for p in by_search["items"]) == ["Lip balm", "Mineral sunscreen"]

    by_description = api.get("/api/v1/products", {"search": "polarised"}).json()
    assert [p["name"] for p in by_description["items"]] == ["Dermatoscope clip"]

    by_category = api.get("/api/v1/products", {"category": "dermatoscopy"}).json()
    assert [p["name"] for p in by_category["items"]] == ["Dermatoscope clip"]

    both = api.get("/api/v1/products", {"category": "sun-protection", "search": "lip"}).json()
    assert [p["name"] for p in both["items"]] == ["Lip balm"]

    assert api.get("/api/v1/products", {"category": "no-such-category"}).json() == {"items": [], "count": 0}


def test_pagination_is_capped(api):
    category = CategoryFactory()
    Product.objects.bulk_create(
        [Product(sku=f"BULK-{i:04d}", name=f"Item {i:04d}", price_minor=100, stock=1, category=category) for i in range(105)]
    )

    first = api.get("/api/v1/products", {"page_size": 1000}).json()
    assert first["count"] == 105
    assert len(first["items"]) == 100  # capped at 100 whatever the client asks for

    second = api.get("/api/v1/products", {"page_size": 100, "page": 2}).json()
    assert [p["name"] for p in second["items"]] == [f"Item {i:04d}" for i in range(100, 105)]

    default = api.get("/api/v1/products").json()
    assert len(default["items"]) == 20


@pytest.mark.parametrize("params", [{"page": 0}, {"page": -1}, {"page": "x"}, {"page": 10**12}, {"page_size": 0}])
def test_bad_pagination_is_a_clear_422(api, params):
    response = api.get("/api/v1/products", params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_product_detail_and_404s(api):
    product = ProductFactory(name="After-sun gel")
    retired = ProductFactory(active=False)

    ok = api.get(f"/api/v1/products/{product.pk}")
    assert ok.status_code == 200
    assert ok.json()["name"] == "After-sun gel"

    for missing in (retired.pk, 999999):
        response = api.get(f"/api/v1/products/{missing}")
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"


def test_categories(api):
    CategoryFactory(slug="skin-care", name="Skin care")
    response = api.get("/api/v1/categories")
    assert response.status_code == 200
    assert {"id", "slug", "name"} == set(response.json()[0])
    assert [c["slug"] for c in response.json()] == ["skin-care"]
