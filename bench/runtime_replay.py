"""Replay cost: microseconds per journal event when a run with a long history wakes up.

`LongHistory` (``bench/apps/continuum_app``) journals N no-op activities, then waits
for ``poke`` signals in a loop. Each measured wake sends one ``poke`` and executes the
run as a worker would (`execute_run`): read the journal (the snapshot row plus the
events after it, or every row), replay every recorded event from the top (identity
check and decoding of each result), journal the signal, suspend again. The time per
wake divided by the journal's length is the figure.

- On the in-memory store the figure is the engine's own cost (no I/O).
- On Postgres it includes reading the journal, which is what snapshots save.

`LongHistory` is snapshotted after 1,000 events (the default threshold);
`LongHistoryNoSnapshot` never is.
"""

from __future__ import annotations

import statistics
import time

from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import Store
from continuum.testing.drive import drain

FLOWS = {
    True: "benchflows.flows:LongHistory",
    False: "benchflows.flows:LongHistoryNoSnapshot",
}


def build_history(store: Store, registry: Registry, events: int, *, snapshot: bool) -> str:
    """Start a long-history run and execute it up to its first wait; its run id."""
    run_id = Client(store=store).start(FLOWS[snapshot], events)
    drain(store, registry)  # the N activities run live, then the run suspends
    return run_id


def wake_us_per_event(
    store: Store, registry: Registry, run_id: str, repeats: int
) -> tuple[float, int]:
    """Median µs per journal event over ``repeats`` wakes of ``run_id``; the journal length."""
    client = Client(store=store)
    samples = []
    journal = 0
    for _ in range(repeats):
        client.signal(run_id, "poke", "again")
        claimed = store.claim_runs(
            owner="bench-replay",
            current_versions=registry.current,
            known_versions=registry.known_versions,
            limit=1,
            lease_seconds=120,
        )
        if len(claimed) != 1:
            raise RuntimeError(f"run {run_id} did not wake up on its signal")
        run, lease = claimed[0]
        journal = len(client.history(run_id))
        started = time.perf_counter()
        outcome = execute_run(store, run, LeaseHandle(lease), registry)
        elapsed = time.perf_counter() - started
        if outcome.status != "suspended":
            raise RuntimeError(f"replay of run {run_id} ended {outcome.status}: {outcome.error}")
        samples.append(elapsed / journal * 1e6)
    return statistics.median(samples), journal
