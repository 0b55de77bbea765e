"""One idempotency behaviour, run against every endpoint that takes a key (checkout, booking, screening
create, screening sync): first call, replay, same key with another body, another user's same key,
a malformed key, and concurrent first calls on MariaDB (one effect)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment
from core.models import IdempotencyKey
from screening.models import Screening
from shop.models import Order, Product
from tests.server.appointments.factories import make_clinician
from tests.server.conftest import ApiClient, token_for
from tests.server.factories import UserFactory
from tests.server.screening.conftest import (  # noqa: F401  (fixtures the screening endpoints need)
    VERSION_A,
    bundle_root,
    image_bytes,
    screening_settings,
    signing_key_file,
    upload,
)
from tests.server.shop.factories import ProductFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@dataclass
class Result:
    """What a client sees: the status, the answer's body, the error code, and the replay header."""

    status: int
    body: Any
    code: str | None
    replayed: bool


def _result(response: Any) -> Result:
    body = response.json()
    code = body.get("code") if isinstance(body, dict) and response.status_code >= 400 else None
    return Result(response.status_code, body, code, response.headers.get("Idempotent-Replayed") == "true")


@dataclass
class Endpoint:
    name: str
    setup: Callable[[], Any]  # the world the calls need (a product, a clinician, an active model)
    call: Callable[[ApiClient, Any, str, int], Result]  # (client, world, key, variant) -> result
    effects: Callable[[], int]  # how many things the endpoint created
    takes_any_key: bool = True  # sync's key is the item's client_uuid, checked by the schema


# -- checkout --


def _shop_world() -> Product:
    return ProductFactory(stock=100)


def _checkout(client: ApiClient, product: Product, key: str, variant: int) -> Result:
    body = {"items": [{"product_id": product.pk, "quantity": 1 + variant}]}
    return _result(client.post("/api/v1/orders", body, headers={"Idempotency-Key": key}))


# -- booking --


def _booking_world() -> Any:
    return make_clinician()


def _book(client: ApiClient, clinician: Any, key: str, variant: int) -> Result:
    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10 + variant), tzinfo=BERLIN)
    body = {"clinician_id": clinician.user_id, "start": start.isoformat()}
    return _result(client.post("/api/v1/appointments", body, headers={"Idempotency-Key": key}))


# -- screening create and sync --


def _screening_world() -> None:
    from screening import services

    mv, _ = services.model_version_import(bundle_dir=_BUNDLES["root"] / VERSION_A, check_golden=False)
    services.model_version_activate(model_version=mv)


def _photo(variant: int) -> bytes:
    return image_bytes("JPEG", (64, 48), color=(180, 90 + 60 * variant, 60))


def _create_screening(client: ApiClient, _world: None, key: str, variant: int) -> Result:
    data = {"photo": upload(_photo(variant)), "body_site": "left forearm"}
    return _result(client.post_multipart("/api/v1/screenings", data, headers={"Idempotency-Key": key}))


def _sync_screening(client: ApiClient, _world: None, key: str, variant: int) -> Result:
    meta = {"client_uuid": key, "captured_at": "2026-11-01T08:00:00+00:00", "photo": "p0", "body_site": "back"}
    response = client.post_multipart("/api/v1/screenings/sync", {"items": json.dumps([meta]), "p0": upload(_photo(variant))})
    assert response.status_code == 200, response.content
    item = response.json()["results"][0]
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    if item["error"] is not None:
        return Result(item["error"]["status"], item["error"], item["error"]["code"], replayed)
    assert item["status"] == ("duplicate" if replayed else "created")
    return Result(response.status_code, item["screening"], None, replayed)


_BUNDLES: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _bundles(bundle_root: Any) -> None:  # noqa: F811
    _BUNDLES["root"] = bundle_root


