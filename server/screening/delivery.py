"""Model delivery to phones: the signed manifest (with its freshness) and bundle files (strong ETags, ranges, immutable caching)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError, NotFound
from screening import signing
from screening.error_codes import ScreeningError
from screening.models import ModelVersion

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_TYPES = {".json": "application/json", ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


# The key of the signed text that carries the freshness; a bundle manifest never has it (it is added here).
DELIVERY_KEY = "delivery"


def _iso(moment: datetime) -> str:
    """UTC with milliseconds and `Z`: what every JavaScript engine parses, and orders as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def manifest_delivery(mv: ModelVersion, *, now: datetime | None = None) -> dict[str, str]:
    """What makes a signed manifest fresh: the version it is for, when it was issued, when it stops being accepted.

    A phone refuses an expired manifest and one issued before the manifest it already installed, so a
    captured older manifest cannot be replayed to roll it back; a deliberate rollback on the server is
    issued later and therefore accepted.
    """
    issued = now or timezone.now()
    expires = issued + timedelta(seconds=settings.MODEL_MANIFEST_TTL_SECONDS)
    return {"version": mv.version, "issued_at": _iso(issued), "expires_at": _iso(expires)}


def file_url(request: HttpRequest, mv: ModelVersion, name: str) -> str:
    """Absolute URL of a bundle file; https behind a TLS proxy when SECURE_PROXY_SSL_HEADER says so."""
    return request.build_absolute_uri(reverse("api-v1:download_model_file", kwargs={"version": mv.version, "name": name}))


def signed_manifest(request: HttpRequest, mv: ModelVersion, *, now: datetime | None = None) -> dict[str, Any]:
    """The active bundle's manifest plus its `delivery` freshness, signed (Ed25519) as one canonical text."""
    key = signing.load_key()
    manifest = mv.manifest
    delivery = manifest_delivery(mv, now=now)
    files = [
        {
            "name": entry["name"],
            "variant": entry.get("variant"),
            "size": int(entry["size"]),
            "sha256": entry["sha256"],
            "url": file_url(request, mv, entry["name"]),
        }
        for entry in manifest.get("files", [])
    ]
    payload = signing.canonical_json({**manifest, DELIVERY_KEY: delivery})
    return {
        "version": mv.version,
        "synthetic": mv.synthetic,
        "manifest": manifest,
        "issued_at": delivery["issued_at"],
        "expires_at": delivery["expires_at"],
        "signed_payload": payload.decode("utf-8"),
        "signature": key.sign(payload),
        "algorithm": signing.ALGORITHM,
        "key_id": key.key_id,
        "public_key_url": request.build_absolute_uri(reverse("api-v1:get_model_public_key")),
        "files": files,
    }


def _etag(sha256: str) -> str:
    return f'"{sha256}"'


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return any(t == etag or t == f"W/{etag}" for t in tags)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` range as an inclusive (start, end); None to serve the whole file.

    Multiple ranges and unknown units are ignored (RFC 9110 lets a server do that). A syntactically
    valid but unsatisfiable range raises 416.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise _unsatisfiable(size)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise _unsatisfiable(size)
    return start, min(end, size - 1)


class RangeNotSatisfiable(ApplicationError):
    status_code = 416


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable("Requested range not satisfiable.", code=ScreeningError.RANGE_NOT_SATISFIABLE, extra={"size": size})


def _stream(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def serve_file(request: HttpRequest, mv: ModelVersion, name: str) -> HttpResponseBase:
    entry = mv.file_entry(name)
    if entry is None:
        raise NotFound(f"Model {mv.version} has no file {name!r}.", code=ScreeningError.MODEL_FILE_NOT_FOUND)
    # The name comes from the manifest (validated at import), never straight from the URL.
    path = Path(mv.path) / str(entry["name"])
    size = int(entry["size"])
    try:
        actual = path.stat().st_size
    except OSError as exc:
        logger.error("Bundle file missing on disk: %s", path)
        raise ApplicationError("This model file is not available on the server.", code=ScreeningError.MODEL_FILE_ALTERED, status=503) from exc
    if actual != size:
        logger.error("Bundle file changed on disk: %s (%d bytes, manifest %d)", path, actual, size)
        raise ApplicationError("This model file is not available on the server.", code=ScreeningError.MODEL_FILE_ALTERED, status=503)
    etag = _etag(str(entry["sha256"]))
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and _etag_matches(if_none_match, etag):
        not_modified = HttpResponse(status=304)
        for key, value in headers.items():
            not_modified[key] = value
        return not_modified

    byte_range = None
    range_header = request.headers.get("Range")
    if range_header:
        if_range = request.headers.get("If-Range")
        if if_range is None or if_range.strip() == etag:
            try:
                byte_range = parse_range(range_header, size)
            except RangeNotSatisfiable as exc:
                refused = JsonResponse({"detail": exc.message, "code": exc.code}, status=416)
                refused["Content-Range"] = f"bytes */{size}"
                refused["ETag"] = etag
                return refused
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    if byte_range is None:
        start, length, status = 0, size, 200
    else:
        start, end = byte_range
        length, status = end - start + 1, 206
    body = b"" if request.method == "HEAD" else _stream(path, start, length)
    response = StreamingHttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    response["Content-Disposition"] = f'attachment; filename="{Path(str(entry["name"])).name}"'
    for key, value in headers.items():
        response[key] = value
    return response
