"""Real worker processes on Postgres: crashes (SIGKILL), fencing (SIGSTOP), shutdown (SIGTERM).

Workers use 2-second leases so a dead worker's runs are re-leased quickly. Nothing
here asserts wall-clock times: each wait polls with a generous deadline.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from continuum.runtime.client import Client
from continuum.runtime.store.base import COMPLETED, TERMINAL

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = "tests.runtime.app._continuum"
STEPS = "tests.runtime.app.flows:Steps"


class Workers:
    """Spawns `continuum worker` processes and cleans them up."""

    def __init__(self, database_url: str, schema: str, logs: Path) -> None:
        self.database_url = database_url
        self.schema = schema
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(
        self, *extra: str, lease: float = 2.0, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        cmd = [
            sys.executable,
            "-m",
            "continuum",
            "-v",
            "worker",
            "--registry",
            REGISTRY,
            "--path",
            str(ROOT),
            "--database-url",
            self.database_url,
            "--schema",
            self.schema,
            "--no-migrate",
            "--lease-seconds",
            str(lease),
            "--poll-interval",
            "0.2",
            "--concurrency",
            "4",
            "--queues",
            "default,remote",
            "--drain-timeout",
            "0.5",
            *extra,
        ]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def workers(database_url: str, pg_store, fresh_schema: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(database_url, fresh_schema, tmp_path)
    try:
        yield pool
    finally:
        pool.kill_all()


@pytest.fixture
def pg_client(pg_store) -> Client:
    return Client(store=pg_store)


def wait_for(predicate: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    give_up = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def completed_results(client: Client, run_id: str) -> list[int]:
    return [
        json.loads(e.payload)["result"]
        for e in client.history(run_id)
        if e.kind == "activity_completed"
    ]


def test_sigkill_at_random_points_loses_and_duplicates_no_result(
    workers: Workers, pg_client: Client, tmp_path: Path, full_run: bool
):
    runs, steps, kills = (40, 8, 25) if full_run else (10, 5, 4)
    rng = random.Random(int(os.environ.get("CONTINUUM_CRASH_SEED", "0")) or None)
    log = tmp_path / "executions.log"
    env = {"CONTINUUM_TEST_STEP_PAUSE": "0.05"}
    for _ in range(2):
        workers.spawn(env=env)
    run_ids = [pg_client.start(STEPS, {"steps": steps, "log": str(log)}) for _ in range(runs)]
    hits = 0
    for _ in range(kills):
        time.sleep(rng.uniform(0.1, 0.6))
        hits += any(pg_client.get_run(r).status not in TERMINAL for r in run_ids)
        alive = [p for p in workers.procs if p.poll() is None]
        victim = rng.choice(alive)
        victim.kill()  # SIGKILL: no cleanup, leases simply expire
        victim.wait(timeout=10)
        workers.spawn(env=env)
    workers.spawn(env=env)

    def all_done() -> bool:
        return all(pg_client.get_run(r).status in TERMINAL for r in run_ids)

    assert hits, "no kill landed while runs were in flight; the sweep proved nothing"
    wait_for(all_done, "every run to finish after the crashes", deadline=120)
    expected = [10 * i for i in range(steps)]
    executions = Counter(tuple(line.split()[:2]) for line in log.read_text().splitlines())
    for run_id in run_ids:
        assert pg_client.result(run_id) == sum(expected)
        events = pg_client.history(run_id)
        assert [e.seq for e in events] == list(range(1, steps + 1))
        assert completed_results(pg_client, run_id) == expected  # each result exactly once
        for step in range(steps):
            assert executions[(run_id, str(step))] >= 1  # at least once
    keys = {}
    for line in log.read_text().splitlines():
        run_id, step, _attempt, key = line.split()
        keys.setdefault((run_id, step), set()).add(key)
    assert all(len(k) == 1 for k in keys.values())  # every re-execution saw the same key


def test_paused_worker_past_its_lease_cannot_write(
    workers: Workers, pg_client: Client, tmp_path: Path
):
    gate = tmp_path / "gate"
    first = workers.spawn()
    run_id = pg_client.start("tests.runtime.app.flows:Gate", {"path": str(gate)})
    wait_for(lambda: len(pg_client.history(run_id)) == 1, "worker A to enter the gate activity")
    first.send_signal(signal.SIGSTOP)
    time.sleep(2.5)  # past the 2 s lease
    workers.spawn()
    gate.write_text("open")
    wait_for(lambda: pg_client.get_run(run_id).status == COMPLETED, "worker B to finish the run")
    history = [(e.seq, e.kind, e.payload) for e in pg_client.history(run_id)]
    first.send_signal(signal.SIGCONT)  # A wakes up inside the gate, finds it open, tries to write
    wait_for(
        lambda: "lease lost" in Path(first.log_path).read_text(), "worker A to see its lease lost"
    )
    assert [(e.seq, e.kind, e.payload) for e in pg_client.history(run_id)] == history
    assert pg_client.result(run_id) == ["before", "opened"]
    assert len(history) == 2


def test_timer_survives_a_worker_restart(workers: Workers, pg_client: Client):
    first = workers.spawn()
    run_id = pg_client.start("tests.runtime.app.flows:Sleeper", {"seconds": 1.5})
    wait_for(lambda: pg_client.get_run(run_id).waiting_on == "timer", "the timer to be armed")
    first.kill()
    first.wait(timeout=10)
    workers.spawn()
    wait_for(
        lambda: pg_client.get_run(run_id).status in TERMINAL, "the timer to fire on the new worker"
    )
    assert pg_client.result(run_id) == "woke"
    assert [e.kind for e in pg_client.history(run_id)] == [
        "timer_started",
        "timer_fired",
        "activity_completed",
    ]


def test_sigterm_releases_running_runs_and_exits(
    workers: Workers, pg_client: Client, tmp_path: Path
):
    gate = tmp_path / "gate"
    first = workers.spawn(lease=120.0)  # without a release, nobody could take the run for 2 min
    run_id = pg_client.start("tests.runtime.app.flows:Gate", {"path": str(gate)})
    wait_for(lambda: len(pg_client.history(run_id)) == 1, "the worker to enter the gate activity")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    assert "stopped" in Path(first.log_path).read_text()
    gate.write_text("open")
    workers.spawn()
    wait_for(
        lambda: pg_client.get_run(run_id).status in TERMINAL, "another worker to finish the run"
    )
    assert pg_client.result(run_id) == ["before", "opened"]
    assert [e.seq for e in pg_client.history(run_id)] == [1, 2]


def test_idle_worker_stops_on_sigint(workers: Workers):
    proc = workers.spawn()
    wait_for(lambda: "started" in Path(proc.log_path).read_text(), "the worker to start")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def test_queued_task_of_a_killed_worker_is_retried_elsewhere(
    workers: Workers, pg_client: Client, tmp_path: Path
):
    gate = tmp_path / "gate"
    first = workers.spawn()
    run_id = pg_client.start("tests.runtime.app.flows:QueuedGate", {"path": str(gate)})
    wait_for(lambda: pg_client.store.get_task(run_id, 1) is not None, "the task to be queued")
    wait_for(
        lambda: pg_client.store.get_task(run_id, 1).status == "leased", "a worker to take the task"
    )
    first.kill()
    first.wait(timeout=10)
    gate.write_text("open")
    workers.spawn()
    wait_for(
        lambda: pg_client.get_run(run_id).status in TERMINAL, "the task to run again elsewhere"
    )
    assert pg_client.result(run_id) == "opened"
    events = pg_client.history(run_id)
    assert [e.kind for e in events] == ["activity_scheduled", "activity_completed"]
    assert json.loads(events[-1].payload)["attempt"] == 2  # the killed attempt counted
