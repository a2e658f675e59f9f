"""Same-module helpers and constants are frozen; classes are imported; unused code is not copied."""

from __future__ import annotations

from decimal import Decimal

from continuum import Workflow, activity, days
from app import acts

FEE = Decimal("1.50")
UNUSED = 42


class Rejected(Exception):
    """Raised by an activity; must keep its identity, so it is imported."""


def with_fee(amount: str) -> str:
    # Comments above a copied definition are kept.
    return str(Decimal(amount) + FEE)


def unrelated() -> int:
    return UNUSED


class Flow(Workflow, version=2, retention=days(7)):
    """Charge with a fee."""

    def run(self, order: dict) -> dict:
        try:
            total = activity(acts.price, order["items"])
        except Rejected:
            return {"status": "rejected"}
        return {"total": with_fee(total)}
# output
"""Frozen version 296ce8e347ce79eb of workflow app.flows:Flow (built by continuum build)."""

from __future__ import annotations

from decimal import Decimal

from continuum import Workflow, activity, days

from app import acts
from app.flows import Rejected

FEE = Decimal("1.50")


def with_fee(amount: str) -> str:
    # Comments above a copied definition are kept.
    return str(Decimal(amount) + FEE)


class Flow(Workflow, version=2, retention=days(7), workflow="app.flows:Flow"):
    """Charge with a fee."""

    def run(self, order: dict) -> dict:
        try:
            total = activity(acts.price, order["items"], _command=("activity", "app.flows:Flow", "Flow.run", 32, "305337b7"))
        except Rejected:
            return {"status": "rejected"}
        return {"total": with_fee(total)}


__continuum_workflow__ = {
    "workflow": "app.flows:Flow",
    "source_module": "app.flows",
    "entrypoint": "Flow",
    "version": 2,
    "retention": 604800.0,
    "snapshot_threshold": None,
    "signals": None,
    "patch_sites": [],
    "version_hash": "296ce8e347ce79ebb372ce0314a4a6121f5604e7eadf0c3d3d86957fc57d3222",
    "hash_scheme": "continuum-hash-v1",
    "python": "<python>",
}
