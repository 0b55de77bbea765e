"""Machine-readable error codes of the notifications API."""

from enum import StrEnum


class NotificationsError(StrEnum):
    INVALID_PUSH_TOKEN = "invalid_push_token"
    INVALID_PLATFORM = "invalid_platform"
    PUSH_TOKEN_IN_USE = "push_token_in_use"
    NOTIFICATION_NOT_FOUND = "notification_not_found"
