"""The Django admin: stock adjusted atomically (never overwritten from a stale form), order actions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shop import services
from shop.models import Order, Product
from tests.server.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _form(product: Product, **changes):
    data = {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price_minor": product.price_minor,
        "currency": product.currency,
        "category": product.category_id or "",
        "active": "on" if product.active else "",
        "stock_adjustment": 0,
    }
    data.update(changes)
    return data


def test_admin_pages_render(admin_client, patient):
    product = ProductFactory()
    order = services.order_place(user=patient, items=[(product.pk, 1)])
    for url in (
        "/admin/shop/product/",
        f"/admin/shop/product/{product.pk}/change/",
        "/admin/shop/order/",
        f"/admin/shop/order/{order.pk}/change/",
        "/admin/shop/category/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_saving_a_stale_product_form_never_overwrites_stock(admin_client, patient):
    # Given an admin who opened the product form while stock was 10
    product = ProductFactory(stock=10, price_minor=1000)
    stale = _form(product, price_minor=1200, stock_adjustment=5)
    # ...and a customer who bought 3 in the meantime
    services.order_place(user=patient, items=[(product.pk, 3)])

    # When the admin saves a new price and adds 5 units
    response = admin_client.post(f"/admin/shop/product/{product.pk}/change/", stale)

    # Then the price changed and stock is 10 - 3 + 5, not 10 + 5 or 10
    assert response.status_code == 302, response.content[:2000]
    product.refresh_from_db()
    assert product.price_minor == 1200
    assert product.stock == 12


def test_removing_more_stock_than_there_is_is_refused(admin_client):
    product = ProductFactory(stock=2)
    admin_client.post(f"/admin/shop/product/{product.pk}/change/", _form(product, stock_adjustment=-5))
    assert Product.objects.get(pk=product.pk).stock == 2


def test_order_actions_go_through_the_service(admin_client, patient):
    product = ProductFactory(stock=5)
    order = services.order_place(user=patient, items=[(product.pk, 2)])
    admin_client.post("/admin/shop/order/", {"action": "mark_cancelled", "_selected_action": [order.pk]})
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert Product.objects.get(pk=product.pk).stock == 5


def test_product_image_url_is_absolute(api):
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    product = ProductFactory()
    product.image.save("clip.gif", SimpleUploadedFile("clip.gif", gif), save=True)
    url = api.get(f"/api/v1/products/{product.pk}").json()["image_url"]
    assert url.startswith("http://testserver/media/shop/products/clip") and url.endswith(".gif")
