"""Routes under /api/v1/auth/: thin wrappers that authenticate, parse, call one service."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Router, Status

from accounts import privacy, services
from accounts.auth import jwt_auth
from accounts.models import User
from accounts.schemas import (
    ChangePasswordIn,
    DeleteAccountIn,
    LoginIn,
    LoginOut,
    MePatch,
    RefreshIn,
    RegisterIn,
    TokenPairOut,
    UserOut,
)
from core.auth import request_user
from core.schemas import ErrorOut
from core.throttling import throttle

router = Router(tags=["auth"])


@router.post("/register", response={201: UserOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def register_user(request: HttpRequest, payload: RegisterIn) -> Status[User]:
    throttle(request, "register")
    user = services.user_register(**payload.dict())
    return Status(201, user)


@router.post("/login", response={200: LoginOut, 401: ErrorOut, 429: ErrorOut})
def login_user(request: HttpRequest, payload: LoginIn) -> dict[str, object]:
    throttle(request, "login")
    user, pair = services.session_login(request=request, email=payload.email, password=payload.password)
    return {"access": pair.access, "refresh": pair.refresh, "user": user}


@router.post("/refresh", response={200: TokenPairOut, 401: ErrorOut})
def refresh_token(request: HttpRequest, payload: RefreshIn) -> services.TokenPair:
    return services.session_refresh(refresh=payload.refresh)


@router.post("/logout", auth=jwt_auth, response={204: None, 401: ErrorOut})
def logout_user(request: HttpRequest, payload: RefreshIn) -> HttpResponse:
    services.session_logout(user=request_user(request), refresh=payload.refresh)
    return HttpResponse(status=204)


@router.get("/me", auth=jwt_auth, response={200: UserOut, 401: ErrorOut})
def get_me(request: HttpRequest) -> User:
    return request_user(request)


@router.get("/me/export", auth=jwt_auth, response={200: None, 401: ErrorOut, 429: ErrorOut})
def export_my_data(request: HttpRequest) -> FileResponse:
    """Everything the platform holds about you as one zip: `data.json` and `photos/<screening id>.jpg`
    (re-encoded, no metadata). Limited to PRIVACY_EXPORT_RATE per account (429 `export_throttled`)."""
    export = privacy.user_export(user=request_user(request))
    response = FileResponse(export.file, as_attachment=True, filename=export.filename, content_type="application/zip")
    response["Content-Length"] = str(export.size)
    response["Cache-Control"] = "no-store"
    return response


@router.patch("/me", auth=jwt_auth, response={200: UserOut, 401: ErrorOut, 422: ErrorOut})
def update_me(request: HttpRequest, payload: MePatch) -> User:
    return services.user_update_profile(user=request_user(request), data=payload.dict(exclude_unset=True))


@router.post("/change-password", auth=jwt_auth, response={200: TokenPairOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def change_password(request: HttpRequest, payload: ChangePasswordIn) -> services.TokenPair:
    return services.user_change_password(
        user=request_user(request), current_password=payload.current_password, new_password=payload.new_password
    )


@router.post("/delete-account", auth=jwt_auth, response={204: None, 401: ErrorOut, 403: ErrorOut})
def delete_account(request: HttpRequest, payload: DeleteAccountIn) -> HttpResponse:
    services.user_delete(user=request_user(request), password=payload.password)
    return HttpResponse(status=204)
