"""Co-located mode: a worker in the application's process and a client bound to it.

`Client.start` inserts the run already leased to the local worker and runs it on that
worker's threads; `Client.result` waits in process. Durability is the ordinary one:
the crash test kills such a process with SIGKILL and another worker finishes its runs.
Also here: the finish that carries the run's last journal event (every mode), and
`Client.result` listening before its first read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from continuum.runtime.client import Client
from continuum.runtime.errors import ContinuumError, LeaseLostError, WorkflowFailedError
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, RUNNING, TERMINAL, NewEvent, NewRun
from continuum.runtime.worker import Worker, WorkerOptions
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.app import flows
from tests.runtime.conftest import CountingStore
from tests.runtime.test_worker_processes import Workers, completed_results, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def colocated(pg_store, registry):
    """A started worker on Postgres (its store counted) and the client bound to it."""
    counting = CountingStore(pg_store)
    worker = Worker(counting, registry, WorkerOptions(concurrency=4, poll_interval=0.2)).start()
    try:
        yield worker, worker.client(), counting
    finally:
        worker.stop()


def test_a_colocated_start_runs_here_without_claim_or_history_read(colocated, tmp_path):
    worker, client, counting = colocated
    run_id = client.start(flows.Steps, {"steps": 3, "log": str(tmp_path / "log")})
    assert client.result(run_id, timeout=30) == 30
    calls = [name for _, name in counting.calls]
    assert "create_run_leased" in calls and "create_run" not in calls
    assert "load_history" not in calls and "load_events" not in calls
    assert calls.count("step") == 2  # the third result went with the finish
    assert worker.stats.runs_executed == 1
    run = client.get_run(run_id)
    assert run.status == COMPLETED and run.version_hash == worker.registry.current[run.workflow]
    assert completed_results(client, run_id) == [0, 10, 20]
    assert [e.seq for e in client.history(run_id)] == [1, 2, 3]


def test_a_colocated_start_is_idempotent_on_its_id(colocated, tmp_path):
    worker, client, _ = colocated
    inp = {"steps": 2, "log": str(tmp_path / "log")}
    first = client.start(flows.Steps, inp, id="order-1")
    assert client.result(first, timeout=30) == 10
    assert client.start(flows.Steps, inp, id="order-1") == "order-1"
    assert client.result("order-1", timeout=30) == 10
    assert len((tmp_path / "log").read_text().splitlines()) == 2  # executed once
    assert worker.stats.runs_executed == 1


def test_a_colocated_failure_raises_what_the_store_says(colocated):
    _, client, _ = colocated
    run_id = client.start(flows.Steps, {"steps": 1})  # no "log": KeyError in the workflow
    with pytest.raises(WorkflowFailedError) as local:
        client.result(run_id, timeout=30)
    with pytest.raises(WorkflowFailedError) as stored:
        Client(store=client.store).result(run_id, timeout=30)
    assert (local.value.status, local.value.error) == (stored.value.status, stored.value.error)


def test_a_suspended_colocated_run_is_awaited_through_the_store(colocated):
    _, client, _ = colocated
    run_id = client.start(flows.Approval, {})
    wait_for(lambda: client.get_run(run_id).status == "suspended", "the run to wait")
    for decision in ("yes", "ok"):
        client.signal(run_id, "decision", decision)
    assert client.result(run_id, timeout=30) == ["yes", "ok"]


def test_a_full_worker_queues_a_few_starts_then_leaves_them_to_a_claim(
    pg_store, registry, tmp_path
):
    gate = tmp_path / "gate"
    worker = Worker(pg_store, registry, WorkerOptions(concurrency=1, poll_interval=0.2)).start()
    try:
        client = worker.client()
        blocked = client.start(flows.Gate, {"path": str(gate)})
        wait_for(lambda: len(client.history(blocked)) == 1, "the gate activity to run")
        inp = {"steps": 1, "log": str(tmp_path / "log")}
        queued = client.start(flows.Steps, inp)  # waits its turn here, already leased
        assert client.get_run(queued).status == RUNNING
        overflow = client.start(flows.Steps, inp)  # beyond the queue: claimable by anyone
        assert client.get_run(overflow).status == "pending"
        gate.write_text("open")
        assert client.result(queued, timeout=30) == 0
        assert client.result(overflow, timeout=30) == 0
        assert client.result(blocked, timeout=30) == ["before", "opened"]
    finally:
        worker.stop()


def test_a_drain_releases_queued_colocated_runs(pg_store, registry, tmp_path):
    gate = tmp_path / "gate"
    options = WorkerOptions(concurrency=1, poll_interval=0.2, drain_timeout=0.2)
    worker = Worker(pg_store, registry, options).start()
    client = worker.client()
    blocked = client.start(flows.Gate, {"path": str(gate)})
    wait_for(lambda: len(client.history(blocked)) == 1, "the gate activity to run")
    queued = client.start(flows.Steps, {"steps": 1, "log": str(tmp_path / "log")})
    worker.stop()  # the gate stays shut: the drain gives up and releases both leases
    gate.write_text("open")
    other = Worker(pg_store, registry, WorkerOptions(poll_interval=0.2)).start()
    try:
        other_client = Client(store=pg_store)
        assert other_client.result(queued, timeout=30) == 0
        assert other_client.result(blocked, timeout=30) == ["before", "opened"]
    finally:
        other.stop()
    assert other.stats.runs_executed == 2  # taken over at once, not after lease expiry


def test_a_stopped_or_unknown_workflow_start_is_an_ordinary_one(pg_store, registry, tmp_path):
    worker = Worker(pg_store, Registry.from_classes(flows.Steps), WorkerOptions())
    client = worker.client()  # never started: nothing can run here
    run_id = client.start(flows.Steps, {"steps": 1, "log": str(tmp_path / "log")})
    assert client.get_run(run_id).status == "pending"
    worker.start()
    try:
        other = client.start("tests.runtime.app.flows:Approval", {})
        assert client.get_run(other).status == "pending"  # this worker does not know it
    finally:
        worker.stop()
    with pytest.raises(ContinuumError, match="worker's store"):
        Client(store=InMemoryStore(), worker=worker)


# --- the finish that carries the last event (any store, any mode) ---------------------------


def _leased(store, run_id: str):
    record, lease = store.create_run_leased(
        NewRun(run_id=run_id, workflow="w.x:Y", input="null"),
        owner="me",
        version_hash="h1",
        lease_seconds=30,
    )
    assert lease is not None and lease.fresh and record.status == RUNNING
    return lease


def test_finish_with_an_event_writes_both_or_neither(store):
    lease = _leased(store, "r1")
    event = NewEvent(1, "activity_completed", ("activity", "w", "f", 1, "s"), '{"result": 1}')
    with pytest.raises(LeaseLostError) as gap:
        store.finish(lease, status=COMPLETED, result="1", events=[replace(event, seq=2)])
    assert gap.value.reason == "seq_conflict"
    assert store.get_run("r1").status == RUNNING and store.load_events("r1") == []
    stale = replace(lease, token=lease.token + 1000)
    with pytest.raises(LeaseLostError):
        store.finish(stale, status=COMPLETED, result="1", events=[event])
    assert store.get_run("r1").status == RUNNING and store.load_events("r1") == []
    store.finish(lease, status=COMPLETED, result="1", events=[event])
    assert store.get_run("r1").status == COMPLETED
    assert [(e.seq, e.kind) for e in store.load_events("r1")] == [(1, "activity_completed")]


def test_a_leased_start_of_an_existing_id_leases_nothing(store):
    _leased(store, "r2")
    record, lease = store.create_run_leased(
        NewRun(run_id="r2", workflow="w.x:Y", input="null"),
        owner="other",
        version_hash="h1",
        lease_seconds=30,
    )
    assert lease is None and record.run_id == "r2"


def test_result_is_woken_by_the_finish_not_by_its_poll(pg_store, registry, tmp_path):
    """`result` watches the run before its first read; the finish notification (not the
    fallback poll, an hour here) is what returns the result."""
    client = Client(store=pg_store)
    run_id = client.start(flows.Steps, {"steps": 1, "log": str(tmp_path / "log")})
    got: list[object] = []
    waiter = threading.Thread(
        target=lambda: got.append(client.result(run_id, timeout=120, poll=3600)), daemon=True
    )
    waiter.start()
    worker = Worker(pg_store, registry, WorkerOptions(poll_interval=0.2)).start()
    try:
        waiter.join(timeout=60)
        assert not waiter.is_alive() and got == [0]
    finally:
        worker.stop()


# --- crash ------------------------------------------------------------------------------


def test_sigkill_of_a_colocated_process_loses_and_duplicates_no_result(
    database_url: str, pg_store, fresh_schema: str, tmp_path: Path
):
    """The application process dies mid-run; another worker resumes its runs by replay."""
    runs, steps = 4, 6
    log = tmp_path / "executions.log"
    env = {**os.environ, "CONTINUUM_TEST_STEP_PAUSE": "0.1"}
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.runtime.colocated_main",
            database_url,
            fresh_schema,
            str(log),
            str(runs),
            str(steps),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "app.log").open("wb"),
        text=True,
    )
    workers = Workers(database_url, fresh_schema, tmp_path)
    try:
        assert app.stdout is not None
        run_ids = json.loads(app.stdout.readline())
        client = Client(store=pg_store)
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= runs, "steps")
        app.send_signal(signal.SIGKILL)  # no cleanup: the leases simply expire
        app.wait(timeout=10)
        in_flight = [r for r in run_ids if client.get_run(r).status not in TERMINAL]
        assert in_flight, "the kill landed after every run finished; it proved nothing"
        assert {client.get_run(r).status for r in in_flight} == {RUNNING}
        workers.spawn(env={"CONTINUUM_TEST_STEP_PAUSE": "0"})
        wait_for(
            lambda: all(client.get_run(r).status in TERMINAL for r in run_ids),
            "another worker to finish the killed process's runs",
            deadline=120,
        )
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)
        workers.kill_all()
    expected = [10 * i for i in range(steps)]
    executions = Counter(tuple(line.split()[:2]) for line in log.read_text().splitlines())
    keys: dict[tuple[str, str], set[str]] = {}
    for line in log.read_text().splitlines():
        run_id, step, _attempt, key = line.split()
        keys.setdefault((run_id, step), set()).add(key)
    for run_id in run_ids:
        assert client.result(run_id, timeout=30) == sum(expected)
        assert [e.seq for e in client.history(run_id)] == list(range(1, steps + 1))
        assert completed_results(client, run_id) == expected  # each result exactly once
        assert all(executions[(run_id, str(s))] >= 1 for s in range(steps))  # at least once
    assert all(len(k) == 1 for k in keys.values())  # a re-execution saw the same key


def test_a_claim_commits_asynchronously_without_leaking_the_setting(pg_store, registry, tmp_path):
    """The claim turns `synchronous_commit` off for its own transaction only."""
    Client(store=pg_store).start(flows.Steps, {"steps": 1, "log": str(tmp_path / "log")})
    [(_run, lease)] = pg_store.claim_runs(
        owner="t",
        current_versions=registry.current,
        known_versions=(),
        limit=1,
        lease_seconds=30,
    )
    assert lease.fresh
    pool = pg_store._db.pool
    conns = [pool.getconn() for _ in range(pool.get_stats()["pool_size"])]
    try:
        assert {c.execute("SHOW synchronous_commit").fetchone()[0] for c in conns} == {"on"}
    finally:
        for conn in conns:
            pool.putconn(conn)
