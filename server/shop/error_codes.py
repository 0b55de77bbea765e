"""Machine-readable error codes of the shop app."""

from enum import StrEnum


class ShopError(StrEnum):
    PRODUCT_NOT_FOUND = "product_not_found"
    ORDER_NOT_FOUND = "order_not_found"
    UNKNOWN_PRODUCT = "unknown_product"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    OUT_OF_STOCK = "out_of_stock"
    EMPTY_CART = "empty_cart"
    CART_TOO_LARGE = "cart_too_large"
    QUANTITY_TOO_LARGE = "quantity_too_large"
    INVALID_QUANTITY = "invalid_quantity"
    MIXED_CURRENCIES = "mixed_currencies"
    INVALID_STATUS_TRANSITION = "invalid_status_transition"
    NOT_CANCELLABLE = "not_cancellable"
