"""Deterministic pricing helpers used by workflow code (followed by `continuum check`)."""

from __future__ import annotations

from decimal import Decimal

FREE_SHIPPING_FROM = Decimal("50")


def shipping_fee(total: str) -> str:
    """Shipping is free from 50; otherwise a flat 4.90."""
    return "0" if Decimal(total) >= FREE_SHIPPING_FROM else "4.90"


def grand_total(total: str) -> str:
    """Order total plus shipping."""
    return str(Decimal(total) + Decimal(shipping_fee(total)))
