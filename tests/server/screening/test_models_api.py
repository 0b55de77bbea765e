"""Registry (import, one active, activation), signed manifest, file delivery, agreement, readiness."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from screening import signing
from screening.models import ModelVersion
from screening.readiness import readiness
from tests.server.screening.conftest import VERSION_A, VERSION_B
from tests.server.screening.factories import ScreeningFactory, probs_for

# -- registry --


def test_import_bundles_command_validates_records_and_activates_latest(db: Any, bundle_root: Path) -> None:
    out = StringIO()
    call_command("import_bundles", "--dir", str(bundle_root), "--activate", "latest", "--skip-golden", stdout=out)
    text = out.getvalue()
    assert f"imported: {VERSION_A}" in text and f"imported: {VERSION_B}" in text and "SYNTHETIC" in text
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_B
    # Re-running is harmless and keeps the active version
    out = StringIO()
    call_command("import_bundles", "--dir", str(bundle_root), "--activate", VERSION_A, "--if-none-active", "--skip-golden", stdout=out)
    assert "already registered" in out.getvalue()
    assert ModelVersion.objects.count() == 2
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_B
    call_command("import_bundles", "--dir", str(bundle_root), "--activate", VERSION_A, "--skip-golden", stdout=StringIO())
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_A


def _copy(bundle_root: Path, tmp_path: Path, version: str = VERSION_A) -> Path:
    target = tmp_path / "artifacts" / version
    shutil.copytree(bundle_root / version, target)
    return target


def test_a_tampered_bundle_is_refused(db: Any, bundle_root: Path, tmp_path: Path) -> None:
    bundle = _copy(bundle_root, tmp_path)
    data = bytearray((bundle / "model_int8.tflite").read_bytes())
    data[-1] ^= 0xFF
    (bundle / "model_int8.tflite").write_bytes(bytes(data))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_bundles", "--dir", str(bundle.parent), "--skip-golden", stdout=StringIO(), stderr=err)
    assert "sha256" in err.getvalue() and "REFUSED" in err.getvalue()
    assert ModelVersion.objects.count() == 0


def test_a_bundle_edited_in_place_after_import_is_refused(db: Any, bundle_root: Path, tmp_path: Path) -> None:
    from core.errors import ApplicationError
    from screening import services

    bundle = _copy(bundle_root, tmp_path)
    services.model_version_import(bundle_dir=bundle, check_golden=False)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["thresholds"]["mel"] = 0.01
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ApplicationError, match="never edited in place"):
        services.model_version_import(bundle_dir=bundle, check_golden=False)


def test_activation_refuses_a_bundle_changed_on_disk(registry: Any, bundle_root: Path, tmp_path: Path, admin_user: Any, as_user: Any) -> None:
    bundle = _copy(bundle_root, tmp_path, VERSION_B)
    mv = registry["b"]
    mv.path = str(bundle)
    mv.save(update_fields=["path"])
    (bundle / "labels.txt").write_text("tampered\n")
    response = as_user(admin_user).post(f"/api/v1/models/{VERSION_B}/activate")
    assert response.status_code == 409
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_A


def test_database_holds_exactly_one_active(registry: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=registry["b"].pk).update(active_marker=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=registry["b"].pk).update(active_marker=False)
    assert list(ModelVersion.objects.filter(active_marker=True).values_list("version", flat=True)) == [VERSION_A]


@pytest.mark.parametrize(("who", "status"), [("admin_user", 200), ("clinician", 403), ("patient", 403), (None, 401)])
def test_only_admins_activate(registry: Any, request: Any, api: Any, as_user: Any, who: str | None, status: int) -> None:
    client = as_user(request.getfixturevalue(who)) if who else api
    response = client.post(f"/api/v1/models/{VERSION_B}/activate")
    assert response.status_code == status
    expected = VERSION_B if status == 200 else VERSION_A
    assert ModelVersion.objects.get(active_marker=True).version == expected
    if status == 200:
        assert response.json()["is_active"] is True


def test_activating_an_unknown_version_is_404(registry: Any, admin_user: Any, as_user: Any) -> None:
    assert as_user(admin_user).post("/api/v1/models/nope/activate").status_code == 404


def test_admin_action_activates_and_rolls_back(registry: Any, admin_user: Any, client: Any) -> None:
    client.force_login(admin_user)
    url = "/admin/screening/modelversion/"
    response = client.post(url, {"action": "activate_selected", "_selected_action": [registry["b"].pk]})
    assert response.status_code == 302
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_B
    client.post(url, {"action": "activate_selected", "_selected_action": [registry["a"].pk]})
    assert ModelVersion.objects.get(active_marker=True).version == VERSION_A


# -- signed manifest --


def test_latest_is_signed_and_verifies_with_the_public_key(registry: Any, api: Any) -> None:
    body = api.get("/api/v1/models/latest").json()
    key = api.get("/api/v1/models/public-key").json()
    assert body["version"] == VERSION_A and body["synthetic"] is True
    assert body["algorithm"] == key["algorithm"] == "Ed25519"
    assert body["key_id"] == key["key_id"]
    assert body["public_key_url"].endswith("/api/v1/models/public-key")
    # The phone verifies the exact signed text, then trusts the manifest parsed from it
    assert signing.verify(key["public_key"], body["signed_payload"].encode(), body["signature"])
    signed = json.loads(body["signed_payload"])
    assert signed.pop("delivery")["version"] == VERSION_A
    assert signed == body["manifest"] == registry["a"].manifest
    assert body["signed_payload"].encode() == json.dumps({**body["manifest"], "delivery": json.loads(body["signed_payload"])["delivery"]}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    # A tampered manifest does not verify
    tampered = body["signed_payload"].replace('"mel":0.5', '"mel":0.01')
    assert tampered != body["signed_payload"]
    assert not signing.verify(key["public_key"], tampered.encode(), body["signature"])
    # Every file is listed with a download URL, size and sha256
    files = {f["name"]: f for f in body["files"]}
    assert files["model_int8.tflite"]["variant"] == "int8"
    assert files["model_int8.tflite"]["url"].endswith(f"/api/v1/models/{VERSION_A}/files/model_int8.tflite")
    assert files["golden/0.jpg"]["url"].endswith(f"/api/v1/models/{VERSION_A}/files/golden/0.jpg")
    assert {f["name"] for f in body["files"]} == {f["name"] for f in registry["a"].manifest["files"]}


def test_signing_key_from_environment_wins(registry: Any, api: Any, settings: Any) -> None:
    # MODEL_SIGNING_KEY (the environment variable, read into the setting) wins over the key file
    seed = bytes(range(32))
    settings.MODEL_SIGNING_KEY = base64.b64encode(seed).decode()
    from nacl.signing import SigningKey

    expected = base64.b64encode(bytes(SigningKey(seed).verify_key)).decode()
    assert api.get("/api/v1/models/public-key").json()["public_key"] == expected
    body = api.get("/api/v1/models/latest").json()
    assert signing.verify(expected, body["signed_payload"].encode(), body["signature"])


def test_missing_signing_key_is_a_clear_503(registry: Any, api: Any, settings: Any, tmp_path: Path) -> None:
    settings.MODEL_SIGNING_KEY_FILE = tmp_path / "absent.key"
    response = api.get("/api/v1/models/latest")
    assert response.status_code == 503
    assert response.json()["code"] == "signing_key_missing"
    assert "generate_signing_key" in response.json()["detail"]


def test_latest_without_an_active_version_is_404(db: Any, api: Any) -> None:
    response = api.get("/api/v1/models/latest")
    assert response.status_code == 404 and response.json()["code"] == "no_active_model"


def test_generate_signing_key_command_creates_once(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "var" / "k.key"
    out = StringIO()
    call_command("generate_signing_key", "--path", str(path), stdout=out)
    assert "created" in out.getvalue()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = path.read_text()
    out = StringIO()
    call_command("generate_signing_key", "--path", str(path), stdout=out)
    assert "exists" in out.getvalue() and path.read_text() == first


# -- file delivery --


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_file_download_with_etag_304_and_immutable_caching(registry: Any, api: Any, bundle_root: Path) -> None:
    url = f"/api/v1/models/{VERSION_A}/files/model_int8.tflite"
    data = (bundle_root / VERSION_A / "model_int8.tflite").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    response = api.get(url)
    assert response.status_code == 200
    assert _body(response) == data
    assert response["ETag"] == f'"{sha}"'
    assert response["Content-Length"] == str(len(data))
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    assert response["Accept-Ranges"] == "bytes"
    not_modified = api.get(url, headers={"If-None-Match": f'"{sha}"'})
    assert not_modified.status_code == 304 and _body(not_modified) == b""
    assert api.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_range_requests_resume_a_download(registry: Any, api: Any, bundle_root: Path) -> None:
    url = f"/api/v1/models/{VERSION_A}/files/model.h5"
    data = (bundle_root / VERSION_A / "model.h5").read_bytes()
    size = len(data)
    head = api.get(url, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206
    assert head["Content-Range"] == f"bytes 0-99/{size}" and head["Content-Length"] == "100"
    rest = api.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and rest["Content-Range"] == f"bytes 100-{size - 1}/{size}"
    assert _body(head) + _body(rest) == data
    tail = api.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and _body(tail) == data[-10:]
    beyond = api.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    # If-Range with a stale validator: the whole (new) file instead of a mismatched piece
    stale = api.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and _body(stale) == data


def test_nested_golden_file_and_head(registry: Any, api: Any, bundle_root: Path) -> None:
    response = api.get(f"/api/v1/models/{VERSION_A}/files/golden/1.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert _body(response) == (bundle_root / VERSION_A / "golden" / "1.png").read_bytes()
    head = api.client.head(f"/api/v1/models/{VERSION_A}/files/golden/1.png")
    assert head.status_code == 200 and head["Content-Length"] == response["Content-Length"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/2099.01.01-nope/files/model.h5",
        f"/api/v1/models/{VERSION_A}/files/nope.bin",
        f"/api/v1/models/{VERSION_A}/files/../{VERSION_B}/model.h5",
        f"/api/v1/models/{VERSION_A}/files/%2e%2e/%2e%2e/settings.py",
        f"/api/v1/models/{VERSION_A}/files/manifest.json/..",
    ],
)
def test_unknown_versions_and_files_are_404(registry: Any, api: Any, path: str) -> None:
    assert api.get(path).status_code == 404


# -- agreement --


def test_agreement_report(registry: Any, clinician: Any, patient: Any, as_user: Any) -> None:
    a = registry["a"]

    def make(server: str, phone: str | None, version: str = VERSION_A) -> None:
        ScreeningFactory(
            owner=patient,
            label=server,
            model_version=a,
            device_model_version=version if phone else "",
            device_top_label=phone or "",
            device_probabilities=probs_for(phone) if phone else None,
        )

    make("mel", "mel")
    make("mel", "nv")
    make("nv", "nv")
    make("bcc", "bcc")
    make("nv", None)  # no phone result
    make("nv", "mel", version="2025.12.01-old")  # phone ran another version
    body = as_user(clinician).get(f"/api/v1/models/{VERSION_A}/agreement").json()
    assert body["n_with_both"] == 4
    assert body["n_agree"] == 3
    assert body["top1_agreement"] == pytest.approx(0.75)
    assert body["n_device_other_version"] == 1
    assert body["confusion"]["nv"]["mel"] == 1  # phone said nv, server said mel
    assert body["confusion"]["mel"]["mel"] == 1
    assert body["per_label"]["mel"] == {"server_count": 2, "phone_count": 1, "agreed": 1, "recall_vs_server": 0.5}
    empty = as_user(clinician).get(f"/api/v1/models/{VERSION_B}/agreement").json()
    assert empty["n_with_both"] == 0 and empty["top1_agreement"] is None


def test_agreement_is_for_clinicians_and_admins(registry: Any, patient: Any, admin_user: Any, as_user: Any, api: Any) -> None:
    assert as_user(patient).get(f"/api/v1/models/{VERSION_A}/agreement").status_code == 403
    assert api.get(f"/api/v1/models/{VERSION_A}/agreement").status_code == 401
    assert as_user(admin_user).get(f"/api/v1/models/{VERSION_A}/agreement").status_code == 200
    assert as_user(admin_user).get("/api/v1/models/nope/agreement").status_code == 404


# -- readiness --


def test_readiness_follows_the_registry(db: Any, bundle_root: Path, client: Any) -> None:
    ok, message = readiness()
    assert not ok and "no active model" in message
    assert client.get("/readyz").status_code == 503
    call_command("import_bundles", "--dir", str(bundle_root), "--activate", VERSION_A, "--skip-golden", stdout=StringIO())
    ok, message = readiness()
    assert ok and VERSION_A in message
    assert client.get("/readyz").status_code == 200


# -- the committed bundle(s), when present --

REPO_ARTIFACTS = Path(__file__).resolve().parents[3] / "tflite_artifacts"
REAL = sorted(p for p in REPO_ARTIFACTS.glob("*/manifest.json")) if REPO_ARTIFACTS.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not REAL, reason="no committed bundle in tflite_artifacts/ yet")
@pytest.mark.parametrize("manifest", REAL, ids=[p.parent.name for p in REAL])
def test_committed_bundle_imports_and_passes_golden_vectors_on_the_server_path(db: Any, manifest: Path) -> None:
    from screening import services

    mv, created = services.model_version_import(bundle_dir=manifest.parent, check_golden=True)
    assert created and mv.version == manifest.parent.name


def test_import_with_nothing_to_import_is_not_fatal_and_skips_staging_dirs(db: Any, bundle_root: Path, tmp_path: Path) -> None:
    # Given an artifacts directory holding only a half-written (hidden staging) bundle
    root = tmp_path / "artifacts"
    shutil.copytree(bundle_root / VERSION_A, root / f".{VERSION_A}.staging-123")
    out, err = StringIO(), StringIO()
    # When make run imports and asks for the latest
    call_command("import_bundles", "--dir", str(root), "--activate", "latest", stdout=out, stderr=err)
    # Then nothing is imported or activated, and the command still succeeds
    assert "No bundles found" in out.getvalue() and "Nothing to activate" in err.getvalue()
    assert ModelVersion.objects.count() == 0


def test_generate_signing_key_if_missing_flag(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    call_command("generate_signing_key", "--if-missing", "--path", str(path), stdout=StringIO())
    first = path.read_text()
    call_command("generate_signing_key", "--if-missing", "--path", str(path), stdout=StringIO())
    assert path.read_text() == first
    with pytest.raises(CommandError):
        call_command("generate_signing_key", "--if-missing", "--force", "--path", str(path), stdout=StringIO())


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active(bundle_root: Path) -> None:
    import threading

    from django.db import connection

    from core.errors import ApplicationError
    from screening import services

    a, _ = services.model_version_import(bundle_dir=bundle_root / VERSION_A, check_golden=False)
    b, _ = services.model_version_import(bundle_dir=bundle_root / VERSION_B, check_golden=False)
    services.model_version_activate(model_version=a)
    barrier = threading.Barrier(6)
    unexpected: list[BaseException] = []

    def activate(mv: ModelVersion) -> None:
        try:
            barrier.wait()
            services.model_version_activate(model_version=mv)
        except ApplicationError:
            pass  # a clear conflict is an acceptable answer to a race
        except BaseException as exc:
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(mv,)) for mv in (a, b) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not unexpected, unexpected
    assert ModelVersion.objects.filter(active_marker=True).count() == 1
