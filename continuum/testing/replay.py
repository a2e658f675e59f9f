"""Replay a recorded history against the current code: does a run in flight still fit?

`replay_run` loads one run's journal into a store (an `InMemoryStore` unless one is
given), lets the engine replay it with the given registry and reports how it ended.
Drift raises `ReplayDriftError`. A history that replays cleanly reaches its recorded
status and result without journaling anything new; `ReplayResult.new_events` shows
anything the current code added at the tail.

>>> from continuum import Workflow
>>> class Hello(Workflow, workflow="docs.hello:Hello"):
...     def run(self, name):
...         return f"hello {name}"
>>> replay_run(Registry.from_classes(Hello), RecordedRun("r1", "docs.hello:Hello", '"ada"', ())).result
'"hello ada"'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from continuum.runtime.engine import execute_run
from continuum.runtime.errors import ReplayDriftError
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import DRIFTED, Event, NewEvent, NewRun, Store

from .memory_store import InMemoryStore

__all__ = ["RecordedRun", "Registry", "ReplayResult", "replay_run"]


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """One run's recorded history (as `Client.history` returns it) and its start data."""

    run_id: str
    workflow: str
    #: The run's input as stored (codec JSON text).
    input: str
    events: Sequence[Event]
    namespace: str = "default"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    correlation_id: str | None = None
    #: Replay it as a run whose cancellation was requested.
    cancel_requested: bool = False


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """How the replayed run ended."""

    status: str
    #: Result JSON text (completed, continued), else None.
    result: str | None
    #: Error JSON text (failed, cancelled), else None.
    error: str | None
    #: Events the current code journaled past the recorded history (none on a clean replay).
    new_events: tuple[Event, ...]


def replay_run(
    registry: Registry,
    recorded: RecordedRun,
    *,
    store: Store | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ReplayResult:
    """Replay ``recorded`` with ``registry``'s current code; raise `ReplayDriftError` on drift.

    ``store`` must not already hold a run with the same id.
    """
    store = store if store is not None else InMemoryStore()
    store.create_run(
        NewRun(
            run_id=recorded.run_id,
            workflow=recorded.workflow,
            input=recorded.input,
            namespace=recorded.namespace,
            attributes=dict(recorded.attributes),
            parent_id=recorded.parent_id,
            correlation_id=recorded.correlation_id,
        )
    )
    _, lease = _claim(store, registry, recorded.run_id)
    if recorded.events:
        with store.step(lease) as step:
            for event in recorded.events:
                step.append(NewEvent(event.seq, event.kind, event.command, event.payload))
    store.release(lease)
    if recorded.cancel_requested:
        store.request_cancel(recorded.run_id)
    run, lease = _claim(store, registry, recorded.run_id)
    outcome = execute_run(
        store, run, LeaseHandle(lease), registry, clock=clock or (lambda: datetime.now(UTC))
    )
    if outcome.status == DRIFTED:
        raise _drift(recorded.run_id, outcome.error)
    final = store.get_run(recorded.run_id)
    after = recorded.events[-1].seq if recorded.events else 0
    return ReplayResult(
        status=outcome.status,
        result=None if final is None else final.result,
        error=None if final is None else final.error,
        new_events=tuple(store.load_events(recorded.run_id, after_seq=after)),
    )


def _claim(store: Store, registry: Registry, run_id: str) -> Any:
    found = None
    for run, lease in store.claim_runs(
        owner="continuum-replay",
        current_versions=registry.current,
        known_versions=registry.known_versions,
        limit=100,
        lease_seconds=300,
    ):
        if run.run_id == run_id:
            found = (run, lease)
        else:
            store.release(lease)  # another due run of a shared store: leave it be
    if found is None:
        raise LookupError(f"run {run_id} could not be claimed: is its workflow in the registry?")
    return found


def _drift(run_id: str, error: str | None) -> ReplayDriftError:
    data = json.loads(error or "{}")
    return ReplayDriftError(
        run_id,
        int(data.get("seq", 0)),
        tuple(data.get("expected", ())),
        tuple(data.get("recorded", ())),
    )
