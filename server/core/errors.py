"""One error family for the whole API and the handlers that map errors to {"detail", "code"}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain error: a message for people, a stable machine code and an HTTP status."""

    status_code = 400

    def __init__(
        self, message: str, *, code: str = "error", status: int | None = None, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = str(code)
        if status is not None:
            self.status_code = status
        self.extra = extra or {}
        self.headers = headers or {}  # e.g. Retry-After on a 503


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class Forbidden(ApplicationError):
    status_code = 403


class Unprocessable(ApplicationError):
    status_code = 422


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def _clean_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for err in errors:
        item = {"loc": list(err.get("loc", [])), "msg": str(err.get("msg", "")), "type": err.get("type", "")}
        cleaned.append(item)
    return cleaned


def _summarise(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "Invalid request."
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err["loc"] if p not in ("body", "payload", "query", "path", "form", "file"))
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "Invalid request: " + "; ".join(parts) + more


@csrf_exempt  # like the API's own routes (bearer tokens, no cookies): a POST gets the JSON 404 too, not a CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ path no route matches (an unknown path, or `abc` where a route wants an integer id): JSON 404."""
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every error the API can raise to the one error shape with the right status."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApplicationError)
    def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        response = respond(request, exc.status_code, error_body(exc.message, exc.code, **exc.extra))
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(NinjaValidationError)
    def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = _clean_validation_errors(list(exc.errors))
        # A body that is not JSON at all is reported as such rather than as a field error.
        if any(e["type"] == "json_invalid" or "JSON" in e["msg"] for e in errors) and len(errors) == 1:
            return respond(request, 400, error_body("Request body is not valid JSON.", "malformed_json", errors=errors))
        return respond(request, 422, error_body(_summarise(errors), "validation_error", errors=errors))

    @api.exception_handler(AuthenticationError)
    def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, error_body("Authentication credentials were missing, invalid or expired.", "not_authenticated"))

    @api.exception_handler(AuthorizationError)
    def _authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return respond(request, 403, error_body("You do not have permission to do this.", "permission_denied"))

    @api.exception_handler(Throttled)
    def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = respond(request, 429, error_body("Too many requests; try again later.", "throttled"))
        wait = getattr(exc, "wait", None)
        if wait:
            response["Retry-After"] = str(int(wait))
        return response

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "malformed_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}.get(
            exc.status_code, "error"
        )
        return respond(request, exc.status_code, error_body(str(exc.message), code))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("Not found.", "not_found"))

    @api.exception_handler(PermissionDenied)
    def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body(str(exc) or "You do not have permission to do this.", "permission_denied"))

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [{"loc": [field], "msg": " ".join(str(m) for e in errs for m in e.messages), "type": "value_error"} for field, errs in exc.error_dict.items()]
        else:
            errors = [{"loc": [], "msg": m, "type": "value_error"} for m in exc.messages]
        return respond(request, 422, error_body(_summarise(errors), "validation_error", errors=errors))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, error_body("Request body is too large.", "too_large"))

    @api.exception_handler(MultiPartParserError)
    def _malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # e.g. multipart/form-data without a boundary: the client's mistake, not the server's.
        return respond(request, 400, error_body(f"The multipart body could not be parsed: {exc}", "malformed_request"))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return respond(request, 500, error_body("Internal server error.", "server_error"))
