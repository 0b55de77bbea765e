"""Request and response schemas of the shop API (money in integer minor units)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import ModelSchema, Schema
from pydantic import Field

from core.schemas import StrictSchema
from shop.models import Category, Order, OrderLine, OrderStatus, Product
from shop.services import MAX_CART_LINES, MAX_LINE_QUANTITY


def _absolute_media_url(field: Any, context: Any) -> str | None:
    if not field:
        return None
    request = (context or {}).get("request")
    url = field.url
    return request.build_absolute_uri(url) if request is not None else url


class CategoryOut(ModelSchema):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]


class ProductOut(ModelSchema):
    category: str | None = Field(None, description="The category's slug (filter with ?category=<slug>).")
    image_url: str | None = None

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "price_minor", "currency", "stock", "active"]

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.slug if obj.category_id and obj.category else None

    @staticmethod
    def resolve_image_url(obj: Product, context: Any) -> str | None:
        return _absolute_media_url(obj.image, context)


class CartItemIn(StrictSchema):
    product_id: int = Field(ge=1, le=2**62)
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY, description=f"1 to {MAX_LINE_QUANTITY} per line.")


class OrderIn(StrictSchema):
    """A cart. Prices are never taken from the client: a price field is rejected as unknown."""

    items: list[CartItemIn] = Field(min_length=1, max_length=MAX_CART_LINES)


class OrderLineOut(ModelSchema):
    product_id: int | None
    name: str
    unit_price_minor: int
    line_total_minor: int

    class Meta:
        model = OrderLine
        fields = ["quantity"]

    @staticmethod
    def resolve_name(obj: OrderLine) -> str:
        return obj.product_name


class OrderOut(ModelSchema):
    lines: list[OrderLineOut]
    created_at: datetime
    tax_rate_percent: float

    class Meta:
        model = Order
        fields = ["id", "number", "status", "currency", "subtotal_minor", "tax_minor", "total_minor", "updated_at"]

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return list(obj.lines.all())


class OrderStatusIn(StrictSchema):
    status: OrderStatus


class OrderListFilters(Schema):
    scope: str = Field("mine", pattern="^(mine|all)$", description="'all' (admins only): every customer's orders.")
    status: OrderStatus | None = None


class ProductFilters(Schema):
    search: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=100, description="A category slug from GET /categories.")


class ClinicOut(Schema):
    """What the app shows before a purchase or a change: the clinic's contact and the rules it applies."""

    name: str
    address: str
    phone: str
    tax_rate_percent: str = Field(description="VAT added on top of net prices at checkout, a decimal string such as '19.00'")
    appointment_change_cutoff_hours: float = Field(description="Patients can reschedule or cancel online up to this many hours before the start")
