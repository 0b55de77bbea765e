"""Serves uploaded media (embedded default only) and the exported Expo web app at /."""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.views.static import serve

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


def serve_web_app(request: HttpRequest, path: str = "") -> HttpResponseBase:
    """Static files of `mobile/dist`, falling back to index.html for client-side routes."""
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
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    response: HttpResponseBase
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        # The LiteRT WASM (9 MB) and the bootstrap model (8 MB) are fetched on every visit to the
        # screening screen: an unchanged file costs a 304, not a download.
        response = HttpResponseNotModified()
    else:
        content_type, _ = mimetypes.guess_type(str(target))
        response = FileResponse(target.open("rb"), content_type=content_type or "application/octet-stream")
    response["ETag"] = etag
    # expo-sqlite's wasm build needs cross-origin isolation on the web.
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    response["Cross-Origin-Embedder-Policy"] = "require-corp"
    if "/_expo/static/" in str(target):
        response["Cache-Control"] = "public, max-age=31536000, immutable"  # content-hashed names
    else:
        response["Cache-Control"] = "no-cache"  # fixed names (index.html, litert/, bootstrap-model/): revalidate
    return response
