"""Orders: history, detail, cancel while pending, admin fulfilment, receipts, account deletion."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from pypdf import PdfReader

from accounts import services as account_services
from shop import services
from shop.models import Order, OrderStatus, Product
from shop.tasks import send_missing_receipts, send_order_receipt
from tests.server.factories import DEFAULT_PASSWORD, UserFactory
from tests.server.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _place(user, *lines):
    return services.order_place(user=user, items=[(p.pk, q) for p, q in lines])


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_history_lists_only_my_orders_newest_first(as_user, patient):
    product = ProductFactory(stock=10)
    first = _place(patient, (product, 1))
    second = _place(patient, (product, 2))
    _place(UserFactory(), (product, 1))

    body = as_user(patient).get("/api/v1/orders").json()

    assert body["count"] == 2
    assert [o["id"] for o in body["items"]] == [second.pk, first.pk]


def test_another_users_order_is_404_everywhere(as_user, patient):
    product = ProductFactory(stock=10)
    theirs = _place(UserFactory(), (product, 1))
    client = as_user(patient)

    assert client.get(f"/api/v1/orders/{theirs.pk}").status_code == 404
    assert client.post(f"/api/v1/orders/{theirs.pk}/cancel").status_code == 404
    assert client.get(f"/api/v1/orders/{theirs.pk}/receipt.pdf").status_code == 404
    assert client.get("/api/v1/orders/999999").json()["code"] == "order_not_found"
    assert Order.objects.get(pk=theirs.pk).status == OrderStatus.PENDING
    assert Product.objects.get(pk=product.pk).stock == 9


def test_cancel_while_pending_returns_stock_once(as_user, patient):
    a = ProductFactory(stock=10)
    b = ProductFactory(stock=4)
    order = _place(patient, (a, 3), (b, 4))
    assert [Product.objects.get(pk=p.pk).stock for p in (a, b)] == [7, 0]
    client = as_user(patient)

    response = client.post(f"/api/v1/orders/{order.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert [Product.objects.get(pk=p.pk).stock for p in (a, b)] == [10, 4]

    again = client.post(f"/api/v1/orders/{order.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "not_cancellable"
    assert [Product.objects.get(pk=p.pk).stock for p in (a, b)] == [10, 4]


def test_customer_cannot_cancel_once_paid(as_user, patient, admin_user):
    product = ProductFactory(stock=5)
    order = _place(patient, (product, 1))
    services.order_set_status(actor=admin_user, order_id=order.pk, status="paid")

    response = as_user(patient).post(f"/api/v1/orders/{order.pk}/cancel")

    assert response.status_code == 409
    assert "paid" in response.json()["detail"]
    assert Product.objects.get(pk=product.pk).stock == 4


def test_admin_moves_orders_through_fulfilment(as_user, patient, admin_user):
    product = ProductFactory(stock=5)
    order = _place(patient, (product, 2))
    admin = as_user(admin_user)

    for status in ("paid", "shipped", "delivered"):
        response = admin.post(f"/api/v1/orders/{order.pk}/status", {"status": status})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    backwards = admin.post(f"/api/v1/orders/{order.pk}/status", {"status": "cancelled"})
    assert backwards.status_code == 409
    assert backwards.json()["code"] == "invalid_status_transition"
    assert Product.objects.get(pk=product.pk).stock == 3


def test_admin_cancelling_a_paid_order_returns_stock(as_user, patient, admin_user):
    product = ProductFactory(stock=5)
    order = _place(patient, (product, 2))
    admin = as_user(admin_user)
    admin.post(f"/api/v1/orders/{order.pk}/status", {"status": "paid"})
    assert admin.post(f"/api/v1/orders/{order.pk}/status", {"status": "cancelled"}).status_code == 200
    assert Product.objects.get(pk=product.pk).stock == 5


def test_only_admins_change_status(as_user, patient, clinician):
    product = ProductFactory(stock=5)
    order = _place(patient, (product, 1))
    for user in (patient, clinician):
        response = as_user(user).post(f"/api/v1/orders/{order.pk}/status", {"status": "paid"})
        assert response.status_code == 403
    assert as_user(patient).post(f"/api/v1/orders/{order.pk}/status", {"status": "teleported"}).status_code == 422
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_admin_sees_every_order_with_scope_all_but_patients_do_not(as_user, patient, admin_user):
    product = ProductFactory(stock=5)
    _place(patient, (product, 1))
    _place(UserFactory(), (product, 1))
    assert as_user(admin_user).get("/api/v1/orders", {"scope": "all"}).json()["count"] == 2
    assert as_user(admin_user).get("/api/v1/orders", {"scope": "all", "status": "paid"}).json()["count"] == 0
    assert as_user(patient).get("/api/v1/orders", {"scope": "all"}).status_code == 403


# --- receipts ----------------------------------------------------------------------------------


def test_receipt_pdf_carries_number_lines_and_total_for_its_owner_only(as_user, patient, admin_user, settings):
    settings.SHOP_TAX_RATE_PERCENT = 19
    settings.CLINIC_NAME = "Hautklinik Mitte"
    sunscreen = ProductFactory(name="Sunscreen SPF 50+", sku="SUN-1", price_minor=1490, stock=10)
    rulers = ProductFactory(name="Lesion rulers", sku="RUL-1", price_minor=690, stock=10)
    order = _place(patient, (sunscreen, 2), (rulers, 1))

    response = as_user(patient).get(f"/api/v1/orders/{order.pk}/receipt.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert order.number in text
    assert "Sunscreen SPF 50+" in text and "Lesion rulers" in text
    assert "14.90 EUR" in text and "29.80 EUR" in text and "6.90 EUR" in text
    assert "36.70 EUR" in text  # subtotal
    assert "6.97 EUR" in text  # tax
    assert "43.67 EUR" in text  # total
    assert "Hautklinik Mitte" in text
    assert patient.email in text

    # Only the owner: not another patient, not even an admin
    assert as_user(UserFactory()).get(f"/api/v1/orders/{order.pk}/receipt.pdf").status_code == 404
    assert as_user(admin_user).get(f"/api/v1/orders/{order.pk}/receipt.pdf").status_code == 404


def test_user_text_in_the_receipt_is_escaped_not_interpreted(as_user):
    # Given a customer and a product whose names carry reportlab mini-markup
    customer = UserFactory(full_name='Eve <font size="60">&amp;</font> <b>Bold</b>')
    product = ProductFactory(name="Cream <a href='http://evil'>click</a> & <br/> balm", stock=3)
    order = _place(customer, (product, 1))

    response = as_user(customer).get(f"/api/v1/orders/{order.pk}/receipt.pdf")

    assert response.status_code == 200
    text = _pdf_text(response.content)
    # The markup shows up literally: it was escaped, not rendered or stripped
    assert "<b>Bold</b>" in text
    assert '<font size="60">&amp;</font>' in text
    assert "<a href='http://evil'>click</a> &" in text
    assert b"/URI" not in response.content  # no link annotation was created


def test_receipt_is_emailed_after_commit_once(patient, as_user, django_capture_on_commit_callbacks):
    product = ProductFactory(name="After-sun gel", stock=5)
    client = as_user(patient)
    cart = {"items": [{"product_id": product.pk, "quantity": 1}]}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "mail-key-1"})
    assert created.status_code == 201
    assert mail.outbox == []  # nothing is sent before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    order = Order.objects.get(pk=created.json()["id"])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert order.number in message.subject
    (filename, content, mimetype) = message.attachments[0]
    assert filename == f"receipt-{order.number}.pdf" and mimetype == "application/pdf"
    assert order.number in _pdf_text(content)

    # A replayed checkout and a repeated queue message send nothing more
    with django_capture_on_commit_callbacks(execute=True):
        replay = client.post("/api/v1/orders", cart, headers={"Idempotency-Key": "mail-key-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    send_order_receipt(order.pk)
    assert len(mail.outbox) == 1
    assert Order.objects.get(pk=order.pk).receipt_sent_at is not None


# --- account deletion --------------------------------------------------------------------------


def test_account_deletion_keeps_orders_but_not_personal_data(patient, admin_user):
    product = ProductFactory(stock=10)
    pending = _place(patient, (product, 2))
    paid = _place(patient, (product, 3))
    services.order_set_status(actor=admin_user, order_id=paid.pk, status="paid")

    account_services.user_delete(user=patient, password=DEFAULT_PASSWORD)

    kept = {o.pk: o for o in Order.objects.all()}
    assert set(kept) == {pending.pk, paid.pk}
    for order in kept.values():
        assert order.user_id is None
        assert order.customer_email == ""
        assert patient.email not in order.customer_name
    assert kept[pending.pk].status == "cancelled"
    assert kept[paid.pk].status == "paid"
    assert kept[paid.pk].lines.get().quantity == 3
    assert Product.objects.get(pk=product.pk).stock == 7  # the pending order's 2 came back


def test_a_lost_queue_message_is_swept_up_later(patient):
    # Given an order whose receipt message never reached the queue (no on_commit callbacks ran)
    product = ProductFactory(stock=5)
    order = _place(patient, (product, 1))
    assert mail.outbox == []
    Order.objects.filter(pk=order.pk).update(created_at=order.created_at - timedelta(minutes=30))
    cancelled = _place(patient, (product, 1))
    services.order_cancel(user=patient, order_id=cancelled.pk)
    Order.objects.filter(pk=cancelled.pk).update(created_at=order.created_at - timedelta(minutes=30))

    # When the periodic sweeper runs (twice)
    send_missing_receipts.call_local()
    send_missing_receipts.call_local()

    # Then exactly one receipt went out, for the live order
    assert [m.subject for m in mail.outbox] == [f"Your receipt for order {order.number}"]
