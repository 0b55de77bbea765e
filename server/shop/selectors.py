"""Shop reads: the public catalogue and a customer's (or an admin's) orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, QuerySet

from core.errors import Forbidden, NotFound
from core.permissions import is_admin
from shop.error_codes import ShopError
from shop.models import Category, Order, Product
from shop.money import tax_rate_percent

if TYPE_CHECKING:
    from accounts.models import User


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def product_list(*, search: str | None = None, category: str | None = None) -> QuerySet[Product]:
    """Active products, optionally filtered by a text search and a category slug."""
    qs = Product.objects.filter(active=True).select_related("category")
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(description__icontains=term) | Q(sku__iexact=term))
    if category:
        qs = qs.filter(category__slug=category.strip().lower())
    return qs.order_by("name", "id")


def product_get(*, product_id: int) -> Product:
    product = Product.objects.select_related("category").filter(pk=product_id, active=True).first()
    if product is None:
        raise NotFound("Product not found.", code=ShopError.PRODUCT_NOT_FOUND)
    return product


def order_list(*, user: User, scope: str = "mine", status: str | None = None) -> QuerySet[Order]:
    """A customer's order history, newest first; admins may ask for every customer's (scope='all')."""
    if scope == "all":
        if not is_admin(user):
            raise Forbidden("Only administrators can list every customer's orders.", code="permission_denied")
        qs = Order.objects.all()
    else:
        qs = Order.objects.filter(user=user)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("lines").order_by("-created_at", "-id")


def order_get(*, user: User, order_id: int, owner_only: bool = False) -> Order:
    """The owner's order; admins see any order unless owner_only. Others get 404, not 403."""
    qs = Order.objects.prefetch_related("lines")
    if owner_only or not is_admin(user):
        qs = qs.filter(user=user)
    order = qs.filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.", code=ShopError.ORDER_NOT_FOUND)
    return order


def clinic_info() -> dict[str, object]:
    """The clinic's contact and the rules the app states up front (tax added at checkout, change cutoff)."""
    return {
        "name": settings.CLINIC_NAME,
        "address": settings.CLINIC_ADDRESS,
        "phone": settings.CLINIC_PHONE,
        "tax_rate_percent": str(tax_rate_percent()),
        "appointment_change_cutoff_hours": float(settings.APPOINTMENT_CHANGE_CUTOFF_HOURS),
    }
