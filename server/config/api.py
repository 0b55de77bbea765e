"""The one NinjaAPI at /api/v1/, composed of one router per feature app."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from ninja import NinjaAPI

from accounts.api import router as accounts_router
from core.errors import install_error_handlers


class SkinScreenAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # verb_noun endpoint names become the operationIds (and the generated TypeScript names).
        return str(operation.view_func.__name__)


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
api.add_router("/auth/", accounts_router)

# Feature apps expose `api.router` (or `api.routers`: a list of (prefix, router)).
for _app in ("appointments", "notifications", "shop", "blog", "screening"):
    if _app not in settings.INSTALLED_APPS:
        continue
    _module = importlib.import_module(f"{_app}.api")
    for _prefix, _router in getattr(_module, "routers", [("/", getattr(_module, "router", None))]):
        if _router is not None:
            api.add_router(_prefix, _router)
