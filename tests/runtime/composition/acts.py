"""Activities of the composition tests and golden journals (their names are journaled: keep them)."""

from __future__ import annotations

import os
import time

from continuum.runtime.activity_context import activity_context


def reserve(item: str) -> dict:
    return {"item": item, "key": activity_context().idempotency_key}


def release(item: str, reservation: dict) -> str:
    return f"released {reservation['item']}"


def broken_release(item: str, reservation: dict) -> str:
    raise ValueError(f"cannot release {item}")


def record(log_path: str, tag: str) -> str:
    """Append ``run_id tag attempt key`` per execution (at-least-once evidence), return ``tag``."""
    info = activity_context()
    with open(log_path, "a") as fh:
        fh.write(f"{info.run_id} {tag} {info.attempt} {info.idempotency_key}\n")
        fh.flush()
        os.fsync(fh.fileno())
    pause = float(os.environ.get("CONTINUUM_TEST_STEP_PAUSE", "0"))
    if pause:
        time.sleep(pause)
    return tag


def unrecord(log_path: str, tag: str, result: str) -> str:
    """Compensation of `record`: logs ``undo:<tag>``."""
    return record(log_path, f"undo:{tag}")


def fail(message: str) -> None:
    raise RuntimeError(message)


#: Set by a test: compensations that must all be running at once meet here.
BARRIER: list = []


def release_together(item: str, reservation: dict) -> str:
    """A compensation that only finishes when every party of `BARRIER` runs concurrently."""
    BARRIER[0].wait(timeout=20)
    return f"released {item}"
