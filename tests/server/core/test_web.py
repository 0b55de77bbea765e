"""The exported web app is served with revalidation for fixed names and long caching for hashed ones."""

from __future__ import annotations

import gzip
import os

import brotli
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


@pytest.fixture
def big_bundle(web_dir):
    # A JS bundle like the real one: repetitive source text, well over the 1 KB threshold.
    source = "".join(f"function component{i}(props){{return React.createElement('div',props,{i});}}\n" for i in range(20000))
    bundle = web_dir / "_expo" / "static" / "js" / "entry-0123abcd.js"
    bundle.write_text(source)
    return bundle


def test_bundle_is_sent_gzip_compressed_when_the_browser_asks(big_bundle, settings, tmp_path_factory):
    # Given the web app's JS bundle and no compressed copy written at build time
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    raw = big_bundle.read_bytes()
    # When a browser that accepts gzip asks for it
    response = Client().get("/_expo/static/js/entry-0123abcd.js", HTTP_ACCEPT_ENCODING="gzip, deflate")
    # Then it gets a gzip body a fraction of the size that decompresses to the bundle, cached for a year
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert len(body) < len(raw) / 5 and int(response["Content-Length"]) == len(body)
    assert gzip.decompress(body) == raw
    assert response["Vary"] == "Accept-Encoding"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    # and a client that does not accept compression gets the plain file under another ETag
    plain = Client().get("/_expo/static/js/entry-0123abcd.js")
    assert not plain.has_header("Content-Encoding") and b"".join(plain.streaming_content) == raw
    assert plain["ETag"] != response["ETag"]
    # and a revalidation of the gzip copy costs a 304
    again = Client().get("/_expo/static/js/entry-0123abcd.js", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_brotli_copy_from_the_build_is_preferred_and_a_stale_one_is_ignored(big_bundle, settings, tmp_path_factory):
    # Given the brotli copy that `python -m whitenoise.compress` writes next to the bundle
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    raw = big_bundle.read_bytes()
    big_bundle.with_name(big_bundle.name + ".br").write_bytes(brotli.compress(raw))
    # When a browser accepting br and gzip asks
    response = Client().get("/_expo/static/js/entry-0123abcd.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    # Then brotli is sent and decodes to the bundle
    body = b"".join(response.streaming_content)
    assert response["Content-Encoding"] == "br" and brotli.decompress(body) == raw and len(body) < len(raw) / 5
    # And when the bundle changes after its copy was written, the stale copy is never sent
    big_bundle.write_text(raw.decode() + "// changed\n")
    os.utime(big_bundle.with_name(big_bundle.name + ".br"), ns=(0, 0))
    changed = Client().get("/_expo/static/js/entry-0123abcd.js", HTTP_ACCEPT_ENCODING="br, gzip")
    assert changed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(changed.streaming_content)).endswith(b"// changed\n")


def test_index_html_is_compressed_but_never_cached_long(web_dir, settings, tmp_path_factory):
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    (web_dir / "index.html").write_text("<html>" + "<div>app</div>" * 500 + "</html>")
    response = Client().get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == "no-cache"
