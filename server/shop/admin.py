"""Admin for the catalogue, stock and orders; stock changes go through atomic services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import ApplicationError
from shop import services
from shop.models import Category, Order, OrderLine, OrderStatus, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ("name",)}


class ProductForm(forms.ModelForm):
    stock_adjustment = forms.IntegerField(
        required=False,
        initial=0,
        help_text="Add (positive) or remove (negative) units. Applied atomically, so checkouts in flight are never lost.",
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price_minor", "currency", "category", "image", "active"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["name", "sku", "category", "price_minor", "currency", "stock", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "sku", "description"]
    readonly_fields = ["stock", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        delta = form.cleaned_data.get("stock_adjustment") or 0
        if change:
            # Never write the stock column from a possibly stale form: checkouts change it concurrently.
            obj.save(update_fields=[f for f in ProductForm.Meta.fields] + ["updated_at"])
        else:
            obj.stock = 0
            obj.save()
        if delta:
            try:
                obj.stock = services.product_adjust_stock(product_id=obj.pk, delta=delta)
            except ApplicationError as exc:
                messages.error(request, exc.message)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product", "product_name", "product_sku", "quantity", "unit_price_minor", "line_total_minor"]
    readonly_fields = ["product", "product_name", "product_sku", "quantity", "unit_price_minor", "line_total_minor"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _status_action(status: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset:
            try:
                services.order_set_status(actor=request.user, order_id=order.pk, status=status)  # type: ignore[arg-type]
                done += 1
            except ApplicationError as exc:
                messages.warning(request, f"{order.number}: {exc.message}")
        if done:
            messages.success(request, f"{done} order(s) marked {status}.")

    action.__name__ = f"mark_{status}"
    action.short_description = f"Mark selected orders as {status}"  # type: ignore[attr-defined]
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer_email", "status", "total_minor", "currency", "created_at", "receipt_sent_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "customer_email", "customer_name"]
    inlines = [OrderLineInline]
    actions = [_status_action(s) for s in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED)]
    readonly_fields = [
        "number",
        "user",
        "customer_name",
        "customer_email",
        "status",
        "currency",
        "subtotal_minor",
        "tax_rate_percent",
        "tax_minor",
        "total_minor",
        "created_at",
        "updated_at",
        "receipt_sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from checkout, with stock taken atomically
