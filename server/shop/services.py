"""Shop writes: checkout that never oversells, cancellation, fulfilment status, receipts, stock."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import idempotency
from core.db import retry_on_deadlock
from core.errors import Conflict, Forbidden, NotFound, Unprocessable
from core.permissions import is_admin
from core.tasks import enqueue_after_commit
from shop.error_codes import ShopError
from shop.models import Order, OrderLine, OrderStatus, Product
from shop.money import format_minor, tax_for, tax_rate_percent

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

MAX_CART_LINES = 50
MAX_LINE_QUANTITY = 100
# The operation an Idempotency-Key of a checkout belongs to (core.idempotency).
CREATE_ORDER = "create_order"
_BUSY = "The shop is very busy right now; please try again in a moment."

# Allowed fulfilment steps (admins); the customer may only cancel while pending.
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.DELIVERED: set(),
    OrderStatus.CANCELLED: set(),
}
_ORDER_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int


def normalise_cart(items: Iterable[CartLine | tuple[int, int]]) -> list[CartLine]:
    """Merge repeated products, validate quantities, and sort by product id (the lock order)."""
    merged: dict[int, int] = {}
    for item in items:
        line = item if isinstance(item, CartLine) else CartLine(*item)
        if line.quantity < 1:
            raise Unprocessable(f"Quantity for product {line.product_id} must be at least 1.", code=ShopError.INVALID_QUANTITY)
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    if not merged:
        raise Unprocessable("The cart is empty.", code=ShopError.EMPTY_CART)
    if len(merged) > MAX_CART_LINES:
        raise Unprocessable(f"A cart holds at most {MAX_CART_LINES} different products.", code=ShopError.CART_TOO_LARGE)
    for product_id, quantity in merged.items():
        if quantity > MAX_LINE_QUANTITY:
            raise Unprocessable(
                f"At most {MAX_LINE_QUANTITY} of one product per order (product {product_id}: {quantity}).",
                code=ShopError.QUANTITY_TOO_LARGE,
                extra={"product_id": product_id, "max_quantity": MAX_LINE_QUANTITY},
            )
    return [CartLine(pid, merged[pid]) for pid in sorted(merged)]


def _new_order_number() -> str:
    suffix = "".join(secrets.choice(_ORDER_NUMBER_ALPHABET) for _ in range(8))
    return f"SS-{timezone.now():%y%m%d}-{suffix}"


def _take_stock(line: CartLine) -> None:
    """Decrement stock only if enough is left (one conditional UPDATE); otherwise say exactly why not."""
    for _ in range(3):
        try:
            taken = Product.objects.filter(pk=line.product_id, active=True, stock__gte=line.quantity).update(
                stock=F("stock") - line.quantity, updated_at=timezone.now()
            )
        except IntegrityError as exc:  # the CHECK (stock >= 0) backstop fired: treat as sold out
            logger.error("stock check constraint fired for product %s: %s", line.product_id, exc)
            taken = 0
        if taken:
            return
        current = Product.objects.filter(pk=line.product_id).values("name", "stock", "active").first()
        if current is None:
            raise Unprocessable(
                f"Product {line.product_id} does not exist.", code=ShopError.UNKNOWN_PRODUCT, extra={"product_id": line.product_id}
            )
        if not current["active"]:
            raise Unprocessable(
                f"'{current['name']}' is no longer sold.", code=ShopError.PRODUCT_UNAVAILABLE, extra={"product_id": line.product_id}
            )
        if current["stock"] < line.quantity:
            left = max(int(current["stock"]), 0)
            raise Conflict(
                f"Only {left} of '{current['name']}' left (you asked for {line.quantity}).",
                code=ShopError.OUT_OF_STOCK,
                extra={"product_id": line.product_id, "product_name": current["name"], "available": left, "requested": line.quantity},
            )
        # Stock came back between the UPDATE and the read (a cancellation): try again.
    raise Conflict("Stock is changing fast; please try again.", code=ShopError.OUT_OF_STOCK, extra={"product_id": line.product_id})


@transaction.atomic
def _place_once(*, user: User, cart: list[CartLine]) -> Order:
    # Rows are locked in ascending product id order (the cart is sorted), so two carts never wait on
    # each other in a cycle.
    for line in cart:
        _take_stock(line)
    # We hold the row locks now: these prices are the ones the stock was taken at.
    products = {p.pk: p for p in Product.objects.filter(pk__in=[line.product_id for line in cart])}
    currencies = {p.currency for p in products.values()}
    if len(currencies) != 1:
        raise Unprocessable("Products priced in different currencies must be ordered separately.", code=ShopError.MIXED_CURRENCIES)

    rate = tax_rate_percent()
    subtotal = sum(products[line.product_id].price_minor * line.quantity for line in cart)
    tax = tax_for(subtotal, rate)
    order = Order.objects.create(
        number=_new_order_number(),
        user=user,
        customer_name=user.full_name or user.email,
        customer_email=user.email,
        status=OrderStatus.PENDING,
        currency=currencies.pop(),
        subtotal_minor=subtotal,
        tax_rate_percent=rate,
        tax_minor=tax,
        total_minor=subtotal + tax,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product_id=line.product_id,
                product_name=products[line.product_id].name,
                product_sku=products[line.product_id].sku,
                quantity=line.quantity,
                unit_price_minor=products[line.product_id].price_minor,
                line_total_minor=products[line.product_id].price_minor * line.quantity,
            )
            for line in cart
        ]
    )
    from shop.tasks import send_order_receipt

    # A queue outage must not turn a committed order into an error; the sweeper sends it later.
    enqueue_after_commit(send_order_receipt, order.pk)
    return order


def order_place(*, user: User, items: Iterable[CartLine | tuple[int, int]]) -> Order:
    """Turn a cart into a pending order in one transaction.

    Prices come from the database. Stock is taken with conditional UPDATEs in product id order, so it
    never goes negative (the CHECK constraint is the backstop) and carts never deadlock each other;
    a deadlock from elsewhere is retried. The receipt is e-mailed after commit. The API makes a
    checkout idempotent per Idempotency-Key (core.idempotency) around this call.
    """
    cart = normalise_cart(items)
    return retry_on_deadlock(lambda: _place_once(user=user, cart=cart), what="checkout", busy_message=_BUSY)


def _restock(order: Order) -> None:
    for line in sorted(order.lines.exclude(product=None), key=lambda x: x.product_id or 0):
        if line.product_id is None:
            continue
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity, updated_at=timezone.now())


def _set_status(*, order_id: int, new_status: str, user: User | None, owner_only: bool) -> Order:
    with transaction.atomic():
        qs = Order.objects.select_for_update()
        if owner_only:
            assert user is not None
            qs = qs.filter(user=user)
        order = qs.filter(pk=order_id).first()
        if order is None:
            raise NotFound("Order not found.", code=ShopError.ORDER_NOT_FOUND)
        if owner_only and order.status != OrderStatus.PENDING:
            raise Conflict(
                f"Only pending orders can be cancelled; this order is {order.status}.",
                code=ShopError.NOT_CANCELLABLE,
                extra={"status": order.status},
            )
        if new_status == order.status and new_status != OrderStatus.CANCELLED:
            return order  # setting the current status again is a no-op, not an error
        if new_status not in TRANSITIONS[order.status]:
            raise Conflict(
                f"An order that is {order.status} cannot become {new_status}.",
                code=ShopError.INVALID_STATUS_TRANSITION,
                extra={"status": order.status, "allowed": sorted(TRANSITIONS[order.status])},
            )
        if new_status == OrderStatus.CANCELLED:
            _restock(order)
        order.status = new_status
        order.save(update_fields=["status", "updated_at"])
        return order


def order_cancel(*, user: User, order_id: int) -> Order:
    """The customer cancels their own pending order; its stock goes back on the shelf."""
    return retry_on_deadlock(lambda: _set_status(order_id=order_id, new_status=OrderStatus.CANCELLED, user=user, owner_only=True), what="cancel", busy_message=_BUSY)


def order_set_status(*, actor: User, order_id: int, status: str) -> Order:
    """Admins move an order through fulfilment; cancelling (pending or paid) returns the stock."""
    if not is_admin(actor):
        raise Forbidden("Only administrators change order status.", code="permission_denied")
    if status not in TRANSITIONS:
        raise Unprocessable(f"Unknown status '{status}'.", code=ShopError.INVALID_STATUS_TRANSITION)
    return retry_on_deadlock(lambda: _set_status(order_id=order_id, new_status=status, user=actor, owner_only=False), what="set status", busy_message=_BUSY)


# How long a sender owns a receipt it claimed (rendering + the SMTP timeout, with room to spare).
RECEIPT_CLAIM = timedelta(minutes=5)


def _receipt_claim(order_id: int) -> Order | None:
    """Claim the unsent receipt with one conditional UPDATE (its own short transaction); None if not ours."""
    now = timezone.now()
    claimed = (
        Order.objects.filter(pk=order_id, receipt_sent_at__isnull=True)
        .exclude(customer_email="")
        .filter(Q(receipt_claimed_until__isnull=True) | Q(receipt_claimed_until__lt=now))
        .update(receipt_claimed_until=now + RECEIPT_CLAIM)
    )
    return Order.objects.prefetch_related("lines").get(pk=order_id) if claimed else None


def order_send_receipt(*, order_id: int) -> bool:
    """E-mail the PDF receipt once; the order row, not the queue, records that it went out.

    The receipt is claimed with a conditional UPDATE, then rendered and sent with no transaction open
    and no row locked, so a slow PDF or a slow mail server never holds up a cancellation or a status
    change of the order, and a failure there changes nothing but the claim (released for the retry and
    the sweeper). Called by the task that checkout enqueues after its commit.
    """
    from shop.receipts import render_receipt_pdf

    order = _receipt_claim(order_id)
    if order is None:
        return False
    try:
        clinic = settings.CLINIC_NAME
        body = (
            f"Hello {order.customer_name},\n\n"
            f"thank you for your order {order.number} at {clinic}.\n"
            f"Total: {format_minor(order.total_minor, order.currency)} (incl. tax).\n"
            "Your receipt is attached as a PDF.\n\n"
            f"{clinic}\n"
        )
        message = EmailMessage(subject=f"Your receipt for order {order.number}", body=body, to=[order.customer_email])
        message.attach(f"receipt-{order.number}.pdf", render_receipt_pdf(order), "application/pdf")
        message.send(fail_silently=False)
    except BaseException:
        Order.objects.filter(pk=order_id, receipt_sent_at__isnull=True).update(receipt_claimed_until=None)
        raise
    Order.objects.filter(pk=order_id).update(receipt_sent_at=timezone.now(), receipt_claimed_until=None)
    return True


def order_receipts_due(*, older_than: timedelta = timedelta(minutes=10), within: timedelta = timedelta(days=7)) -> list[int]:
    """Orders whose receipt e-mail never went out (a lost queue message): the sweeper's work list."""
    now = timezone.now()
    return list(
        Order.objects.filter(receipt_sent_at__isnull=True, created_at__lte=now - older_than, created_at__gte=now - within)
        .exclude(customer_email="")
        .exclude(status=OrderStatus.CANCELLED)
        .values_list("pk", flat=True)[:500]
    )


