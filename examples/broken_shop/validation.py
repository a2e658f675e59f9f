"""Activity: check an order's items against the catalogue and price them."""

from __future__ import annotations

from decimal import Decimal

CATALOGUE = {"book": Decimal("12.50"), "lamp": Decimal("40.00"), "mug": Decimal("8.00")}


class InvalidOrder(Exception):
    """The order cannot be fulfilled; retrying will not help."""


def check(items: list[dict]) -> str:
    """Validate the items and return the order total as a string (JSON-friendly)."""
    if not items:
        raise InvalidOrder("an order needs at least one item")
    total = Decimal("0")
    for item in items:
        sku, quantity = item["sku"], int(item.get("quantity", 1))
        if sku not in CATALOGUE:
            raise InvalidOrder(f"unknown item {sku!r}")
        if quantity < 1:
            raise InvalidOrder(f"bad quantity {quantity} for {sku!r}")
        total += CATALOGUE[sku] * quantity
    return str(total)
