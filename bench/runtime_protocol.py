"""The workload loop shared by both runtime runners (Continuum's and DBOS's).

Standard library only: it is imported by `runtime_continuum_runner.py` (the product's
virtualenv) and by `runtime_dbos_runner.py` (``bench/.venv``, where DBOS lives). Each
runner is a long-lived process that the orchestrator (`bench_runtime.py`) drives with
one JSON command per line on stdin; it answers one JSON line on stdout. Keeping the
processes alive lets the orchestrator alternate the systems (A, B, A, B, …) without
paying their start-up, migrations and connection pools in the figures.

A system is an `Adapter`: start a workflow, wait for its result, and for the signal
workload, wait until the run blocks on its signal and send it. The workloads below are
written once against that interface, so both systems are timed by the same code.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

#: Workflow kinds every adapter knows (the twins in ``bench/apps/``).
STEPS, ONE_STEP, WAIT_SIGNAL = "steps", "one_step", "wait_signal"


class Adapter(Protocol):
    """What a system under test offers the workloads."""

    def start(self, kind: str, arg: Any) -> Any:
        """Durably start a workflow of ``kind``; return a handle."""
        ...

    def result(self, handle: Any) -> Any:
        """Block until the workflow finished; return its result."""
        ...

    def wait_blocked(self, handle: Any) -> None:
        """Block until a `WAIT_SIGNAL` workflow is waiting for its signal."""
        ...

    def signal(self, handle: Any) -> None:
        """Send the ``go`` signal to a `WAIT_SIGNAL` workflow."""
        ...


def sequential(adapter: Adapter, kind: str, count: int, arg: Any) -> dict[str, Any]:
    """One client: start a workflow, wait for its result, then the next one."""
    latencies = []
    began = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        adapter.result(adapter.start(kind, arg))
        latencies.append(time.perf_counter() - t0)
    return {"elapsed": time.perf_counter() - began, "latencies": latencies, "count": count}


def concurrent(adapter: Adapter, kind: str, count: int, arg: Any) -> dict[str, Any]:
    """``count`` clients at once, each starting one workflow and waiting for its result."""
    gate = threading.Barrier(count + 1)

    def one() -> float:
        gate.wait()
        t0 = time.perf_counter()
        adapter.result(adapter.start(kind, arg))
        return time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        gate.wait()  # all client threads exist: release them together
        began = time.perf_counter()
        latencies = [future.result() for future in futures]
        elapsed = time.perf_counter() - began
    return {"elapsed": elapsed, "latencies": latencies, "count": count}


def signal_wake(adapter: Adapter, count: int) -> dict[str, Any]:
    """Signal → resume: the workflow returns the wall-clock time it resumed at.

    Both processes run on the same machine, so `time.time()` in the workflow and here
    read the same clock.
    """
    latencies = []
    began = time.perf_counter()
    for _ in range(count):
        handle = adapter.start(WAIT_SIGNAL, None)
        adapter.wait_blocked(handle)
        sent = time.time()
        adapter.signal(handle)
        resumed = float(adapter.result(handle))
        latencies.append(resumed - sent)
    return {"elapsed": time.perf_counter() - began, "latencies": latencies, "count": count}


def handle_command(adapter: Adapter, command: dict[str, Any]) -> dict[str, Any]:
    """Run one workload command (see `bench_runtime.py`) and return its raw figures."""
    op = command["op"]
    if op == "sequential":
        return sequential(adapter, command["kind"], command["count"], command.get("arg"))
    if op == "concurrent":
        return concurrent(adapter, command["kind"], command["count"], command.get("arg"))
    if op == "signal":
        return signal_wake(adapter, command["count"])
    if op == "ping":
        return {"ok": True}
    if op == "count":
        import runtime_sqlcount  # psycopg is in both virtualenvs

        return {
            "statements": runtime_sqlcount.statements(),
            "transactions": runtime_sqlcount.transactions(),
        }
    raise ValueError(f"unknown op {op!r}")


def serve(make_adapter: Callable[[], Adapter], close: Callable[[], None]) -> None:
    """Answer commands from stdin until ``{"op": "quit"}`` or end of input."""
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol stream
    adapter = make_adapter()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("op") == "quit":
                break
            try:
                reply = handle_command(adapter, command)
            except Exception as error:  # reported to the orchestrator, which fails the row
                reply = {"error": f"{type(error).__name__}: {error}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        close()