ENDPOINTS = [
    Endpoint("checkout", _shop_world, _checkout, lambda: Order.objects.count()),
    Endpoint("booking", _booking_world, _book, lambda: Appointment.objects.count()),
    Endpoint("screening create", _screening_world, _create_screening, lambda: Screening.objects.count()),
    Endpoint("screening sync", _screening_world, _sync_screening, lambda: Screening.objects.count(), takes_any_key=False),
]
by_name = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])


def _patient_client() -> ApiClient:
    return ApiClient(token_for(UserFactory(role="patient")))


@by_name
@pytest.mark.django_db
def test_first_call_then_replay_answers_the_same_status_and_body_once(endpoint: Endpoint) -> None:
    # Given a patient and a fresh key
    world, client, key = endpoint.setup(), _patient_client(), str(uuid.uuid4())

    # When the same request is sent twice (the first answer was lost on the way)
    first = endpoint.call(client, world, key, 0)
    again = endpoint.call(client, world, key, 0)

    # Then the second answer is the first one again, marked as a replay, and one thing exists
    assert first.status in (200, 201), first
    assert not first.replayed
    assert (again.status, again.body) == (first.status, first.body)
    assert again.replayed
    assert endpoint.effects() == 1
    assert IdempotencyKey.objects.filter(key=key).count() == 1


@by_name
@pytest.mark.django_db
def test_same_key_with_a_different_body_is_422_and_writes_nothing(endpoint: Endpoint) -> None:
    world, client, key = endpoint.setup(), _patient_client(), str(uuid.uuid4())
    first = endpoint.call(client, world, key, 0)
    assert first.status in (200, 201), first

    other = endpoint.call(client, world, key, 1)

    assert other.status == 422
    assert other.code == "idempotency_key_reused"
    assert endpoint.effects() == 1
    # The key still answers its own request
    assert endpoint.call(client, world, key, 0).body == first.body


@by_name
@pytest.mark.django_db
def test_another_users_same_key_is_independent(endpoint: Endpoint) -> None:
    world, key = endpoint.setup(), str(uuid.uuid4())
    mine = endpoint.call(_patient_client(), world, key, 0)
    # (another slot for the booking: two patients in one slot would be a 409 for the slot, not the key)
    theirs = endpoint.call(_patient_client(), world, key, 1 if endpoint.name == "booking" else 0)

    assert mine.status == theirs.status and mine.status in (200, 201), (mine, theirs)
    assert not theirs.replayed
    assert mine.body["id"] != theirs.body["id"]
    assert endpoint.effects() == 2


@by_name
@pytest.mark.django_db
def test_a_malformed_key_is_refused_before_anything_happens(endpoint: Endpoint) -> None:
    if not endpoint.takes_any_key:
        pytest.skip("sync items carry their key as client_uuid, which the item schema checks")
    world, client = endpoint.setup(), _patient_client()
    for bad in ("short", "x" * 129, "has space in it", "dots.are.not.allowed"):
        result = endpoint.call(client, world, bad, 0)
        assert result.status == 422, (bad, result)
        assert result.code == "invalid_idempotency_key"
    assert endpoint.effects() == 0


@by_name
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_calls_with_one_key_make_one_effect(endpoint: Endpoint) -> None:
    # Given one patient whose app fires the same request from 8 threads at once
    world = endpoint.setup()
    token = token_for(UserFactory(role="patient"))
    key = str(uuid.uuid4())
    barrier = threading.Barrier(8)
    results: list[Result | BaseException] = [None] * 8  # type: ignore[list-item]

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = endpoint.call(ApiClient(token), world, key, 0)
        except BaseException as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    # Then exactly one effect, one key row, and every thread got that one answer (seven as replays)
    answers = [r for r in results if isinstance(r, Result)]
    assert len(answers) == 8, results
    assert endpoint.effects() == 1
    assert IdempotencyKey.objects.filter(key=key).count() == 1
    assert len({json.dumps(a.body, sort_keys=True) for a in answers}) == 1
    assert {a.status for a in answers} <= {200, 201}
    assert sum(not a.replayed for a in answers) == 1
