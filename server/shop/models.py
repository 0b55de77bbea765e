"""Shop data: categories, products with stock, orders with their lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    # A stock-keeping unit: a stable handle for the demo data, imports and the warehouse.
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Net price in minor units (cents) of `currency`; tax is added at checkout (SHOP_TAX_RATE_PERCENT).
    price_minor = models.IntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    # A plain integer with a CHECK constraint (not an unsigned column): an oversell attempt fails as a
    # constraint violation on every backend instead of an "out of range" error on MySQL only.
    stock = models.IntegerField(default=0)
    image = models.ImageField(upload_to="shop/products/", blank=True, null=True)
    active = models.BooleanField(default=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "name"])]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="shop_product_stock_non_negative"),
            models.CheckConstraint(condition=Q(price_minor__gte=0), name="shop_product_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    number = models.CharField(max_length=32, unique=True)
    # Orders are kept for bookkeeping when the account goes: the link is cut and the personal
    # snapshot below is blanked by the accounts delete hook.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    customer_name = models.CharField(max_length=150, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField()
    tax_rate_percent = models.DecimalField(max_digits=5, decimal_places=2)
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The database, not the queue, knows whether the receipt went out: a repeated task sends nothing twice.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    # A sender claims the receipt until then (render + send happen outside any transaction or row lock);
    # a sender that died leaves the claim to expire, and the next attempt sends it.
    receipt_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in OrderStatus]), name="shop_order_status_valid"),
            models.CheckConstraint(condition=Q(subtotal_minor__gte=0) & Q(tax_minor__gte=0), name="shop_order_amounts_non_negative"),
            models.CheckConstraint(condition=Q(total_minor=F("subtotal_minor") + F("tax_minor")), name="shop_order_total_is_sum"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # The product may be retired later; the line keeps what was sold at what price.
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines")
    product_name = models.CharField(max_length=200)
    product_sku = models.CharField(max_length=64)
    quantity = models.IntegerField()
    unit_price_minor = models.IntegerField()
    line_total_minor = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shop_orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_minor__gte=0), name="shop_orderline_price_non_negative"),
            models.CheckConstraint(
                condition=Q(line_total_minor=F("quantity") * F("unit_price_minor")), name="shop_orderline_total_is_product"
            ),
            models.UniqueConstraint(fields=["order", "product"], name="shop_orderline_product_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"
