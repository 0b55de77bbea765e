"""Rejects oversized request bodies before Django reads them."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header.", "code": "bad_request"}, status=400)
        limit = int(settings.MAX_REQUEST_BYTES)
        if length > limit:
            return JsonResponse(
                {"detail": f"Request body is too large ({length} bytes; the limit is {limit}).", "code": "too_large"},
                status=413,
            )
        return self.get_response(request)
