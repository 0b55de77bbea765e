"""Money in integer minor units: tax from the configured rate, formatting for receipts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

# ISO 4217 currencies without a minor unit; everything else here has two decimals.
_ZERO_DECIMAL = {"JPY", "KRW", "ISK", "CLP", "VND"}


def tax_rate_percent() -> Decimal:
    """SHOP_TAX_RATE_PERCENT (default 19, German VAT); prices are net and tax is added on top."""
    raw = settings.SHOP_TAX_RATE_PERCENT
    rate = Decimal(str(raw))
    if rate < 0 or rate >= 100:
        raise ValueError(f"SHOP_TAX_RATE_PERCENT must be in [0, 100), got {raw!r}")
    return rate.quantize(Decimal("0.01"))


def tax_for(subtotal_minor: int, rate_percent: Decimal) -> int:
    """Tax on a net amount in minor units, rounded half up to a whole minor unit."""
    return int((Decimal(subtotal_minor) * rate_percent / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minor(amount_minor: int, currency: str) -> str:
    """12345, "EUR" -> "123.45 EUR"."""
    if currency.upper() in _ZERO_DECIMAL:
        return f"{amount_minor:,} {currency}"
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency}"
