"""Promotions. BROKEN: the discount depends on the wall clock at the time of the call.

A replay the next morning computes a different total than the recorded charge, so the
run drifts. `continuum check` reports it at the workflow's call site with the chain
``OrderFlow.run → broken_shop.pricing.grand_total → broken_shop.promotions.happy_hour_discount
→ datetime.now()``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def happy_hour_discount(total: Decimal) -> Decimal:
    """10% off between 17:00 and 18:00."""
    if datetime.now().hour == 17:
        return (total / 10).quantize(Decimal("0.01"))
    return Decimal("0")
