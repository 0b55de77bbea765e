"""The exported web app is served with revalidation for fixed names and long caching for hashed ones."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def web_dir(tmp_path, settings):
    (tmp_path / "index.html").write_text("<html>app</html>")
    (tmp_path / "litert").mkdir()
    (tmp_path / "litert" / "litert_wasm_internal.wasm").write_bytes(b"\0asm" + b"x" * 1000)
    (tmp_path / "_expo" / "static" / "js").mkdir(parents=True)
    (tmp_path / "_expo" / "static" / "js" / "entry-abc123.js").write_text("console.log(1)")
    settings.MOBILE_WEB_DIR = str(tmp_path)
    return tmp_path


def test_fixed_name_file_is_revalidated_and_unchanged_costs_a_304(web_dir):
    client = Client()
    # Given the LiteRT WASM served once
    first = client.get("/litert/litert_wasm_internal.wasm")
    assert first.status_code == 200 and first["Content-Type"] == "application/wasm"
    assert first["Cache-Control"] == "no-cache" and first["ETag"]
    assert b"".join(first.streaming_content).startswith(b"\0asm")
    # when the browser revalidates with its ETag, then nothing is sent again
    again = client.get("/litert/litert_wasm_internal.wasm", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    # and a changed file is sent in full under a new ETag
    (web_dir / "litert" / "litert_wasm_internal.wasm").write_bytes(b"\0asm" + b"y" * 2000)
    changed = client.get("/litert/litert_wasm_internal.wasm", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_hashed_bundle_is_cached_for_a_year_and_routes_fall_back_to_index(web_dir):
    client = Client()
    js = client.get("/_expo/static/js/entry-abc123.js")
    assert js.status_code == 200 and "immutable" in js["Cache-Control"]
    route = client.get("/screening/new")
    assert route.status_code == 200 and b"".join(route.streaming_content) == b"<html>app</html>"
    assert route["Cross-Origin-Embedder-Policy"] == "require-corp"
