"""Accounts: users with e-mail login, roles and JWT sessions."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import lockout  # noqa: F401  (connects the lockout signal receiver)
