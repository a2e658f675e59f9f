"""Replay cost: microseconds per journal event when a run with a long history wakes up.

`LongHistory` (``bench/apps/continuum_app``) journals N no-op activities, then waits
for a signal with a one-day timeout, in a loop. Each measured wake moves the store's
clock past the timeout and executes the run as a worker would (`execute_run`): load
the journal, replay every recorded event from the top (identity check and decoding of
each result), journal the timeout, suspend again. The time per wake divided by the
events replayed is the figure. The store is the in-memory one, so the figure is the
engine's own cost, without Postgres reading the journal.

Snapshots (resume without replaying from the top) do not exist yet.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore

LONG_HISTORY = "benchflows.flows:LongHistory"


def replay_us_per_event(registry: Registry, events: int, repeats: int) -> tuple[float, int]:
    """Median µs per replayed event over ``repeats`` wakes; and the journal length."""
    moment = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = InMemoryStore(clock=lambda: moment[0])
    run_id = Client(store=store).start(LONG_HISTORY, events)
    drain(store, registry)  # runs the N activities live, then suspends on the signal
    samples = []
    journal = 0
    for _ in range(repeats):
        moment[0] += timedelta(days=2)
        claimed = store.claim_runs(
            owner="bench",
            current_versions=registry.current,
            known_versions=registry.known_versions,
            limit=1,
            lease_seconds=60,
        )
        if len(claimed) != 1:
            raise RuntimeError(f"the {events}-event run did not wake up")
        run, lease = claimed[0]
        journal = len(store.load_events(run_id))
        started = time.perf_counter()
        outcome = execute_run(store, run, LeaseHandle(lease), registry, clock=lambda: moment[0])
        elapsed = time.perf_counter() - started
        if outcome.status != "suspended":
            raise RuntimeError(f"replay of {events} events ended {outcome.status}: {outcome.error}")
        samples.append(elapsed / journal * 1e6)
    return statistics.median(samples), journal
