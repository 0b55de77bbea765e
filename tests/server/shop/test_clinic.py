"""GET /clinic: what the app states before checkout and before a change (tax rate, phone, cutoff)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from shop.models import Order
from tests.server.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@override_settings(SHOP_TAX_RATE_PERCENT="7.7", CLINIC_PHONE="+49 30 555 0100", APPOINTMENT_CHANGE_CUTOFF_HOURS=48)
def test_clinic_states_the_configured_tax_rate_phone_and_cutoff(api):
    # Given a clinic configured with 7.7 % VAT, its phone and a 48-hour change cutoff
    # When anyone asks for the clinic's details
    response = api.get("/api/v1/clinic")

    # Then the configured values come back exactly (the rate as a decimal string, never a float)
    assert response.status_code == 200
    body = response.json()
    assert body["tax_rate_percent"] == "7.70"
    assert body["phone"] == "+49 30 555 0100"
    assert body["appointment_change_cutoff_hours"] == 48
    assert set(body) == {"name", "address", "phone", "tax_rate_percent", "appointment_change_cutoff_hours"}


@override_settings(SHOP_TAX_RATE_PERCENT="19")
def test_the_stated_rate_is_the_rate_checkout_charges(api, as_user, patient):
    # Given the rate the clinic states and a product of 10.00 net
    stated = api.get("/api/v1/clinic").json()["tax_rate_percent"]
    product = ProductFactory(price_minor=1000, stock=5)

    # When the patient orders two
    response = as_user(patient).post("/api/v1/orders", {"items": [{"product_id": product.pk, "quantity": 2}]})

    # Then the order charged exactly the stated rate on the subtotal
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert stated == "19.00" == str(order.tax_rate_percent)
    assert response.json()["tax_minor"] == 380
