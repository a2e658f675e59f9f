"""Activities: charge a card and refund it (the saga's compensation)."""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger(__name__)


def charge(order_id: str, amount: str) -> dict:
    """Charge ``amount`` for ``order_id`` and return the charge record."""
    charge_id = "ch_" + hashlib.sha256(order_id.encode()).hexdigest()[:12]
    log.info("charged %s for order %s (%s)", amount, order_id, charge_id)
    return {"charge_id": charge_id, "amount": amount}


def refund(order_id: str, amount: str, charge: dict) -> dict:
    """Refund a charge made by `charge` (called with the same args plus its result)."""
    log.info("refunded %s for order %s (%s)", amount, order_id, charge["charge_id"])
    return {"refunded": charge["charge_id"]}
