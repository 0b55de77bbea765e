"""POST /screenings: authoritative .h5 result, device comparison, idempotency, golden vectors, hot swap, batching."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from screening import bundles, services
from screening.inference import ENGINE, load_forward
from screening.models import LABELS, Screening
from screening.preprocess import preprocess_path
from tests.server.screening.conftest import VERSION_A, VERSION_B, image_bytes, upload


def _screen(client: Any, data: bytes | None = None, **fields: Any) -> Any:
    payload = {"photo": upload(data if data is not None else image_bytes()), **fields}
    return client.post_multipart("/api/v1/screenings", payload)


def test_screening_returns_the_authoritative_h5_result_with_labels_risk_action_and_disclaimer(registry: Any, patient: Any, as_user: Any, bundle_root: Path) -> None:
    # Given an active synthetic model
    photo = image_bytes("PNG", (90, 60), color=(40, 160, 200))
    # When a patient screens a photo
    response = _screen(as_user(patient), photo, body_site="left forearm", note="new spot")
    # Then the answer is the .h5's output on the spec-preprocessed photo
    assert response.status_code == 201, response.content
    body = response.json()
    size = 32
    tensor = preprocess_path(_tmp_write(bundle_root.parent, photo), size)
    forward = load_forward(bundle_root / VERSION_A / "model.h5", size)
    expected = forward(tensor[None])[0]
    got = np.array([body["probabilities"][label] for label in LABELS])
    assert np.allclose(got, expected, atol=1e-5)
    assert abs(sum(got) - 1.0) < 1e-4
    top = LABELS[int(np.argmax(expected))]
    assert body["top_label"] == top
    assert body["top_label_display"] == registry["a"].manifest["label_info"][top]["display_name"]
    high_mass = sum(body["probabilities"][k] for k in ("mel", "bcc", "akiec"))
    assert body["risk"] == ("high" if top in ("mel", "bcc", "akiec") or high_mass >= 0.35 else "medium" if top in ("bkl", "df") else "low")
    assert body["model_version"] == VERSION_A
    assert body["model_synthetic"] is True
    assert "not a diagnosis" in body["disclaimer"]
    assert "SYNTHETIC" in body["disclaimer"] and "SYNTHETIC" in body["recommended_action"]
    assert body["recommended_action"]
    assert body["device"] is None
    assert (body["body_site"], body["note"]) == ("left forearm", "new spot")
    row = Screening.objects.get(pk=body["id"])
    assert row.owner == patient and row.model_version.version == VERSION_A


def _tmp_write(directory: Path, data: bytes) -> Path:
    path = directory / f"upload-{uuid.uuid4().hex}.img"
    path.write_bytes(data)
    return path


def test_risk_level_and_action_follow_the_top_label(registry: Any) -> None:
    from screening.presenters import RECOMMENDED_ACTION
    from tests.server.screening.factories import ScreeningFactory

    for label, risk in (("mel", "high"), ("bcc", "high"), ("akiec", "high"), ("bkl", "medium"), ("df", "medium"), ("nv", "low"), ("vasc", "low")):
        s = ScreeningFactory(label=label, model_version=registry["a"])
        from screening.presenters import screening_body

        out = screening_body(s)
        assert out["risk"] == risk
        assert RECOMMENDED_ACTION[risk] in out["recommended_action"]


def test_device_result_is_stored_and_compared(registry: Any, patient: Any, as_user: Any) -> None:
    # Given the phone's on-device result for the same model version, saying "mel"
    device = {"model_version": VERSION_A, "probabilities": [0.05, 0.05, 0.05, 0.05, 0.6, 0.1, 0.1], "latency_ms": 41.5}
    # When it is sent along with the photo
    response = _screen(as_user(patient), device_result=json.dumps(device))
    # Then the response compares it with the server's result
    assert response.status_code == 201, response.content
    body = response.json()
    cmp = body["device"]
    assert cmp["model_version"] == VERSION_A and cmp["same_model_version"] is True
    assert cmp["top_label"] == "mel"
    assert cmp["server_top_label"] == body["top_label"]
    assert cmp["agrees_top1"] is (body["top_label"] == "mel")
    assert cmp["latency_ms"] == 41.5
    server = np.array([body["probabilities"][label] for label in LABELS])
    assert cmp["max_abs_difference"] == pytest.approx(float(np.max(np.abs(server - np.array(device["probabilities"])))), abs=1e-5)
    row = Screening.objects.get(pk=body["id"])
    assert row.device_top_label == "mel" and row.device_model_version == VERSION_A


@pytest.mark.parametrize(
    "device",
    [
        {"model_version": VERSION_A, "probabilities": [0.5, 0.5]},
        {"model_version": VERSION_A, "probabilities": [2, 0, 0, 0, 0, 0, 0]},
        {"model_version": VERSION_A, "probabilities": [0.1] * 7},
        {"model_version": "", "probabilities": [1, 0, 0, 0, 0, 0, 0]},
        {"model_version": VERSION_A, "probabilities": [1, 0, 0, 0, 0, 0, 0], "extra": 1},
        {"model_version": VERSION_A, "probabilities": [1, 0, 0, 0, 0, 0, 0], "latency_ms": -3},
        "not json",
    ],
)
def test_invalid_device_result_is_422_and_nothing_stored(registry: Any, patient: Any, as_user: Any, device: Any, media_files: Any) -> None:
    raw = device if isinstance(device, str) else json.dumps(device)
    response = _screen(as_user(patient), device_result=raw)
    assert response.status_code == 422
    assert response.json()["code"] == "device_result_invalid"
    assert Screening.objects.count() == 0
    assert media_files() == []


def test_device_result_as_label_dict_is_accepted(registry: Any, patient: Any, as_user: Any) -> None:
    device = {"model_version": "2025.older", "probabilities": {"akiec": 0, "bcc": 0, "bkl": 0, "df": 0, "mel": 0, "nv": 1, "vasc": 0}}
    body = _screen(as_user(patient), device_result=json.dumps(device)).json()
    assert body["device"]["top_label"] == "nv"
    assert body["device"]["same_model_version"] is False


def test_client_uuid_makes_the_post_idempotent(registry: Any, patient: Any, as_user: Any) -> None:
    client = as_user(patient)
    key = str(uuid.uuid4())
    photo = image_bytes()
    first = _screen(client, photo, client_uuid=key)
    again = _screen(client, photo, client_uuid=key)
    # The replay is the first answer again (status and body), marked as a replay
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true" and first.headers.get("Idempotent-Replayed") is None
    # A different photo under the same key is refused and changes nothing
    other = _screen(client, image_bytes(color=(10, 200, 10)), client_uuid=key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Screening.objects.filter(owner=patient).count() == 1


def test_same_client_uuid_for_two_users_is_two_screenings(registry: Any, as_user: Any) -> None:
    from tests.server.factories import UserFactory

    key = str(uuid.uuid4())
    a, b = UserFactory(), UserFactory()
    assert _screen(as_user(a), client_uuid=key).status_code == 201
    assert _screen(as_user(b), client_uuid=key).status_code == 201
    assert Screening.objects.count() == 2


def test_anonymous_cannot_screen(registry: Any, api: Any) -> None:
    response = api.post_multipart("/api/v1/screenings", {"photo": upload(image_bytes())})
    assert response.status_code == 401
    assert Screening.objects.count() == 0


def test_no_active_model_is_503_with_a_clear_message(db: Any, patient: Any, as_user: Any) -> None:
    ENGINE.reset()
    response = _screen(as_user(patient))
    assert response.status_code == 503
    assert response.json()["code"] == "no_active_model"


def test_golden_vectors_pass_through_the_server_path(registry: Any, bundle_root: Path, patient: Any, as_user: Any) -> None:
    # Given the bundle's golden images (PNG, non-square, EXIF-rotated JPEG, RGBA PNG)
    bundle = bundle_root / VERSION_A
    golden = json.loads((bundle / "golden.json").read_text())
    model = ENGINE.current()
    # Then the server's preprocessing + engine reproduce the checksums and h5 outputs
    assert bundles.check_golden(bundle, registry["a"].manifest, model.forward) == len(golden)
    # And each golden image posted over HTTP gives the expected h5 probabilities
    client = as_user(patient)
    for entry in golden:
        data = (bundle / entry["file"]).read_bytes()
        body = _screen(client, data).json()
        got = [body["probabilities"][label] for label in LABELS]
        assert np.allclose(got, entry["expected"]["h5"], atol=2e-3), entry["file"]


def test_import_checks_golden_vectors_with_the_server_model(db: Any, bundle_root: Path) -> None:
    mv, created = services.model_version_import(bundle_dir=bundle_root / VERSION_B, check_golden=True)
    assert created and mv.version == VERSION_B


def test_model_is_loaded_once_and_active_version_change_is_picked_up_without_restart(registry: Any, patient: Any, admin_user: Any, as_user: Any) -> None:
    client = as_user(patient)
    first = _screen(client).json()
    loads = ENGINE.loads
    for _ in range(5):
        assert _screen(client).json()["model_version"] == first["model_version"] == VERSION_A
    assert ENGINE.loads == loads  # no per-request load
    # When an admin activates B through the API
    assert as_user(admin_user).post(f"/api/v1/models/{VERSION_B}/activate").status_code == 200
    # Then the next screening in this process uses B, loaded once
    assert _screen(client).json()["model_version"] == VERSION_B
    assert _screen(client).json()["model_version"] == VERSION_B
    assert ENGINE.loads == loads + 1
    # And rolling back returns to A
    assert as_user(admin_user).post(f"/api/v1/models/{VERSION_A}/activate").status_code == 200
    assert _screen(client).json()["model_version"] == VERSION_A


def test_concurrent_predictions_are_micro_batched(registry: Any, settings: Any) -> None:
    settings.SCREENING_BATCH_WAIT_MS = 50
    model = ENGINE.current()
    tensors = [np.full((model.size, model.size, 3), i * 20, dtype=np.uint8) for i in range(8)]
    expected = model.forward(np.stack(tensors))
    results: dict[int, Any] = {}
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        with ENGINE.request():
            barrier.wait()
            results[i] = ENGINE.predict(tensors[i], model)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every caller gets its own image's answer, and at least one forward pass served several callers
    for i in range(8):
        assert np.allclose(results[i].probabilities, expected[i], atol=1e-5)
    assert max(r.batch_size for r in results.values()) > 1


def test_a_lone_request_is_not_held_back_waiting_for_a_batch(registry: Any, settings: Any) -> None:
    settings.SCREENING_BATCH_WAIT_MS = 500
    model = ENGINE.current()
    tensor = np.zeros((model.size, model.size, 3), dtype=np.uint8)
    with ENGINE.request():
        result = ENGINE.predict(tensor, model)
    assert result.batch_size == 1
    assert result.latency_ms < 250  # far below the 500 ms window: nobody else was on the way


def test_predictions_queued_for_an_old_model_are_answered_by_that_model(registry: Any, settings: Any) -> None:
    settings.SCREENING_BATCH_WAIT_MS = 20
    a = ENGINE.current()
    services.model_version_activate(model_version=registry["b"])
    ENGINE.invalidate()
    b = ENGINE.current()
    assert (a.version, b.version) == (VERSION_A, VERSION_B)
    tensor = np.full((32, 32, 3), 77, dtype=np.uint8)
    out: dict[str, Any] = {}
    threads = [threading.Thread(target=lambda m=m: out.__setitem__(m.version, ENGINE.predict(tensor, m))) for m in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.allclose(out[VERSION_A].probabilities, a.forward(tensor[None])[0], atol=1e-5)
    assert np.allclose(out[VERSION_B].probabilities, b.forward(tensor[None])[0], atol=1e-5)
    assert out[VERSION_A].version == VERSION_A and out[VERSION_B].version == VERSION_B


def test_idempotency_key_header_is_an_alias_of_client_uuid(registry: Any, patient: Any, as_user: Any) -> None:
    client = as_user(patient)
    photo = image_bytes()
    headers = {"Idempotency-Key": "phone-7-capture-42"}
    first = client.post_multipart("/api/v1/screenings", {"photo": upload(photo)}, headers=headers)
    again = client.post_multipart("/api/v1/screenings", {"photo": upload(photo)}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json() and again.headers.get("Idempotent-Replayed") == "true"
    changed = client.post_multipart("/api/v1/screenings", {"photo": upload(image_bytes(color=(1, 2, 3)))}, headers=headers)
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    assert Screening.objects.count() == 1


def test_openapi_lists_the_screening_operations(registry: Any, api: Any) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if isinstance(op, dict) and "operationId" in op}
    assert {
        "create_screening",
        "sync_screenings",
        "list_screenings",
        "get_screening",
        "get_screening_photo",
        "share_screening",
        "get_latest_model",
        "get_model_public_key",
        "download_model_file",
        "activate_model_version",
        "get_model_agreement",
    } <= operations


def test_a_broken_active_model_is_a_503_without_a_reload_storm(registry: Any, patient: Any, as_user: Any, bundle_root: Path, tmp_path: Path, monkeypatch: Any) -> None:
    import shutil

    from screening import inference

    # Given the active version's .h5 is unreadable on disk
    broken = tmp_path / VERSION_B
    shutil.copytree(bundle_root / VERSION_B, broken)
    (broken / "model.h5").write_bytes(b"not hdf5")
    mv = registry["b"]
    mv.path = str(broken)
    mv.save(update_fields=["path"])
    from screening.models import ModelVersion

    ModelVersion.objects.filter(pk=registry["a"].pk).update(active_marker=None)
    ModelVersion.objects.filter(pk=mv.pk).update(active_marker=True)
    ENGINE.reset()
    calls = []
    real = inference.load_forward
    monkeypatch.setattr(inference, "load_forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    client = as_user(patient)
    # When screenings arrive
    first = _screen(client)
    second = _screen(client)
    # Then each is a clear 503 and the load was tried once, not per request
    assert first.status_code == second.status_code == 503
    assert "could not be loaded" in first.json()["detail"]
    assert len(calls) == 1
    ENGINE.reset()


def test_risk_escalates_when_high_risk_classes_together_are_likely() -> None:
    from screening.services import risk_level

    benign_top = {"akiec": 0.01, "bcc": 0.02, "bkl": 0.08, "df": 0.0, "mel": 0.32, "nv": 0.49, "vasc": 0.08}
    assert risk_level("nv", benign_top) == "high"  # 35 % on mel+bcc+akiec: see a clinician
    clearly_benign = {"akiec": 0.01, "bcc": 0.02, "bkl": 0.08, "df": 0.0, "mel": 0.05, "nv": 0.76, "vasc": 0.08}
    assert risk_level("nv", clearly_benign) == "low"
    assert risk_level("bkl", {**clearly_benign, "bkl": 0.8, "nv": 0.04}) == "medium"
    assert risk_level("mel", {**clearly_benign, "mel": 0.3, "nv": 0.29}) == "high"


def test_a_bundle_operating_point_can_only_make_the_high_risk_rule_more_cautious() -> None:
    from screening.services import risk_level

    unsure = {"akiec": 0.02, "bcc": 0.03, "bkl": 0.1, "df": 0.0, "mel": 0.2, "nv": 0.6, "vasc": 0.05}  # 25 % high-risk mass
    assert risk_level("nv", unsure) == "low"  # the server's default rule: 0.35
    assert risk_level("nv", unsure, 0.2) == "high"  # a model whose validated operating point is 0.20
    assert risk_level("nv", unsure, 0.9) == "low"  # a bundle cannot loosen the server's rule


def test_screening_risk_uses_the_active_bundle_operating_point(registry: Any, patient: Any, as_user: Any) -> None:
    from screening.models import Screening

    # Given the active bundle records an operating point below every high-risk mass it can output
    active = registry["a"]
    active.manifest = {**active.manifest, "high_risk": {"mass": 1e-6}}
    active.save(update_fields=["manifest"])
    # When a screening runs
    response = _screen(as_user(patient))
    # Then it is high risk by that bundle's rule, whatever the top label
    assert response.status_code == 201, response.content
    assert Screening.objects.get(pk=response.json()["id"]).risk == "high"
