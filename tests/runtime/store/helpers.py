"""Small builders shared by the store tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from continuum.runtime.store.base import Lease, NewEvent, NewRun, RunRecord, Store

WORKFLOW = "shop.flows.orders:OrderFlow"
HASH = "a1b2c3"
CURRENT = {WORKFLOW: HASH}


def start(store: Store, run_id: str | None = None, **fields: Any) -> RunRecord:
    """Create a run of `WORKFLOW` (fresh id unless given) and return it."""
    new = NewRun(
        run_id=run_id or f"run-{uuid.uuid4().hex[:10]}",
        workflow=fields.pop("workflow", WORKFLOW),
        input=fields.pop("input", '{"order": 1}'),
        **fields,
    )
    record, created = store.create_run(new)
    assert created
    return record


def claim(
    store: Store, *, owner: str = "w1", limit: int = 10, lease_seconds: float = 30.0, **kw: Any
) -> list[tuple[RunRecord, Lease]]:
    """Claim with `CURRENT` versions unless overridden."""
    return store.claim_runs(
        owner=owner,
        current_versions=kw.pop("current_versions", CURRENT),
        known_versions=kw.pop("known_versions", ()),
        limit=limit,
        lease_seconds=lease_seconds,
    )


def claim_one(store: Store, run_id: str, **kw: Any) -> Lease:
    """Claim until ``run_id`` is among the claimed runs; fail if it is not due."""
    kw.setdefault("limit", 1000)  # other runs due in the same store must not crowd it out
    claimed = {record.run_id: lease for record, lease in claim(store, **kw)}
    assert run_id in claimed, f"{run_id} was not claimable; claimed {sorted(claimed)}"
    return claimed[run_id]


def claimable(store: Store, run_id: str, *, owner: str = "probe") -> bool:
    """Whether ``run_id`` is due now. Claims it (with a short lease) when it is."""
    return any(r.run_id == run_id for r, _ in claim(store, owner=owner, limit=1000))


def event(seq: int, kind: str = "activity_completed", payload: str = '{"ok": true}') -> NewEvent:
    """An event with a plausible command identity."""
    return NewEvent(seq, kind, ("activity", WORKFLOW, "OrderFlow.run", 10 + seq, "s1"), payload)


def past(seconds: float = 3600) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def future(seconds: float = 3600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def wait_ends_on(store: Store, action: Callable[[], object]) -> bool:
    """Whether a thread blocked in ``wait_for_work(120)`` returns because of ``action``.

    The waiter first absorbs notifications from the test's setup (they arrive within
    milliseconds of their commits), then blocks; ``action`` runs once it is blocking.
    """
    ready, done = threading.Event(), threading.Event()

    def waiter() -> None:
        store.wait_for_work(0.3)
        store.wait_for_work(0.3)
        ready.set()
        store.wait_for_work(120)
        done.set()

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    ready.wait(30)
    action()
    return done.wait(30)
