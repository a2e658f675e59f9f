"""Run due work synchronously, in the calling thread: deterministic unit tests without a worker.

>>> from continuum.testing.memory_store import InMemoryStore
>>> store = InMemoryStore()
>>> drain(store, Registry())  # nothing to do
[]
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime

from continuum.runtime.engine import Outcome, execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import Store
from continuum.runtime.worker import run_task

__all__ = ["Registry", "drain"]


def drain(
    store: Store,
    registry: Registry,
    *,
    queues: Collection[str] = ("default",),
    owner: str = "continuum-testing",
    lease_seconds: float = 30.0,
    short_wait: float = 0.0,
    clock: Callable[[], datetime] | None = None,
    max_rounds: int = 1000,
) -> list[Outcome]:
    """Execute every due run and queued task until nothing is due; return the run outcomes.

    ``short_wait=0`` makes every wait (retry backoff, timer) suspend instead of sleeping,
    so a test controls time through the store's clock.
    """
    now = clock or getattr(store, "clock", None) or (lambda: datetime.now(UTC))
    outcomes: list[Outcome] = []
    for _ in range(max_rounds):
        claimed = store.claim_runs(
            owner=owner,
            current_versions=registry.current,
            known_versions=registry.known_versions,
            limit=1,
            lease_seconds=lease_seconds,
        )
        for run, lease in claimed:
            outcomes.append(
                execute_run(
                    store, run, LeaseHandle(lease), registry, clock=now, short_wait=short_wait
                )
            )
        tasks = store.claim_tasks(owner=owner, queues=queues, limit=1, lease_seconds=lease_seconds)
        for task in tasks:
            result, error = run_task(store, task, lease_seconds)
            store.complete_task(task, result=result, error=error)
        if not claimed and not tasks:
            return outcomes
    raise RuntimeError(f"drain(): still busy after {max_rounds} rounds (a run loops forever?)")
