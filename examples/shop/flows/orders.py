"""The order workflow: validate, charge, wait for fraud review, ship or refund."""

from __future__ import annotations

from continuum import Retry, Workflow, activity, await_signal, compensate, days, hours
from shop import payments, pricing, shipping, validation
from shop.notifications import send_email


class OrderFlow(Workflow, version=1, retention=days(30), signals=["fraud_review"]):
    """An order from checkout to shipment."""

    def run(self, order: dict) -> dict:
        subtotal = activity(validation.check, order["items"])
        total = pricing.grand_total(subtotal)
        charge = activity(
            payments.charge,
            order["id"],
            total,
            retry=Retry(max_attempts=5, backoff="exponential"),
            compensate=payments.refund,
        )
        decision = await_signal("fraud_review", timeout=hours(24))
        if decision == "rejected":
            compensate(charge)
            activity(send_email, order["email"], "order-rejected", {"order": order["id"]})
            return {"status": "rejected", "order": order["id"]}
        tracking = activity(shipping.ship, order["id"], order["address"])
        activity(send_email, order["email"], "order-shipped", {"tracking": tracking})
        return {"status": "shipped", "order": order["id"], "total": total, "tracking": tracking}
