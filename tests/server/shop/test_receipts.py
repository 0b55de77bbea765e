"""Receipts are rendered and e-mailed after the order committed, holding no row lock; one e-mail per order."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from shop import receipts, services
from shop.models import Order, OrderStatus
from tests.server.factories import UserFactory
from tests.server.shop.factories import ProductFactory


class PausedRenderer:
    """The real renderer, held at its start until released: a slow PDF (or a slow mail server)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self._real = receipts.render_receipt_pdf

    def __call__(self, order: Order) -> bytes:
        self.calls += 1
        self.started.set()
        self.release.wait(timeout=30)
        return self._real(order)


def _placed_order_awaiting_its_receipt(user, quantity: int = 1) -> Order:
    """A committed order whose receipt task has not run yet (tests run huey tasks inline after commit)."""
    order = services.order_place(user=user, items=[(ProductFactory(stock=5).pk, quantity)])
    Order.objects.filter(pk=order.pk).update(receipt_sent_at=None)
    mail.outbox.clear()
    return order


def _in_thread(fn, results: dict, key: str) -> threading.Thread:
    def run() -> None:
        try:
            results[key] = fn()
        except Exception as exc:
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_the_order_can_be_cancelled_while_its_receipt_is_being_rendered(monkeypatch):
    # Given a committed order whose receipt is being rendered (slowly) by the worker
    customer = UserFactory()
    order = _placed_order_awaiting_its_receipt(customer, 2)
    renderer = PausedRenderer()
    monkeypatch.setattr(receipts, "render_receipt_pdf", renderer)
    results: dict = {}
    sender = _in_thread(lambda: services.order_send_receipt(order_id=order.pk), results, "sent")
    assert renderer.started.wait(timeout=10)

    # When the customer cancels the order meanwhile
    began = time.perf_counter()
    canceller = _in_thread(lambda: services.order_cancel(user=customer, order_id=order.pk), results, "cancelled")
    canceller.join(timeout=8)
    waited = time.perf_counter() - began
    still_rendering = not renderer.release.is_set()
    renderer.release.set()
    sender.join(timeout=30)
    canceller.join(timeout=30)

    # Then the cancellation did not wait for the renderer (no row lock is held while rendering)
    assert still_rendering and waited < 5, f"cancel waited {waited:.1f} s for the receipt's row lock"
    assert isinstance(results["cancelled"], Order) and results["cancelled"].status == OrderStatus.CANCELLED
    # and the receipt still went out once, recorded on the row
    assert results["sent"] is True and len(mail.outbox) == 1
    stored = Order.objects.get(pk=order.pk)
    assert stored.status == OrderStatus.CANCELLED and stored.receipt_sent_at is not None and stored.receipt_claimed_until is None


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_receipt_at_once_send_one_email(monkeypatch):
    # Given one order and the same task delivered twice (a repeated queue message)
    order = _placed_order_awaiting_its_receipt(UserFactory())
    renderer = PausedRenderer()
    monkeypatch.setattr(receipts, "render_receipt_pdf", renderer)
    results: dict = {}
    # When both run at the same time
    first = _in_thread(lambda: services.order_send_receipt(order_id=order.pk), results, "a")
    assert renderer.started.wait(timeout=10)
    second = _in_thread(lambda: services.order_send_receipt(order_id=order.pk), results, "b")
    second.join(timeout=10)
    renderer.release.set()
    first.join(timeout=30)
    # Then exactly one rendered and sent it
    assert sorted([results["a"], results["b"]]) == [False, True]
    assert renderer.calls == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_render_failure_keeps_the_order_and_the_next_attempt_sends_the_receipt(monkeypatch):
    # Given a committed order and a renderer that fails once
    order = _placed_order_awaiting_its_receipt(UserFactory())
    real = receipts.render_receipt_pdf
    attempts = []

    def failing_once(o: Order) -> bytes:
        attempts.append(o.pk)
        if len(attempts) == 1:
            raise OSError("font file missing")
        return real(o)

    monkeypatch.setattr(receipts, "render_receipt_pdf", failing_once)
    # When the first attempt fails
    with pytest.raises(OSError):
        services.order_send_receipt(order_id=order.pk)
    # Then the order is untouched, nothing was sent and the claim is released at once
    stored = Order.objects.get(pk=order.pk)
    assert stored.status == OrderStatus.PENDING and stored.receipt_sent_at is None and stored.receipt_claimed_until is None
    assert mail.outbox == []
    # And the retry sends it, once
    assert services.order_send_receipt(order_id=order.pk) is True
    assert services.order_send_receipt(order_id=order.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_claim_of_a_sender_that_died_expires():
    # Given a receipt claimed by a worker that was killed mid-send
    order = _placed_order_awaiting_its_receipt(UserFactory())
    Order.objects.filter(pk=order.pk).update(receipt_claimed_until=timezone.now() + timedelta(minutes=3))
    # When another attempt comes while the claim holds, it leaves the receipt alone
    assert services.order_send_receipt(order_id=order.pk) is False and mail.outbox == []
    # And once the claim has expired, the next attempt (the sweeper's) sends it
    Order.objects.filter(pk=order.pk).update(receipt_claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.order_send_receipt(order_id=order.pk) is True
    assert len(mail.outbox) == 1
