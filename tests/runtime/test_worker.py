"""The in-process `Worker`: threads, queues, wake-ups and draining, on Postgres."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.runtime.worker import Worker, WorkerOptions
from tests.runtime.app import flows
from tests.runtime.conftest import ALL_FLOWS, CountingStore

FAST = dict(lease_seconds=5.0, poll_interval=0.2, drain_timeout=2.0)


def test_worker_threads_run_many_runs_and_signals(pg_store, tmp_path: Path):
    client = Client(store=pg_store)
    registry = Registry.from_classes(*ALL_FLOWS)
    log = tmp_path / "log"
    with Worker(
        pg_store, registry, WorkerOptions(concurrency=4, queues=("default", "remote"), **FAST)
    ) as worker:
        steps = [client.start(flows.Steps, {"steps": 3, "log": str(log)}) for _ in range(8)]
        approval = client.start(flows.Approval, {"timeout": None})
        queued = client.start(flows.Queued, {"x": 4})
        assert [client.result(r, timeout=60) for r in steps] == [30] * 8
        assert client.result(queued, timeout=60) == ["local", 8]
        client.signal(approval, "decision", "a")
        client.signal(approval, "decision", "b")
        assert client.result(approval, timeout=60) == ["a", "b"]
    assert worker.stats.runs_executed >= 10
    assert worker.stats.tasks_executed == 1
    assert len(log.read_text().splitlines()) == 24


def test_tasks_wait_for_a_worker_serving_their_queue(pg_store):
    client = Client(store=pg_store)
    registry = Registry.from_classes(*ALL_FLOWS)
    run_id = client.start(flows.Queued, {"x": 1})
    with Worker(pg_store, registry, WorkerOptions(queues=(), **FAST)):
        deadline = time.monotonic() + 30
        while not (client.get_run(run_id).waiting_on or "").startswith("task:"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert client.get_run(run_id).status == "suspended"  # nobody serves "remote"
    with Worker(pg_store, Registry(), WorkerOptions(queues=("remote",), **FAST)) as remote:
        # A worker without workflows only executes the task...
        deadline = time.monotonic() + 30
        while remote.stats.tasks_executed == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    with Worker(pg_store, registry, WorkerOptions(queues=(), **FAST)):
        # ...and a workflow worker journals its result.
        assert client.result(run_id, timeout=60) == ["local", 2]


def test_cancel_stops_a_busy_run_at_its_next_effect(pg_store, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CONTINUUM_TEST_STEP_PAUSE", "0.05")
    client = Client(store=pg_store)
    registry = Registry.from_classes(*ALL_FLOWS)
    options = WorkerOptions(lease_seconds=0.6, poll_interval=0.2, drain_timeout=2.0)
    with Worker(pg_store, registry, options):
        run_id = client.start(flows.Steps, {"steps": 200, "log": str(tmp_path / "log")})
        deadline = time.monotonic() + 30
        while not client.history(run_id):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        client.cancel(run_id)
        deadline = time.monotonic() + 30
        while client.get_run(run_id).status != "cancelled":
            assert time.monotonic() < deadline, client.get_run(run_id)
            time.sleep(0.05)
    assert 0 < len(client.history(run_id)) < 200


def test_idle_worker_makes_at_most_one_query_per_second(pg_store):
    counting = CountingStore(pg_store)
    worker = Worker(counting, Registry.from_classes(*ALL_FLOWS), WorkerOptions())  # defaults
    started = time.monotonic()
    worker.start()
    try:
        time.sleep(5.0)
    finally:
        worker.stop()
    steady = [name for at, name in counting.calls if started + 1.0 <= at < started + 5.0]
    assert len(steady) <= 4, counting.calls  # 4 s window
    # Besides claims, only the schedule runner's look at the schedules (at start, then
    # every 10 s: outside the steady window above).
    assert {name for _, name in counting.calls} <= {
        "claim_runs",
        "claim_tasks",
        "fire_schedules",
        "next_schedule_due",
    }


def test_stop_ends_a_long_fallback_poll_at_once(pg_store):
    """An idle worker sleeping out a long poll interval stops without sleeping it out."""
    worker = Worker(pg_store, Registry.from_classes(*ALL_FLOWS), WorkerOptions(poll_interval=600))
    worker.start()
    pg_store.wait_for_work(0.3)  # the worker is in its wait by now
    stopper = threading.Thread(target=worker.stop, daemon=True)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive()


def test_long_queued_task_keeps_its_lease(pg_store, tmp_path: Path):
    """A task running longer than the lease is renewed, not taken over by another worker."""
    client = Client(store=pg_store)
    registry = Registry.from_classes(flows.QueuedGate)
    gate = tmp_path / "gate"
    options = WorkerOptions(queues=("remote",), lease_seconds=1.0, poll_interval=0.1)
    with Worker(pg_store, registry, options) as one, Worker(pg_store, registry, options) as two:
        run_id = client.start(flows.QueuedGate, {"path": str(gate)})
        deadline = time.monotonic() + 30
        while one.stats.tasks_executed + two.stats.tasks_executed == 0:
            task = pg_store.get_task(run_id, 1)
            if task is not None and task.status == "leased":
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(3.0)  # three lease lengths
        gate.write_text("open")
        assert client.result(run_id, timeout=60) == "opened"
    [_, completed] = client.history(run_id)
    assert json.loads(completed.payload)["attempt"] == 1
    assert one.stats.tasks_executed + two.stats.tasks_executed == 1


def test_a_run_claimed_again_while_executing_here_is_adopted_not_run_twice(
    pg_store, database_url: str, fresh_schema: str, tmp_path: Path
):
    # A server crash can lose a claim's commit (claims do not wait for their flush), and
    # a lease can lapse while its run executes: either way this worker may claim again a
    # run it is still executing. The execution goes on under the new lease; a second one
    # must not start beside it (its activities would run twice, concurrently).
    import psycopg
    from psycopg import sql

    from continuum.runtime.lease import LeaseHandle

    client = Client(store=pg_store)
    registry = Registry.from_classes(*ALL_FLOWS)
    worker = Worker(pg_store, registry, WorkerOptions(**FAST))
    try:
        run_id = client.start(flows.Steps, {"steps": 2, "log": str(tmp_path / "log")})
        [(_, first)] = pg_store.claim_runs(
            owner=worker.owner,
            current_versions=registry.current,
            known_versions=registry.known_versions,
            limit=1,
            lease_seconds=5,
        )
        handle = worker._hold(run_id, LeaseHandle(first))  # an execution in progress
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("UPDATE {}.runs SET lease_expires_at = now() - interval '1 second'").format(
                    sql.Identifier(fresh_schema)
                )
            )
        submitted: list[object] = []
        worker._submit = lambda fn, *args: submitted.append(args)  # type: ignore[method-assign]

        claimed, _ = worker._claim(frozenset({"runs"}))

        assert claimed == 1
        assert submitted == []
        assert handle.lease.token != first.token
        assert client.get_run(run_id).status == "running"
    finally:
        worker._unhold(run_id, handle)
        worker.stop(wait=False)
