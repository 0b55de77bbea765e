"""The one NinjaAPI at /api/v1/, composed of one router per feature app."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from accounts.api import router as accounts_router
from appointments.api import router as appointments_router
from blog.api import router as blog_router
from core.errors import install_error_handlers
from core.openapi import add_error_responses
from core.schemas import ErrorOut
from notifications.api import router as notifications_router
from screening.api import models_router, screenings_router
from shop.api import router as shop_router


class SkinScreenAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # verb_noun endpoint names become the operationIds (and the generated TypeScript names).
        return str(operation.view_func.__name__)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        # The shared machinery's errors (401, 404, 422, 400, 413) on every operation that can give them.
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        add_error_responses(document, ErrorOut.model_json_schema())
        return document


api = SkinScreenAPI(
    title="Skin-lesion screening platform API",
    version="1.0.0",
    description=(
        "REST API of the skin-lesion screening platform. Screening results are screening aids, "
        "never diagnoses. Authenticate with `Authorization: Bearer <access token>` from /auth/login. "
        "Errors are JSON `{\"detail\": str, \"code\": str}`."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
# Every router, listed (not discovered): a feature app joins the API here.
api.add_router("/auth/", accounts_router)
api.add_router("/", appointments_router)
api.add_router("/", notifications_router)
api.add_router("/", shop_router)
api.add_router("/", blog_router)
api.add_router("/", screenings_router)
api.add_router("/", models_router)
