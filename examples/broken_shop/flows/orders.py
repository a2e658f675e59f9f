"""The order workflow, with the mistakes `continuum check` exists to catch."""

from __future__ import annotations

import time
import uuid

from broken_shop import payments, pricing, shipping, validation
from broken_shop.notifications import send_email
from continuum import Retry, Workflow, activity, await_signal, compensate, days, hours


class OrderFlow(Workflow, version=1, retention=days(30), signals=["fraud_review"]):
    """An order from checkout to shipment."""

    def run(self, order: dict) -> dict:
        subtotal = activity(validation.check, order["items"])
        total = pricing.grand_total(subtotal)  # CN101 through two helper modules
        print("charging", order["id"], total)  # CN106: printed again on every replay
        charge = activity(
            payments.charge,
            order["id"],
            total,
            idempotency_key=str(uuid.uuid4()),  # CN103: a new key on every replay
            retry=Retry(max_attempts=5, backoff="exponential"),
            compensate=payments.refund,
        )
        try:
            decision = await_signal("fraud_review", timeout=hours(24))
        # CN201: a bare except also swallows the runtime's Suspend.
        except:  # noqa: E722
            decision = "approved"
        if decision == "rejected":
            compensate(charge)
            self.notify(order, "order-rejected")
            return {"status": "rejected", "order": order["id"]}
        time.sleep(2)  # CN104: "let the warehouse catch up" blocks a worker
        tracking = activity(shipping.ship, order["id"], order["address"])
        self.notify(order, "order-shipped")
        return {"status": "shipped", "order": order["id"], "total": total, "tracking": tracking}

    def notify(self, order: dict, template: str) -> None:
        """Mail every distinct address on the order."""
        for email in {order["email"], *order.get("cc", [])}:  # CN206: set order varies
            activity(send_email, email, template, {"order": order["id"]})
