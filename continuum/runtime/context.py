"""The run a piece of workflow code belongs to, kept in a `ContextVar`.

The runtime issue fills in the run state (cursor, history, store); until a run is
active, every effect call fails with a `ContinuumError` that says so.
"""

from __future__ import annotations

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
