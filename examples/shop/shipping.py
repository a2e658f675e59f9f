"""Activity: hand an order to the carrier."""

from __future__ import annotations

import hashlib
import os
import time


def ship(order_id: str, address: str) -> str:
    """Book a shipment and return its tracking number.

    ``SHOP_SHIP_DELAY`` (seconds) makes the carrier slow; `make demo` uses it to kill a
    worker while this activity runs.
    """
    delay = float(os.environ.get("SHOP_SHIP_DELAY", "0"))
    if delay:
        time.sleep(delay)
    return "TRK" + hashlib.sha256(f"{order_id}|{address}".encode()).hexdigest()[:10].upper()
