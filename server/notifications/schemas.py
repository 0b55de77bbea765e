"""Request and response schemas of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import ModelSchema
from pydantic import Field

from core.schemas import StrictSchema
from notifications.models import Device, Notification, Platform
from notifications.push import TOKEN_RE


class DeviceIn(StrictSchema):
    # The pattern and the enum are stated for clients; the service checks them with its own codes
    # (invalid_push_token, invalid_platform).
    token: str = Field(max_length=255, json_schema_extra={"pattern": TOKEN_RE.pattern}, description="Expo push token, ExponentPushToken[...]")
    platform: str = Field(max_length=16, json_schema_extra={"enum": list(Platform.values)}, description="ios, android or web")


class DeviceOut(ModelSchema):
    class Meta:
        model = Device
        fields = ["id", "token", "platform", "is_active", "created_at"]


class NotificationOut(ModelSchema):
    read: bool
    sent_at: datetime | None
    data: dict[str, Any] = Field(description="What to open: `type` and ids (appointment_id, lesion_id, screening_id, review_id).")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "status", "created_at", "sent_at"]

    @staticmethod
    def resolve_read(obj: Notification) -> bool:
        return obj.read_at is not None
