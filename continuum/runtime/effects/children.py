"""Child workflows: `start_child`, `await_child`, `run_child`."""

from __future__ import annotations

from typing import Any

from ..context import current_run


def start_child(
    flow: Any, input: Any = None, *, id: str | None = None, _command: Any = None
) -> Any:
    """Start ``flow`` as a child run and return a `ChildRef` (deterministic run id)."""
    return current_run("start_child").start_child(flow, input, id=id, command=_command)


def await_child(ref: Any, *, _command: Any = None) -> Any:
    """Wait for a child started by `start_child` and return its result (or raise `ChildError`)."""
    return current_run("await_child").await_child(ref, command=_command)


def run_child(flow: Any, input: Any = None, *, id: str | None = None, _command: Any = None) -> Any:
    """Start ``flow`` as a child and wait for its result."""
    return current_run("run_child").run_child(flow, input, id=id, command=_command)
