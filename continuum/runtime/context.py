"""The run a piece of workflow code belongs to, kept in a `ContextVar`.

The engine installs a `continuum.runtime.effects._dispatch.RunContext` (cursor,
history, lease, suspending flag) with `activate` while it executes a run; outside a
run, every effect call fails with a `ContinuumError` that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .errors import ContinuumError

_current_run: ContextVar[Any | None] = ContextVar("continuum_current_run", default=None)


def current_run_or_none() -> Any | None:
    """The active run's context, or None outside a running workflow."""
    return _current_run.get()


def current_run(effect: str) -> Any:
    """The active run's context; raises `ContinuumError` naming ``effect`` outside one."""
    ctx = _current_run.get()
    if ctx is None:
        raise ContinuumError(
            f"continuum.{effect}() can only be called inside a running workflow: start the "
            "workflow with Client.start() and let a worker run it (or use "
            "continuum.testing for unit tests)."
        )
    return ctx


@contextmanager
def activate(ctx: Any) -> Iterator[Any]:
    """Make ``ctx`` the current run for the duration of the block (the engine uses it)."""
    token = _current_run.set(ctx)
    try:
        yield ctx
    finally:
        _current_run.reset(token)
