"""Checkout: server prices, tax, stock taken atomically, clean 4xx for bad carts, idempotency keys."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from core.models import IdempotencyKey
from shop.models import Order, OrderLine, Product
from tests.server.factories import UserFactory
from tests.server.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

ORDER_KEYS = {"id", "number", "status", "currency", "subtotal_minor", "tax_minor", "total_minor", "lines", "created_at"}
LINE_KEYS = {"product_id", "name", "quantity", "unit_price_minor", "line_total_minor"}


def _nothing_written(*products: Product, stocks: list[int]) -> None:
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0
    assert [Product.objects.get(pk=p.pk).stock for p in products] == stocks


def test_checkout_takes_server_prices_adds_tax_and_takes_stock(as_user, patient, settings):
    # Given two products at net prices and 19 % tax
    settings.SHOP_TAX_RATE_PERCENT = 19
    sunscreen = ProductFactory(name="SPF 50 sunscreen", price_minor=1490, stock=10)
    rulers = ProductFactory(name="Lesion rulers", price_minor=690, stock=5)

    # When the patient checks out a cart
    response = as_user(patient).post(
        "/api/v1/orders",
        {"items": [{"product_id": sunscreen.pk, "quantity": 2}, {"product_id": rulers.pk, "quantity": 1}]},
        headers={"Idempotency-Key": "cart-0001"},
    )

    # Then a pending order with server prices, tax and total is created and stock is taken
    assert response.status_code == 201, response.content
    order = response.json()
    assert ORDER_KEYS <= set(order)
    assert order["status"] == "pending"
    assert order["currency"] == "EUR"
    assert order["subtotal_minor"] == 2 * 1490 + 690 == 3670
    assert order["tax_minor"] == 697  # 19 % of 36.70 = 6.973 -> 6.97
    assert order["total_minor"] == 4367
    assert order["number"].startswith("SS-")
    assert "+00:00" in order["created_at"] or order["created_at"].endswith("Z")
    lines = {line["name"]: line for line in order["lines"]}
    assert set(lines["SPF 50 sunscreen"]) == LINE_KEYS
    assert lines["SPF 50 sunscreen"] == {
        "product_id": sunscreen.pk,
        "name": "SPF 50 sunscreen",
        "quantity": 2,
        "unit_price_minor": 1490,
        "line_total_minor": 2980,
    }
    assert lines["Lesion rulers"]["line_total_minor"] == 690
    assert Product.objects.get(pk=sunscreen.pk).stock == 8
    assert Product.objects.get(pk=rulers.pk).stock == 4
    assert Order.objects.get().user == patient


def test_tax_rate_comes_from_settings(as_user, patient, settings):
    settings.SHOP_TAX_RATE_PERCENT = 0
    product = ProductFactory(price_minor=999)
    order = as_user(patient).post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 3}]}).json()
    assert (order["subtotal_minor"], order["tax_minor"], order["total_minor"]) == (2997, 0, 2997)


def test_repeated_product_lines_are_merged(as_user, patient):
    product = ProductFactory(stock=10)
    response = as_user(patient).post(
        "/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 2}, {"product_id": product.pk, "quantity": 3}]}
    )
    assert response.status_code == 201
    assert [(line["quantity"]) for line in response.json()["lines"]] == [5]
    assert Product.objects.get(pk=product.pk).stock == 5


def test_out_of_stock_is_409_naming_the_product_and_what_is_left(as_user, patient):
    # Given a cart whose second line asks for more than is left
    plenty = ProductFactory(name="Lip balm", stock=50)
    scarce = ProductFactory(name="Dermatoscope clip", stock=2)

    response = as_user(patient).post(
        "/api/v1/orders", {"items": [{"product_id": plenty.pk, "quantity": 5}, {"product_id": scarce.pk, "quantity": 3}]}
    )

    # Then: 409, the product and what is left are named, and the first line's stock was given back
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "out_of_stock"
    assert "Dermatoscope clip" in body["detail"] and "Only 2" in body["detail"]
    assert body["product_id"] == scarce.pk
    assert body["available"] == 2
    assert body["requested"] == 3
    _nothing_written(plenty, scarce, stocks=[50, 2])


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"quantity": 0}, "validation_error"),
        ({"quantity": -3}, "validation_error"),
        ({"quantity": 10**12}, "validation_error"),
        ({"quantity": 101}, "validation_error"),
        ({"quantity": "lots"}, "validation_error"),
        ({"quantity": 1, "price_minor": 1}, "validation_error"),
        ({"quantity": 1, "unit_price_minor": 0}, "validation_error"),
    ],
)
def test_bad_lines_are_422_and_write_nothing(as_user, patient, item, code):
    product = ProductFactory(stock=5, price_minor=1000)
    response = as_user(patient).post("/api/v1/orders", {"items": [{"product_id": product.pk, **item}]})
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["detail"]
    _nothing_written(product, stocks=[5])


def test_price_in_the_payload_never_sets_the_price(as_user, patient):
    # A client that sends a price at the top level is refused too (unknown field), not obeyed.
    product = ProductFactory(stock=5, price_minor=1000)
    response = as_user(patient).post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 1}], "total_minor": 1})
    assert response.status_code == 422
    _nothing_written(product, stocks=[5])


def test_merged_quantity_over_the_limit_is_422(as_user, patient):
    product = ProductFactory(stock=500)
    items = [{"product_id": product.pk, "quantity": 60}, {"product_id": product.pk, "quantity": 60}]
    response = as_user(patient).post("/api/v1/orders", {"items": items})
    assert response.status_code == 422
    assert response.json()["code"] == "quantity_too_large"
    _nothing_written(product, stocks=[500])


def test_empty_and_missing_carts_are_422(as_user, patient):
    client = as_user(patient)
    assert client.post("/api/v1/orders", {"items": []}).status_code == 422
    assert client.post("/api/v1/orders", {}).status_code == 422
    assert client.post("/api/v1/orders", [1, 2]).status_code == 422
    assert Order.objects.count() == 0


def test_malformed_json_is_400(as_user, patient):
    response = as_user(patient).client.post(
        "/api/v1/orders", "{not json", content_type="application/json", headers={"Authorization": f"Bearer {as_user(patient).token}"}
    )
    assert response.status_code == 400


def test_unknown_and_inactive_products_are_422_and_write_nothing(as_user, patient):
    good = ProductFactory(stock=5)
    retired = ProductFactory(name="Old lotion", stock=5, active=False)

    unknown = as_user(patient).post(
        "/api/v1/orders", {"items": [{"product_id": good.pk, "quantity": 1}, {"product_id": 987654, "quantity": 1}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_product"
    assert unknown.json()["product_id"] == 987654
    assert "987654" in unknown.json()["detail"]

    inactive = as_user(patient).post("/api/v1/orders", {"items": [{"product_id": retired.pk, "quantity": 1}]})
    assert inactive.status_code == 422
    assert inactive.json()["code"] == "product_unavailable"
    assert "Old lotion" in inactive.json()["detail"]
    _nothing_written(good, retired, stocks=[5, 5])


def test_mixed_currencies_are_refused(as_user, patient):
    eur = ProductFactory(currency="EUR")
    usd = ProductFactory(currency="USD")
    response = as_user(patient).post(
        "/api/v1/orders", {"items": [{"product_id": eur.pk, "quantity": 1}, {"product_id": usd.pk, "quantity": 1}]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "mixed_currencies"
    _nothing_written(eur, usd, stocks=[10, 10])


def test_checkout_needs_a_login(api):
    product = ProductFactory()
    assert api.post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 1}]}).status_code == 401
    assert Order.objects.count() == 0


# --- idempotency -------------------------------------------------------------------------------


def test_same_key_same_cart_returns_the_same_order_once(as_user, patient):
    product = ProductFactory(stock=10)
    client = as_user(patient)
    cart = {"items": [{"product_id": product.pk, "quantity": 2}]}

    first = client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "key-0123"})
    again = client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "key-0123"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.headers.get("Idempotent-Replayed") is None
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 8  # taken once


def test_same_key_different_cart_is_422_and_writes_nothing_more(as_user, patient):
    product = ProductFactory(stock=10)
    client = as_user(patient)
    client.post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 2}]}, headers={"Idempotency-Key": "key-0001"})

    response = client.post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 3}]}, headers={"Idempotency-Key": "key-0001"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 8


def test_keys_belong_to_one_user(as_user, patient):
    product = ProductFactory(stock=10)
    other = UserFactory()
    cart = {"items": [{"product_id": product.pk, "quantity": 1}]}
    a = as_user(patient).post("/api/v1/orders", cart, headers={"Idempotency-Key": "shared-key"})
    b = as_user(other).post("/api/v1/orders", cart, headers={"Idempotency-Key": "shared-key"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert Product.objects.get(pk=product.pk).stock == 8


def test_a_failed_checkout_does_not_burn_its_key(as_user, patient):
    # Given a checkout that fails for lack of stock
    product = ProductFactory(stock=1)
    client = as_user(patient)
    cart = {"items": [{"product_id": product.pk, "quantity": 2}]}
    assert client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "retry-me"}).status_code == 409

    # When stock arrives and the app retries with the same key, the order goes through
    Product.objects.filter(pk=product.pk).update(stock=5)
    retry = client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "retry-me"})
    assert retry.status_code == 201
    assert Product.objects.get(pk=product.pk).stock == 3


def test_silly_keys_are_refused(as_user, patient):
    product = ProductFactory(stock=10)
    cart = {"items": [{"product_id": product.pk, "quantity": 1}]}
    too_long = as_user(patient).post("/api/v1/orders", cart, headers={"Idempotency-Key": "x" * 256})
    assert too_long.status_code == 422
    assert Order.objects.count() == 0


# --- the database backstop ---------------------------------------------------------------------


def test_the_database_refuses_negative_stock(db):
    product = ProductFactory(stock=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=F("stock") - 4)
    assert Product.objects.get(pk=product.pk).stock == 3


def test_old_idempotency_keys_are_purged_but_orders_stay(as_user, patient):
    from datetime import timedelta

    from django.utils import timezone

    from shop.services import checkout_keys_purge

    product = ProductFactory(stock=10)
    cart = {"items": [{"product_id": product.pk, "quantity": 1}]}
    as_user(patient).post("/api/v1/orders", cart, headers={"Idempotency-Key": "old-key-1"})
    as_user(patient).post("/api/v1/orders", cart, headers={"Idempotency-Key": "new-key-1"})
    IdempotencyKey.objects.filter(key="old-key-1").update(created_at=timezone.now() - timedelta(days=31))

    assert checkout_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new-key-1"]
    assert Order.objects.count() == 2
