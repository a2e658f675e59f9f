"""The in-process `Worker`: threads, queues, wake-ups and draining, on Postgres."""

from __future__ import annotations

import time
from pathlib import Path

from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.runtime.worker import Worker, WorkerOptions
from tests.runtime.app import flows
from tests.runtime.conftest import ALL_FLOWS

FAST = dict(lease_seconds=5.0, poll_interval=0.2, drain_timeout=2.0)


def test_worker_threads_run_many_runs_and_signals(pg_store, tmp_path: Path):
    client = Client(store=pg_store)
    registry = Registry.from_classes(*ALL_FLOWS)
    log = tmp_path / "log"
    with Worker(pg_store, registry, WorkerOptions(concurrency=4, queues=("default", "remote"), **FAST)) as worker:
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
