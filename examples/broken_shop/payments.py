"""Activities: charge a card and refund it (the saga's compensation)."""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger(__name__)


def charge(order_id: str, amount: str, idempotency_key: str = "") -> dict:
    """Charge ``amount`` for ``order_id`` once per ``idempotency_key``; return the charge."""
    key = idempotency_key or order_id
    charge_id = "ch_" + hashlib.sha256(key.encode()).hexdigest()[:12]
    log.info("charged %s for order %s (%s)", amount, order_id, charge_id)
    return {"charge_id": charge_id, "amount": amount}


def refund(order_id: str, amount: str, charge: dict, idempotency_key: str = "") -> dict:
    """Refund a charge made by `charge` (called with the same args plus its result)."""
    log.info("refunded %s for order %s (%s)", amount, order_id, charge["charge_id"])
    return {"refunded": charge["charge_id"]}
