"""Routes under /api/v1/notifications: push devices and the in-app notification history."""

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from accounts.auth import jwt_auth
from core.auth import request_session_id, request_user
from core.pagination import Pages
from core.schemas import DbId, ErrorOut
from notifications import selectors, services
from notifications.models import Device, Notification
from notifications.schemas import DeviceIn, DeviceOut, NotificationOut

router = Router(auth=jwt_auth, tags=["notifications"])


@router.post("/notifications/devices", response={201: DeviceOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def register_device(request: HttpRequest, payload: DeviceIn) -> Status[Device]:
    device = services.device_register(
        user=request_user(request), token=payload.token, platform=payload.platform, session_id=request_session_id(request)
    )
    return Status(201, device)


@router.get("/notifications/devices", response={200: list[DeviceOut], 401: ErrorOut})
def list_devices(request: HttpRequest) -> list[Device]:
    return list(selectors.device_list(user=request_user(request)))


@router.delete("/notifications/devices/{token}", response={204: None, 401: ErrorOut})
def delete_device(request: HttpRequest, token: str) -> HttpResponse:
    services.device_remove(user=request_user(request), token=token)
    return HttpResponse(status=204)


@router.get("/notifications", response={200: list[NotificationOut], 401: ErrorOut})
@paginate(Pages)
def list_notifications(request: HttpRequest, unread: bool = False) -> list[Notification]:
    return selectors.notification_list(user=request_user(request), unread_only=unread)  # type: ignore[return-value]


@router.post("/notifications/read-all", response={204: None, 401: ErrorOut})
def read_all_notifications(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request_user(request))
    return HttpResponse(status=204)


@router.post("/notifications/{int:notification_id}/read", response={204: None, 401: ErrorOut, 404: ErrorOut})
def read_notification(request: HttpRequest, notification_id: DbId) -> HttpResponse:
    services.notification_mark_read(user=request_user(request), notification_id=notification_id)
    return HttpResponse(status=204)
