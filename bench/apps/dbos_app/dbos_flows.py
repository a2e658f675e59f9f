"""The DBOS twins of ``bench/apps/continuum_app/benchflows/flows.py`` (same steps, same work).

Imported only by `bench/runtime_dbos_runner.py`, in ``bench/.venv`` where DBOS lives.
"""

from __future__ import annotations

import time

from dbos import DBOS


@DBOS.step()
def noop(step: int) -> int:
    """Return the step number; does nothing else."""
    return step


@DBOS.step()
def stamp() -> float:
    """The wall-clock time at which the workflow resumed."""
    return time.time()


@DBOS.workflow()
def steps(count: int) -> int:
    """``count`` no-op steps in a row (10 in the benchmark)."""
    total = 0
    for i in range(count):
        total += noop(i)
    return total


@DBOS.workflow()
def one_step(value: int) -> int:
    """A single no-op step."""
    return noop(value)


@DBOS.workflow()
def wait_signal(_input: None) -> float:
    """Say it is about to wait, wait for the ``go`` message, then record when it resumed."""
    DBOS.set_event("ready", True)
    DBOS.recv("go", timeout_seconds=60)
    return stamp()
