"""Notifications: Expo push devices, reminder rows swept by huey, and the in-app history."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks
        from notifications.services import devices_remove_for_session

        # Signing out of a device stops pushes to it and frees its token; the app registers again after login.
        if devices_remove_for_session not in hooks.logout_hooks:
            hooks.logout_hooks.append(devices_remove_for_session)
