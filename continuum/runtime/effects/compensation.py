"""Sagas: `ActivityRef`, `compensate(ref)` and `compensate_all()`.

An activity called with ``compensate=fn`` returns an `ActivityRef`: its result is on
``.value`` and the ref names the call, so `compensate(ref)` undoes exactly that call.
The compensation runs through the activity machinery (retries, a stable idempotency
key, journaled once) with the original arguments plus the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import current_run


@dataclass(frozen=True, slots=True)
class ActivityRef:
    """A completed activity that declared ``compensate=``; pass it to `compensate`."""

    #: ``"pkg.mod:function"`` of the activity.
    activity: str
    #: Journal position of the activity call (identifies it for `compensate`).
    seq: int
    #: The activity's result.
    value: Any


def compensate(ref: Any, *, _command: Any = None) -> None:
    """Run the compensation registered for the activity ``ref``, once.

    ``ref`` is the `ActivityRef` the activity returned (its ``.value`` is accepted too).
    The compensation is removed from the pending set; if it fails after its retries the
    failure is journaled and the workflow goes on. Raises `ContinuumError` when ``ref``
    has no pending compensation (never had one, or was compensated already).
    """
    current_run("compensate").compensate(ref, command=_command)


def compensate_all(*, parallel: bool = False, _command: Any = None) -> None:
    """Run every pending compensation, newest first.

    ``parallel=True`` runs them at the same time (one thread each); their outcomes are
    journaled together in newest-first order, so replay is the same either way.
    """
    current_run("compensate_all").compensate_all(parallel=parallel, command=_command)
