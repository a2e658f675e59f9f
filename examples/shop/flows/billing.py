"""Monthly billing: a parent workflow fans out one child invoice run per customer."""

from __future__ import annotations

from decimal import Decimal

from continuum import Retry, Workflow, activity, await_child, start_child
from shop import payments, pricing
from shop.notifications import send_email


class InvoiceFlow(Workflow, version=1):
    """Charge one customer's monthly invoice and mail the receipt."""

    def run(self, invoice: dict) -> dict:
        amount = pricing.grand_total(invoice["subtotal"])
        charge = activity(payments.charge, invoice["id"], amount, retry=Retry(max_attempts=3))
        activity(send_email, invoice["email"], "invoice", {"invoice": invoice["id"]})
        return {"invoice": invoice["id"], "amount": amount, "charge": charge["charge_id"]}


class MonthlyBillingFlow(Workflow, version=1):
    """Start every invoice of the month as a child run, then wait for all of them."""

    def run(self, batch: dict) -> dict:
        children = [
            start_child(InvoiceFlow, invoice, id=invoice["id"]) for invoice in batch["invoices"]
        ]
        receipts = [await_child(child) for child in children]
        total = sum((Decimal(r["amount"]) for r in receipts), Decimal("0"))
        return {"month": batch["month"], "invoices": len(receipts), "total": str(total)}
