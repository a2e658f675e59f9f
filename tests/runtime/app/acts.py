"""Activities used by the runtime tests."""

from __future__ import annotations

import asyncio
import os
import time

from continuum.runtime.activity_context import activity_context, heartbeat


def echo(value):
    return value


def record(log_path: str, step: int) -> int:
    """Append one line per execution (shows at-least-once execution), return step * 10."""
    info = activity_context()
    with open(log_path, "a") as fh:
        fh.write(f"{info.run_id} {step} {info.attempt} {info.idempotency_key}\n")
        fh.flush()
        os.fsync(fh.fileno())
    pause = float(os.environ.get("CONTINUUM_TEST_STEP_PAUSE", "0"))
    if pause:
        time.sleep(pause)
    return step * 10


def flaky(fail_times: int, error: str = "ValueError") -> dict:
    """Fail the first ``fail_times`` attempts, then report the attempt and key."""
    info = activity_context()
    if info.attempt <= fail_times:
        raise {"ValueError": ValueError, "KeyError": KeyError}[error](f"attempt {info.attempt}")
    return {"attempt": info.attempt, "key": info.idempotency_key}


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def beating(seconds: float, every: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        heartbeat({"left": end - time.monotonic()})
        time.sleep(every)
    return "beat"


async def async_double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


def gate(path: str) -> str:
    """Block until ``path`` exists (lets a test hold a worker inside an activity)."""
    while not os.path.exists(path):
        time.sleep(0.02)
    return "opened"


def unencodable() -> object:
    return object()


def refund(order: str, charge: dict) -> str:
    return f"refunded {charge['id']}"


def charge(order: str) -> dict:
    return {"id": f"ch-{order}"}
