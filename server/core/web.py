"""Serves uploaded media (embedded default only) and the exported Expo web app at /."""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import os
import posixpath
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.views.static import serve

logger = logging.getLogger(__name__)

# Private uploads are served only through their access-checked API endpoints, never as media.
PRIVATE_MEDIA_PREFIXES = ("screenings/",)


def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    if posixpath.normpath(path).lstrip("/").startswith(PRIVATE_MEDIA_PREFIXES):
        raise Http404
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


def _safe_join(root: Path, rel: str) -> Path | None:
    candidate = (root / rel).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


# Text-like files worth compressing (the JS bundle, the LiteRT WASM, HTML, JSON, CSS, SVG, source maps).
COMPRESSIBLE_SUFFIXES = frozenset({".js", ".mjs", ".css", ".html", ".json", ".wasm", ".svg", ".map", ".txt"})
# gzip made on first request is cached here; brotli comes from `<file>.br` written at build time
# (`python -m whitenoise.compress mobile/dist`, scripts/run-embedded.sh): quality 11 is too slow per request.
_CACHE_DIR_NAME = "web-compressed"


def _accepted(request: HttpRequest) -> set[str]:
    """Codings the client accepts (q=0 excluded)."""
    accepted = set()
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        q = params.strip()
        if q.startswith("q=") and q[2:].strip() in {"0", "0.0", "0.00", "0.000"}:
            continue
        if name:
            accepted.add(name.strip().lower())
    return accepted


def _gzip_copy(target: Path, etag: str) -> Path | None:
    """A gzip copy of `target` for this version (etag), made once and reused; None if it cannot be made."""
    cache = Path(settings.VAR_DIR) / _CACHE_DIR_NAME
    key = hashlib.sha256(f"{target}:{etag}".encode()).hexdigest()[:32]
    copy = cache / f"{key}.gz"
    if copy.is_file():
        return copy
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # Unique temporary name + atomic rename: two threads compressing at once both end with a whole file.
        fd, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
            with target.open("rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
        os.replace(tmp, copy)
    except OSError:
        logger.exception("could not compress %s; serving it uncompressed", target)
        return None
    return copy


def _encoded_variant(request: HttpRequest, target: Path, stat: os.stat_result, etag: str) -> tuple[str, Path] | None:
    """(coding, file) to send instead of `target` when the client accepts a compression, else None."""
    if target.suffix not in COMPRESSIBLE_SUFFIXES or stat.st_size < 1024:
        return None
    accepted = _accepted(request)
    brotli = target.with_name(target.name + ".br")
    if "br" in accepted and brotli.is_file() and brotli.stat().st_mtime_ns >= stat.st_mtime_ns:
        return "br", brotli
    if "gzip" in accepted:
        built = target.with_name(target.name + ".gz")
        if built.is_file() and built.stat().st_mtime_ns >= stat.st_mtime_ns:
            return "gzip", built
        made = _gzip_copy(target, etag)
        if made is not None:
            return "gzip", made
    return None


def serve_web_app(request: HttpRequest, path: str = "") -> HttpResponseBase:
    """Static files of `mobile/dist`, falling back to index.html for client-side routes.

    Compressed (brotli or gzip) when the client accepts it; content-hashed files are cached for a year,
    fixed names (index.html, litert/, bootstrap-model/) are revalidated with their ETag.
    """
    root = Path(settings.MOBILE_WEB_DIR)
    index = root / "index.html"
    if not index.exists():
        return HttpResponse(
            "The web app has not been built. Run `make web` (needs Node.js), then reload.\n"
            "The API is at /api/v1/docs.",
            content_type="text/plain",
            status=404,
        )
    target = _safe_join(root, path) if path else index
    if target is None:
        raise Http404
    if not target.is_file():
        html = target.with_suffix(".html") if target.suffix == "" else None
        target = html if html is not None and html.is_file() else index
    stat = target.stat()
    etag_base = f"{stat.st_size:x}-{stat.st_mtime_ns:x}"
    variant = _encoded_variant(request, target, stat, etag_base)
    # Each representation has its own strong ETag (a cache must not answer a gzip request with brotli).
    etag = f'"{etag_base}-{variant[0]}"' if variant else f'"{etag_base}"'
    response: HttpResponseBase
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        # The LiteRT WASM (9 MB) and the bootstrap model (8 MB) are fetched on every visit to the
        # screening screen: an unchanged file costs a 304, not a download.
        response = HttpResponseNotModified()
    else:
        content_type, _ = mimetypes.guess_type(str(target))
        body = variant[1] if variant else target
        response = FileResponse(body.open("rb"), content_type=content_type or "application/octet-stream")
        if variant:
            response["Content-Encoding"] = variant[0]
            response["Content-Length"] = str(body.stat().st_size)
    response["ETag"] = etag
    if target.suffix in COMPRESSIBLE_SUFFIXES:
        response["Vary"] = "Accept-Encoding"
    # expo-sqlite's wasm build needs cross-origin isolation on the web.
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    response["Cross-Origin-Embedder-Policy"] = "require-corp"
    if "/_expo/static/" in str(target):
        response["Cache-Control"] = "public, max-age=31536000, immutable"  # content-hashed names
    else:
        response["Cache-Control"] = "no-cache"  # fixed names (index.html, litert/, bootstrap-model/): revalidate
    return response
