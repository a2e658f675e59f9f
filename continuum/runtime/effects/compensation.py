"""Sagas: `compensate(ref)` and `compensate_all()`."""

from __future__ import annotations

from typing import Any

from ..context import current_run


def compensate(ref: Any, *, _command: Any = None) -> None:
    """Run the compensation registered for the activity ``ref``, once."""
    current_run("compensate").compensate(ref, command=_command)


def compensate_all(*, parallel: bool = False, _command: Any = None) -> None:
    """Run every pending compensation, newest first (or together with ``parallel=True``)."""
    current_run("compensate_all").compensate_all(parallel=parallel, command=_command)
