"""SIGKILL of real worker processes in the middle of a child fan-out and of a compensation.

Every run must still complete, and every activity and compensation result must be
journaled exactly once (activities themselves run at least once). Workers use
2-second leases; nothing here asserts wall-clock times.
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
REGISTRY = "tests.runtime.composition._continuum"
FLOWS = "tests.runtime.composition.flows:"
# Each activity pauses so that "midway" lasts long enough to be seen and hit (the
# runtime is fast: without it a whole fan-out can finish between two polls).
PAUSE = {"CONTINUUM_TEST_STEP_PAUSE": "0.2"}


class Pool:
    """`continuum worker` processes on one schema; all killed at teardown."""

    def __init__(self, database_url: str, schema: str, logs: Path) -> None:
        self.args = ["--database-url", database_url, "--schema", schema]
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        cmd = [sys.executable, "-m", "continuum", "worker", "--registry", REGISTRY]
        cmd += ["--path", str(ROOT), *self.args, "--no-migrate", "--lease-seconds", "2"]
        cmd += ["--poll-interval", "0.2", "--concurrency", "4", "--drain-timeout", "0.5"]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **PAUSE}
        )
        self.procs.append(proc)
        return proc

    def kill_one(self, rng: random.Random) -> None:
        victim = rng.choice([p for p in self.procs if p.poll() is None])
        victim.kill()  # SIGKILL: no cleanup, its leases simply expire
        victim.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def pool(database_url: str, pg_store, fresh_schema: str, tmp_path: Path) -> Iterator[Pool]:
    workers = Pool(database_url, fresh_schema, tmp_path)
    try:
        yield workers
    finally:
        workers.stop()


def wait_for(predicate: Callable[[], bool], what: str, deadline: float = 120.0) -> None:
    give_up = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def crash_while(
    client: Client,
    pool: Pool,
    run_ids: list[str],
    kills: int,
    seed: int,
    midway: Callable[[str], bool],
) -> None:
    """SIGKILL every worker once some run is ``midway``, then a random one ``kills`` times more."""
    rng = random.Random(seed)
    for _ in range(2):
        pool.spawn()
    wait_for(lambda: any(midway(r) for r in run_ids), "a run to be midway", deadline=60)
    for proc in pool.procs:
        proc.kill()  # whatever was executing dies with it
        proc.wait(timeout=10)
    pool.spawn()
    pool.spawn()
    for _ in range(kills):
        time.sleep(rng.uniform(0.2, 0.6))
        pool.kill_one(rng)
        pool.spawn()
    wait_for(lambda: all(client.get_run(r).status in TERMINAL for r in run_ids), "every run")


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def results(client: Client, run_id: str) -> list:
    return [
        json.loads(e.payload)["result"]
        for e in client.history(run_id)
        if e.kind == "activity_completed"
    ]


def test_sigkill_during_a_child_fan_out(pool: Pool, pg_store, tmp_path: Path, full_run: bool):
    parents, width, kills = (6, 8, 10) if full_run else (2, 5, 2)
    client = Client(store=pg_store)
    log = tmp_path / "executions.log"
    run_ids = [
        client.start(FLOWS + "FanOut", {"log": str(log), "n": width}) for _ in range(parents)
    ]

    def fanning_out(run_id: str) -> bool:
        kinds = [e.kind for e in client.history(run_id)]
        return "child_started" in kinds and kinds.count("child_completed") < width

    crash_while(client, pool, run_ids, kills, seed=5, midway=fanning_out)
    executed = Counter(tuple(line.split()[:2]) for line in log.read_text().splitlines())
    for run_id in run_ids:
        assert client.get_run(run_id).status == COMPLETED
        assert client.result(run_id) == [f"leaf{i}" for i in range(width)]
        kinds = [e.kind for e in client.history(run_id)]
        assert kinds == ["child_started"] * width + ["child_completed"] * width
        children = [r for r in pg_store.list_runs(limit=1000) if r.parent_id == run_id]
        assert len(children) == width  # no child started twice
        for child in children:
            assert results(client, child.run_id) == [json.loads(child.input)["tag"]]  # once
            assert executed[(child.run_id, json.loads(child.input)["tag"])] >= 1


@pytest.mark.parametrize("parallel", [False, True], ids=["lifo", "parallel"])
def test_sigkill_during_compensation(
    pool: Pool, pg_store, tmp_path: Path, full_run: bool, parallel: bool
):
    runs, steps, kills = (8, 8, 10) if full_run else (3, 6, 2)
    client = Client(store=pg_store)
    log = tmp_path / "executions.log"
    run_ids = [
        client.start(FLOWS + "Saga", {"log": str(log), "n": steps, "parallel": parallel})
        for _ in range(runs)
    ]

    def compensating(run_id: str) -> bool:
        return any(line.split()[:2] == [run_id, "undo:step5"] for line in _lines(log))

    crash_while(client, pool, run_ids, kills, seed=11, midway=compensating)
    executed = Counter(tuple(line.split()[:2]) for line in log.read_text().splitlines())
    forward = [f"step{i}" for i in range(steps)]
    undo = [f"undo:step{i}" for i in reversed(range(steps))]
    for run_id in run_ids:
        assert client.result(run_id) == "rolled back"
        assert results(client, run_id) == forward + undo  # each journaled once, newest first
        assert all(executed[(run_id, tag)] >= 1 for tag in forward + undo)