def checkout_keys_purge(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Forget checkout idempotency keys after a month (their orders stay); a retry that late is a new checkout."""
    return idempotency.keys_purge(endpoints=[CREATE_ORDER], older_than=older_than)


def orders_detach_user(user: User) -> None:
    """Account deletion hook: cancel pending orders (stock returns), keep the rest anonymised."""
    for order in Order.objects.select_for_update().filter(user=user, status=OrderStatus.PENDING):
        _restock(order)
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
    Order.objects.filter(user=user).update(user=None, customer_name="Deleted account", customer_email="", updated_at=timezone.now())


@transaction.atomic
def product_adjust_stock(*, product_id: int, delta: int) -> int:
    """Add (or with a negative delta, remove) stock atomically; never below zero. Returns the new stock."""
    if delta < 0:
        changed = Product.objects.filter(pk=product_id, stock__gte=-delta).update(stock=F("stock") + delta, updated_at=timezone.now())
        if not changed:
            current = Product.objects.filter(pk=product_id).values_list("stock", flat=True).first()
            if current is None:
                raise NotFound("Product not found.", code=ShopError.PRODUCT_NOT_FOUND)
            raise Conflict(f"Cannot remove {-delta}: only {current} in stock.", code=ShopError.OUT_OF_STOCK, extra={"available": current})
    else:
        changed = Product.objects.filter(pk=product_id).update(stock=F("stock") + delta, updated_at=timezone.now())
        if not changed:
            raise NotFound("Product not found.", code=ShopError.PRODUCT_NOT_FOUND)
    return int(Product.objects.filter(pk=product_id).values_list("stock", flat=True).get())
