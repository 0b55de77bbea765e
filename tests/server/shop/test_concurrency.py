"""Real concurrency against MariaDB: no oversell, no deadlock reaching users, one order per key."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from core.models import IdempotencyKey
from shop.models import Order, OrderLine, Product
from tests.server.conftest import ApiClient, token_for
from tests.server.factories import UserFactory
from tests.server.shop.factories import ProductFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]

# MariaDB's default max_connections is 151 and other suites share the server: stay well below it.
THREADS = int(os.environ.get("SHOP_CONCURRENCY_THREADS", "48"))


def _run_all(jobs: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    """POST every (token, body, headers) job at once from THREADS threads; returns (status, json) pairs."""
    gate = threading.Event()  # released once every job is queued, so the first THREADS start together

    def post(job: tuple[str, dict[str, Any], dict[str, str]]) -> tuple[int, Any]:
        token, body, headers = job
        try:
            gate.wait(timeout=30)
            response = ApiClient(token).post("/api/v1/orders", body, headers=headers)
            return response.status_code, response.json()
        finally:
            connection.close()  # each worker thread has its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(post, job) for job in jobs]
        gate.set()
        return [f.result() for f in futures]


def test_200_checkouts_for_50_units_make_exactly_50_orders(caplog):
    # Given 50 units and 200 customers who each want one
    product = ProductFactory(name="Dermatoscope clip", stock=50)
    tokens = [token_for(u) for u in UserFactory.create_batch(200)]
    jobs = [
        (token, {"items": [{"product_id": product.pk, "quantity": 1}]}, {"Idempotency-Key": f"key-{i:04d}"}) for i, token in enumerate(tokens)
    ]

    # When they all check out at once
    began = time.perf_counter()
    results = _run_all(jobs)
    elapsed = time.perf_counter() - began

    # Then exactly 50 orders and 150 clean 409s, stock 0, no 5xx
    statuses = Counter(status for status, _ in results)
    print(f"\n200 checkouts / 50 units with {THREADS} threads: {dict(statuses)} in {elapsed:.2f}s, {_retries(caplog)} retried transactions")
    assert statuses == {201: 50, 409: 150}, statuses
    for status, body in results:
        if status == 409:
            assert body["code"] == "out_of_stock"
            assert "Dermatoscope clip" in body["detail"]
            assert body["available"] == 0
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.count() == 50
    assert OrderLine.objects.aggregate(n=Sum("quantity"))["n"] == 50
    assert IdempotencyKey.objects.count() == 50


def _retries(caplog: Any) -> int:
    return sum(1 for r in caplog.records if r.name == "shop.services" and "retrying" in r.getMessage())


def test_100_multi_product_carts_in_shuffled_order_never_deadlock_for_users(caplog):
    # Given five products with limited stock
    products = [ProductFactory(name=f"Product {i}", stock=60) for i in range(5)]
    initial = {p.pk: p.stock for p in products}
    tokens = [token_for(u) for u in UserFactory.create_batch(100)]
    rng = random.Random(6)
    jobs = []
    for i, token in enumerate(tokens):
        chosen = rng.sample(products, rng.randint(2, 5))
        rng.shuffle(chosen)  # every cart lists its products in a different order
        items = [{"product_id": p.pk, "quantity": rng.randint(1, 3)} for p in chosen]
        jobs.append((token, {"items": items}, {"Idempotency-Key": f"cart-{i:04d}"}))

    began = time.perf_counter()
    results = _run_all(jobs)
    elapsed = time.perf_counter() - began

    statuses = Counter(status for status, _ in results)
    print(
        f"\n100 shuffled multi-product carts with {THREADS} threads: {dict(statuses)} in {elapsed:.2f}s, {_retries(caplog)} retried transactions"
    )
    # Every answer is an order or a clean out-of-stock: no deadlock, no 5xx
    assert set(statuses) <= {201, 409}, results
    assert all(body["code"] == "out_of_stock" for status, body in results if status == 409)
    assert statuses[201] == Order.objects.count() > 0
    # Stock moved by exactly what the orders hold, and never below zero
    for product in products:
        sold = OrderLine.objects.filter(product=product).aggregate(n=Sum("quantity"))["n"] or 0
        stock = Product.objects.get(pk=product.pk).stock
        assert stock >= 0
        assert stock == initial[product.pk] - sold


def test_50_parallel_checkouts_with_one_key_make_one_order(caplog):
    # Given one customer whose app fires the same checkout 50 times (a flaky network's retries)
    product = ProductFactory(stock=100)
    token = token_for(UserFactory())
    body = {"items": [{"product_id": product.pk, "quantity": 2}]}
    jobs = [(token, body, {"Idempotency-Key": "one-key-for-all"})] * 50

    results = _run_all(jobs)
    print(f"\n50 parallel checkouts with one key: {_retries(caplog)} retried transactions")

    # Then one order is created and every response is that same order
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 50}, results
    assert len({body["id"] for _, body in results}) == 1
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 98


def test_parallel_same_key_different_carts_one_wins_the_rest_422():
    product = ProductFactory(stock=100)
    token = token_for(UserFactory())
    jobs = [(token, {"items": [{"product_id": product.pk, "quantity": 1 + i % 3}]}, {"Idempotency-Key": "contested-key"}) for i in range(30)]

    results = _run_all(jobs)

    assert Order.objects.count() == 1
    winner = Order.objects.get()
    quantity = winner.lines.get().quantity
    for status, body in results:
        requested_same = status == 201
        assert status in (201, 422), body
        if requested_same:
            assert body["id"] == winner.pk
        else:
            assert body["code"] == "idempotency_key_reused"
    assert Counter(status for status, _ in results)[201] == sum(1 for i in range(30) if 1 + i % 3 == quantity)
    assert Product.objects.get(pk=product.pk).stock == 100 - quantity
