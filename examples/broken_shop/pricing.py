"""Pricing helpers called from workflow code; one of them reaches a clock via promotions."""

from __future__ import annotations

from decimal import Decimal

from broken_shop.promotions import happy_hour_discount

FREE_SHIPPING_FROM = Decimal("50")


def shipping_fee(total: Decimal) -> Decimal:
    """Shipping is free from 50; otherwise a flat 4.90."""
    return Decimal("0") if total >= FREE_SHIPPING_FROM else Decimal("4.90")


def grand_total(subtotal: str) -> str:
    """Order total with the current promotion and shipping applied."""
    total = Decimal(subtotal) - happy_hour_discount(Decimal(subtotal))
    return str(total + shipping_fee(total))
