"""Golden journals (tests/runtime/golden/*.json) replay on the current runtime.

Each file is a history recorded by an earlier build of the runtime. Replaying it must
reach the same result without journaling anything new: a change to event kinds,
payload fields or matching that would strand runs already in flight fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, NewEvent, NewRun
from tests.runtime.golden import frozen_v1

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))
REGISTRY = Registry.from_classes(frozen_v1.Golden)


def _claim(store):
    [(run, lease)] = store.claim_runs(
        owner="golden",
        current_versions=REGISTRY.current,
        known_versions=REGISTRY.known_versions,
        limit=1,
        lease_seconds=30,
    )
    return run, lease


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_journal_replays_to_its_result(store, path: Path):
    data = json.loads(path.read_text())
    store.create_run(NewRun(run_id=path.stem, workflow=data["workflow"], input=data["input"]))
    _, lease = _claim(store)
    with store.step(lease) as step:
        for e in data["events"]:
            step.append(
                NewEvent(
                    e["seq"], e["kind"], tuple(e["command"]) if e["command"] else None, e["payload"]
                )
            )
    store.release(lease)
    run, lease = _claim(store)
    outcome = execute_run(store, run, LeaseHandle(lease), REGISTRY)
    assert outcome.status == COMPLETED, outcome.error
    assert json.loads(store.get_run(path.stem).result) == json.loads(data["result"])
    assert len(store.load_events(path.stem)) == len(data["events"])


def test_there_are_golden_journals():
    assert GOLDEN, "tests/runtime/golden/*.json is missing"


def test_a_tampered_journal_is_drift_not_a_guess(store):
    data = json.loads(GOLDEN[0].read_text())
    data["events"][0]["command"][3] = 999  # the first call site moved
    store.create_run(NewRun(run_id="tampered", workflow=data["workflow"], input=data["input"]))
    _, lease = _claim(store)
    with store.step(lease) as step:
        for e in data["events"]:
            step.append(
                NewEvent(
                    e["seq"], e["kind"], tuple(e["command"]) if e["command"] else None, e["payload"]
                )
            )
    store.release(lease)
    run, lease = _claim(store)
    assert execute_run(store, run, LeaseHandle(lease), REGISTRY).status == "drifted"
