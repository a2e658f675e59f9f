from continuum import Workflow, start_child, timer


def follow_up(order):
    # Refers to the workflow class: in the frozen module that is the frozen copy.
    return start_child(CheckoutFlow, order, id="follow-up")


class CheckoutFlow(Workflow, workflow="app.flows:OrderFlow", retention=None):
    """Renamed from OrderFlow; keeps its logical identity and its runs."""

    def run(self, order):
        timer(10)
        if order.get("again"):
            follow_up(order)
        return order
# output
"""Frozen version 2ca1d0c47ad66813 of workflow app.flows:OrderFlow (built by continuum build)."""

from continuum import Workflow, start_child, timer


def follow_up(order):
    # Refers to the workflow class: in the frozen module that is the frozen copy.
    return start_child(CheckoutFlow, order, id="follow-up", _command=("start_child", "app.flows:OrderFlow", "follow_up", 6, "dc38f4ff"))


class CheckoutFlow(Workflow, workflow="app.flows:OrderFlow", retention=None):
    """Renamed from OrderFlow; keeps its logical identity and its runs."""

    def run(self, order):
        timer(10, _command=("timer", "app.flows:OrderFlow", "CheckoutFlow.run", 13, "1460cac5"))
        if order.get("again"):
            follow_up(order)
        return order


__continuum_workflow__ = {
    "workflow": "app.flows:OrderFlow",
    "source_module": "app.flows",
    "entrypoint": "CheckoutFlow",
    "version": 1,
    "retention": None,
    "snapshot_threshold": None,
    "signals": None,
    "patch_sites": [],
    "version_hash": "2ca1d0c47ad668137236b6cfa4a5dbd75934311c7f628cd1a883dc49cfbf5ad6",
    "hash_scheme": "continuum-hash-v1",
    "python": "<python>",
}
