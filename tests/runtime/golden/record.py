"""Record golden journals on purpose: ``python -m tests.runtime.golden.record NAME… | --all``.

Never run by the tests. A journal, once checked in, pins the behaviour of runs in
flight: a new journal format must still replay the old files, so keep them and add new
scenarios (and new frozen classes) rather than re-recording old ones. ``--list`` shows
the scenario names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import TERMINAL
from continuum.testing import InMemoryStore, drain
from tests.runtime.golden import frozen_v1
from tests.runtime.golden import frozen_v2 as v2

HERE = Path(__file__).parent
REGISTRY = Registry.from_classes(frozen_v1.Golden)
#: Format of the v2 files: several runs per scenario (children, successors).
FORMAT = 2


def _event_rows(store: InMemoryStore, run_id: str) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "command": list(e.command) if e.command else None,
            "payload": e.payload,
        }
        for e in store.load_events(run_id)
    ]


def record(name: str, inp: object, signals: list[object]) -> dict:
    """The v1 single-run recording of `frozen_v1.Golden`."""
    moment = [datetime(2030, 1, 1, tzinfo=UTC)]
    store = InMemoryStore(clock=lambda: moment[0])
    client = Client(store=store)
    run_id = client.start(frozen_v1.Golden, inp, id=f"golden-{name}")
    for payload in signals:
        client.signal(run_id, "go", payload)
    for _ in range(20):
        drain(store, REGISTRY, queues=("remote",))
        if store.get_run(run_id).status == "completed":
            break
        moment[0] += timedelta(seconds=5)
    run = store.get_run(run_id)
    return {
        "workflow": run.workflow,
        "input": run.input,
        "result": run.result,
        "events": _event_rows(store, run_id),
    }


class Session:
    """A scenario being recorded: an in-memory store with a clock moved by hand."""

    def __init__(self, *flows: type) -> None:
        self.moment = datetime(2030, 1, 1, tzinfo=UTC)
        self.store = InMemoryStore(clock=lambda: self.moment)
        self.client = Client(store=self.store)
        self.registry = Registry.from_classes(*flows)

    def settle(self, run_id: str, *, rounds: int = 40) -> None:
        """Drain, moving the clock 5 s a round, until ``run_id`` is terminal or waits on a signal."""
        for _ in range(rounds):
            drain(self.store, self.registry)
            run = self.store.get_run(run_id)
            if run.status in TERMINAL:
                return
            if run.waiting_on and run.waiting_on.startswith("signal:") and not run.next_wakeup_at:
                return
            self.moment += timedelta(seconds=5)

    def dump(self, scenario: str, root: str) -> dict[str, Any]:
        runs = sorted(self.store.list_runs(limit=1000), key=lambda r: (r.created_at, r.run_id))
        return {
            "format": FORMAT,
            "scenario": scenario,
            "root": root,
            "runs": [
                {
                    "run_id": r.run_id,
                    "workflow": r.workflow,
                    "input": r.input,
                    "namespace": r.namespace,
                    "attributes": dict(r.attributes),
                    "parent_id": r.parent_id,
                    "correlation_id": r.correlation_id,
                    "cancel_requested": r.cancel_requested,
                    "status": r.status,
                    "result": r.result,
                    "events": _event_rows(self.store, r.run_id),
                }
                for r in runs
            ],
        }


def _simple(flow: type, inp: object, *signals: tuple[str, object]) -> Callable[[], dict]:
    def scenario() -> dict:
        session = Session(*v2.ALL)
        root = session.client.start(flow, inp, id="root")
        session.settle(root)
        for name, payload in signals:
            session.client.signal(root, name, payload)
            session.settle(root)
        return session.dump(flow.__name__, root)

    return scenario


def _patched_old() -> dict:
    session = Session(*(f for f in v2.ALL if f is not v2.Patch), v2.PatchOld)
    root = session.client.start(v2.PatchOld, None, id="root")
    session.settle(root)
    return session.dump("patched_old_history", root)


def _cancel(flow: type, inp: object) -> Callable[[], dict]:
    def scenario() -> dict:
        session = Session(*v2.ALL)
        root = session.client.start(flow, inp, id="root")
        session.settle(root)
        session.client.cancel(root)
        for run in session.store.list_runs(limit=100):
            session.settle(run.run_id)
        return session.dump(flow.__name__, root)

    return scenario


def _attributes() -> dict:
    session = Session(*v2.ALL)
    root = session.client.start(
        v2.Attributes, None, id="root", namespace="billing", attributes={"customer": "ada"}
    )
    session.settle(root)
    return session.dump("namespaces_and_attributes", root)


def _child_outcomes() -> dict:
    session = Session(*v2.ALL)
    root = session.client.start(v2.ChildOutcomes, None, id="root")
    session.settle(root)
    [waiter] = [r for r in session.store.list_runs(workflow=v2.Waiter.__continuum_name__)]
    session.client.cancel(waiter.run_id)
    session.settle(waiter.run_id)
    session.client.signal(root, "cancelled", "sent")
    session.settle(root)
    return session.dump("child_outcomes", root)


SCENARIOS: dict[str, Callable[[], dict]] = {
    "activity_retry_then_success": _simple(v2.RetryThenSuccess, None),
    "activity_terminal_failure": _simple(v2.TerminalFailure, None),
    "signal_then_activity": _simple(v2.SignalThenActivity, None, ("go", {"ok": True})),
    "signal_timeout": _simple(v2.SignalTimeout, None),
    "timer": _simple(v2.Timer, None),
    "child_fan_out": _simple(v2.FanOut, {"children": 3}),
    "continue_as_new_chain": _simple(v2.Counter, 0),
    "continued_child_awaited": _simple(v2.AwaitContinued, None),
    "parallel_compensation": _simple(v2.ParallelCompensation, ["a", "b", "c"]),
    "lifo_compensation": _simple(v2.LifoCompensation, ["a", "broken", "c", "d"]),
    "patched_new_history": _simple(v2.Patch, None),
    "patched_old_history": _patched_old,
    "cancellation_cascade": _cancel(v2.CancelParent, None),
    "cancellation_cleanup": _cancel(v2.CancelCleanup, ["x", "y"]),
    "deterministic_primitives": _simple(v2.Primitives, None),
    "namespaces_and_attributes": _attributes,
    "child_outcomes": _child_outcomes,
}


def main(argv: list[str]) -> None:
    if "--list" in argv:
        sys.stdout.write("\n".join(["golden_v1_basic", *SCENARIOS]) + "\n")
        return
    names = ["golden_v1_basic", *SCENARIOS] if "--all" in argv else argv
    if not names:
        raise SystemExit(__doc__)
    for name in names:
        if name == "golden_v1_basic":
            data = record(name, {"order": 1}, ["approved"])
        else:
            data = SCENARIOS[name]()
            data["scenario"] = name
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        sys.stdout.write(f"wrote {name}.json\n")


if __name__ == "__main__":
    main(sys.argv[1:])
