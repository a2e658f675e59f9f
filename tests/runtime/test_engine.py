"""Engine decisions: drift, unknown versions, pinning, swallowed and lost leases."""

from __future__ import annotations

import json
import time

import pytest

from continuum import WorkflowFailedError
from continuum.runtime.engine import execute_run
from continuum.runtime.errors import LeaseLostError
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import UNKNOWN_VERSION, Registry
from continuum.runtime.store.base import DRIFTED, PENDING, NewRun
from continuum.runtime.worker import Worker, WorkerOptions
from tests.runtime.app import flows


def registry_for(cls, version_hash="h-drift"):
    registry = Registry()
    registry.add(
        {
            version_hash: {
                "workflow": cls.__continuum_name__,
                "module": cls.__module__,
                "entrypoint": cls.__qualname__,
            }
        },
        {cls.__continuum_name__: version_hash},
    )
    return registry


def test_changed_code_under_a_pinned_run_is_drift(client, drive, store):
    run_id = client.start("tests.runtime.app.flows:Drift", {})
    drive(run_id, reg=registry_for(flows.DriftA))
    assert store.get_run(run_id).version_hash == "h-drift"
    client.signal(run_id, "go", None)
    # Same hash, different code: replay must stop, never guess.
    drive(run_id, reg=registry_for(flows.DriftB))
    with pytest.raises(WorkflowFailedError) as info:
        client.result(run_id)
    assert info.value.status == DRIFTED
    error = info.value.error
    assert error["type"] == "ReplayDriftError"
    assert error["seq"] == 2
    assert error["expected"][0] == "timer" and error["recorded"][0] == "signal_awaited"
    assert [e.kind for e in client.history(run_id)] == ["activity_completed", "signal_awaited"]


def test_run_of_unknown_version_is_never_claimed(client, drive, store, registry):
    store.create_run(
        NewRun(
            run_id="r-unknown",
            workflow=flows.Steps.__continuum_name__,
            input="{}",
            version_hash="f" * 64,
        )
    )
    assert drive() == []
    run = store.get_run("r-unknown")
    assert run.status == PENDING and client.history("r-unknown") == []
    assert registry.status_of(run.status, run.version_hash, run.workflow) == UNKNOWN_VERSION
    # A registry that has the version runs it.
    assert registry.status_of(run.status, registry.current[run.workflow], run.workflow) == PENDING


def test_run_of_unregistered_workflow_waits(client, drive, store):
    run_id = client.start("elsewhere.flows:Other", {})
    assert drive() == []
    assert store.get_run(run_id).status == PENDING


def test_first_claim_pins_the_current_version(client, drive, store, registry, tmp_path):
    run_id = client.start(flows.Steps, {"steps": 1, "log": str(tmp_path / "l")})
    assert store.get_run(run_id).version_hash is None
    drive(run_id)
    assert store.get_run(run_id).version_hash == registry.current[flows.Steps.__continuum_name__]


def test_stale_lease_cannot_write(store, registry, client, tmp_path):
    """A worker whose lease was taken over journals nothing more."""
    run_id = client.start(flows.Steps, {"steps": 2, "log": str(tmp_path / "l")})
    claim = dict(current_versions=registry.current, known_versions=registry.known_versions, limit=1)
    [(run, old)] = store.claim_runs(owner="a", lease_seconds=0, **claim)
    [(run, new)] = store.claim_runs(owner="b", lease_seconds=30, **claim)
    assert new.token != old.token
    outcome = execute_run(store, run, LeaseHandle(old), registry)
    assert outcome.status == "lost"
    assert client.history(run_id) == []
    with pytest.raises(LeaseLostError):
        store.finish(old, status="completed", result="1")
    assert execute_run(store, run, LeaseHandle(new), registry).status == "completed"
    assert [json.loads(e.payload)["result"] for e in client.history(run_id)] == [0, 10]


def test_version_that_cannot_load_is_dropped_not_retried(client, drive, store):
    registry = Registry()
    registry.add(
        {
            "h-broken": {
                "workflow": "x.y:Broken",
                "module": "tests.runtime.app.no_such_module",
                "entrypoint": "Broken",
            }
        },
        {"x.y:Broken": "h-broken"},
    )
    run_id = client.start("x.y:Broken", {})

    worker = Worker(store, registry, WorkerOptions(poll_interval=0.05, lease_seconds=5))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while registry.current:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        worker.stop()
    assert (
        registry.status_of(store.get_run(run_id).status, "h-broken", "x.y:Broken")
        == UNKNOWN_VERSION
    )
    assert client.history(run_id) == []
    assert worker.stats.runs_executed == 0  # released, not executed again and again


def test_inline_activities_cost_one_commit_each_and_no_replay(store, registry, client, tmp_path):
    from tests.runtime.conftest import CountingStore

    client.start(flows.Steps, {"steps": 5, "log": str(tmp_path / "l")})
    [(run, lease)] = store.claim_runs(
        owner="t",
        current_versions=registry.current,
        known_versions=registry.known_versions,
        limit=1,
        lease_seconds=30,
    )
    counting = CountingStore(store)
    assert execute_run(counting, run, LeaseHandle(lease), registry).status == "completed"
    # The snapshot row (none here), then the journal; Postgres reads both in one go, and
    # not at all for a run it leased fresh (never executed: the journal is empty).
    reads = ["load_history"] if hasattr(store, "load_history") else ["load_snapshot", "load_events"]
    if lease.fresh:
        reads = []
    # The last result is written by the finish itself.
    assert [name for _, name in counting.calls] == reads + ["step"] * 4 + ["finish"]
    assert [e.seq for e in store.load_events(run.run_id)] == [1, 2, 3, 4, 5]
