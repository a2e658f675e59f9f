"""Activities of the operations test app."""

from __future__ import annotations

CALLS: list[tuple[str, int]] = []


def step(n: int) -> int:
    """Record the call (tests check a dry replay never executes anything)."""
    CALLS.append(("step", n))
    return n * 10


def audit(n: int) -> int:
    CALLS.append(("audit", n))
    return n
