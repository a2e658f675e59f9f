"""No-op activities: the benchmark measures the runtime, not the work."""

from __future__ import annotations

import time


def noop(step: int) -> int:
    """Return the step number; does nothing else."""
    return step


def stamp() -> float:
    """The wall-clock time at which the workflow resumed (same machine as the sender)."""
    return time.time()
