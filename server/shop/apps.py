"""Shop: a small clinic catalogue, checkout that never oversells, orders with PDF receipts."""

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks
        from shop.services import orders_detach_user

        if orders_detach_user not in hooks.delete_hooks:
            hooks.delete_hooks.append(orders_detach_user)
