"""Offline sync: per-item results, idempotent replays, reused keys refused, concurrency on MariaDB."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from screening.models import Screening
from tests.server.factories import UserFactory
from tests.server.screening.conftest import VERSION_A, image_bytes, upload


def _item(i: int, key: uuid.UUID | None = None, **extra: Any) -> tuple[dict[str, Any], bytes]:
    captured = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
    meta = {
        "client_uuid": str(key or uuid.uuid4()),
        "captured_at": captured.isoformat(),
        "photo": f"p{i}",
        "device_result": {"model_version": VERSION_A, "probabilities": [0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1], "latency_ms": 30},
        **extra,
    }
    photo = image_bytes("JPEG", (48 + i % 7, 40), color=((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
    return meta, photo


def _sync(client: Any, items: list[tuple[dict[str, Any], bytes]]) -> Any:
    data: dict[str, Any] = {"items": json.dumps([meta for meta, _ in items])}
    for meta, photo in items:
        data[meta["photo"]] = upload(photo, f"{meta['photo']}.jpg")
    return client.post_multipart("/api/v1/screenings/sync", data)


def test_one_bad_photo_does_not_sink_the_batch(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    good1, good2 = _item(1), _item(2)
    bad_meta, _ = _item(3)
    items = [good1, (bad_meta, b"not an image"), good2]
    response = _sync(as_user(patient), items)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (2, 0, 1)
    by_index = {r["index"]: r for r in body["results"]}
    assert by_index[1]["status"] == "error"
    assert by_index[1]["error"]["code"] == "photo_unsupported_type" and by_index[1]["error"]["status"] == 415
    assert by_index[1]["client_uuid"] == bad_meta["client_uuid"]
    assert by_index[0]["screening"]["device"]["top_label"] == "mel"
    assert by_index[0]["screening"]["source"] == "sync"
    assert by_index[0]["screening"]["captured_at"].startswith("2026-11-01T08:01:00")
    assert Screening.objects.filter(owner=patient).count() == 2
    assert len(media_files()) == 2


def test_item_errors_are_reported_per_item(registry: Any, patient: Any, as_user: Any) -> None:
    ok = _item(1)
    missing_file = ({**_item(2)[0], "photo": "nope"}, None)
    bad_schema = ({"client_uuid": "not-a-uuid", "captured_at": "2026-11-01T08:00:00Z", "photo": "p9"}, None)
    future = _item(4, captured_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat())
    data: dict[str, Any] = {"items": json.dumps([ok[0], missing_file[0], bad_schema[0], future[0]])}
    data["p1"] = upload(ok[1])
    data["p4"] = upload(future[1])
    body = as_user(patient).post_multipart("/api/v1/screenings/sync", data).json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "error", "error", "error"]
    assert body["results"][1]["error"]["code"] == "photo_missing"
    assert body["results"][2]["error"]["code"] == "validation_error"
    assert "future" in body["results"][3]["error"]["detail"]


@pytest.mark.parametrize("items", ["", "{}", "[]", "not json", json.dumps([{}] * 51)])
def test_malformed_envelope_is_422(registry: Any, patient: Any, as_user: Any, items: str) -> None:
    response = as_user(patient).post_multipart("/api/v1/screenings/sync", {"items": items})
    assert response.status_code == 422
    assert Screening.objects.count() == 0


def test_reused_uuid_with_different_content_is_refused(registry: Any, patient: Any, as_user: Any) -> None:
    key = uuid.uuid4()
    client = as_user(patient)
    first = _sync(client, [_item(1, key)]).json()
    assert first["created"] == 1
    changed = _sync(client, [_item(2, key)]).json()  # same key, another photo
    assert changed["results"][0]["status"] == "error"
    assert changed["results"][0]["error"]["code"] == "idempotency_key_reused"
    assert Screening.objects.filter(owner=patient).count() == 1


def test_duplicate_uuid_inside_one_batch(registry: Any, patient: Any, as_user: Any) -> None:
    key = uuid.uuid4()
    a, b = _item(1, key), _item(2, key)
    body = _sync(as_user(patient), [a, b]).json()
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert Screening.objects.count() == 1


def test_200_screenings_sent_three_times_with_dropped_responses_leave_200_rows(registry: Any, patient: Any, as_user: Any, media_files: Any) -> None:
    # Given 200 screenings captured offline, sent in batches of 25
    items = [_item(i) for i in range(200)]
    batches = [items[i : i + 25] for i in range(0, 200, 25)]
    client = as_user(patient)
    seen: dict[str, str] = {}
    # When the phone sends everything three times (the first two rounds' responses are "lost")
    for round_no in range(3):
        for batch in batches:
            response = _sync(client, batch)
            assert response.status_code == 200
            if round_no < 2:
                continue  # dropped response: the phone never sees it and retries later
            for result in response.json()["results"]:
                assert result["status"] == "duplicate"
                seen[result["client_uuid"]] = result["screening"]["id"]
    # Then exactly 200 rows and 200 photos exist, and the replay returned the stored ids
    assert Screening.objects.filter(owner=patient).count() == 200
    assert len(media_files()) == 200
    assert set(seen.values()) == {str(pk) for pk in Screening.objects.values_list("pk", flat=True)}
    assert len(seen) == 200


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_the_same_batch_create_each_screening_once(bundle_root: Any, as_user: Any) -> None:
    from screening import services

    a, _ = services.model_version_import(bundle_dir=bundle_root / VERSION_A, check_golden=False)
    services.model_version_activate(model_version=a)
    patient = UserFactory(role="patient")
    items = [_item(i) for i in range(12)]
    outcomes: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        try:
            client = as_user(patient)
            barrier.wait()
            response = _sync(client, items)
            assert response.status_code == 200, response.content
            outcomes.append(response.json())
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Screening.objects.filter(owner=patient).count() == 12
    created = sum(o["created"] for o in outcomes)
    duplicates = sum(o["duplicates"] for o in outcomes)
    assert created == 12 and duplicates == 36
    assert all(o["errors"] == 0 for o in outcomes)
    # Every response names the same stored screening for a given client_uuid
    ids: dict[str, set[str]] = {}
    for o in outcomes:
        for r in o["results"]:
            ids.setdefault(r["client_uuid"], set()).add(r["screening"]["id"])
    assert all(len(v) == 1 for v in ids.values())


def test_a_batch_of_large_photos_is_decoded_one_at_a_time(registry: Any, patient: Any, as_user: Any, peak_memory: Any) -> None:
    # Given eight 12-megapixel photos (36 MB of pixels each once decoded)
    import io

    from PIL import Image

    items = []
    for i in range(8):
        image = Image.new("RGB", (4000, 3000), ((i * 30) % 256, 120, 90))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=70)
        meta, _ = _item(i)
        items.append((meta, out.getvalue()))
    client = as_user(patient)
    assert client.get("/api/v1/screenings").status_code == 200
    # When they are synced in one request
    with peak_memory() as memory:
        body = _sync(client, items).json()
    # Then all are screened, and the process never held more than a few decoded photos at once
    assert body["created"] == 8
    assert memory.growth < 200 * 1024 * 1024, memory.growth / 2**20  # all eight at once: >= 288 MB


def test_anonymous_sync_is_401_and_stores_nothing(registry: Any, api: Any, media_files: Any) -> None:
    meta, photo = _item(1)
    response = api.post_multipart("/api/v1/screenings/sync", {"items": json.dumps([meta]), "p1": upload(photo)})
    assert response.status_code == 401
    assert Screening.objects.count() == 0 and media_files() == []


def test_sync_never_returns_another_users_screening(registry: Any, as_user: Any) -> None:
    # Given another patient already synced an item under some client_uuid
    key = uuid.uuid4()
    other, me = UserFactory(), UserFactory()
    meta, photo = _item(1, key)
    theirs = _sync(as_user(other), [(meta, photo)]).json()["results"][0]["screening"]["id"]
    # When I sync the very same item (same key, same photo)
    mine = _sync(as_user(me), [(meta, photo)]).json()["results"][0]
    # Then I get my own new screening, not theirs
    assert mine["status"] == "created" and mine["screening"]["id"] != theirs
    assert mine["screening"]["owner_id"] == me.pk
