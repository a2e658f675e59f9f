"""Continuum: durable workflows for Python, checked for determinism before deploy.

A workflow is a `Workflow` subclass whose ``run`` method calls effects
(`activity`, `await_signal`, `timer`, …). ``continuum check`` proves the code
deterministic, ``continuum build`` freezes each version into a generated module, and
workers run those modules against Postgres.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .runtime.durations import days, hours, minutes, seconds
from .runtime.effects import (
    TIMEOUT,
    ActivityRef,
    activity,
    await_child,
    await_signal,
    compensate,
    compensate_all,
    continue_as_new,
    logger,
    now,
    patched,
    random,
    run_child,
    set_attributes,
    side_effect,
    sleep,
    start_child,
    timer,
    today,
    uuid4,
)
from .runtime.errors import (
    ActivityError,
    Cancelled,
    ChildCancelledError,
    ChildError,
    ContinuumError,
    LeaseLostError,
    PayloadError,
    ReplayDriftError,
    SnapshotFormatError,
    StoreError,
    WorkflowFailedError,
)
from .runtime.retry import Retry
from .runtime.workflow import Workflow, deterministic

if TYPE_CHECKING:
    from .runtime.client import Client

__version__ = "0.1.0"

__all__ = [
    "TIMEOUT",
    "ActivityError",
    "ActivityRef",
    "Cancelled",
    "ChildCancelledError",
    "ChildError",
    "Client",
    "ContinuumError",
    "LeaseLostError",
    "PayloadError",
    "ReplayDriftError",
    "Retry",
    "SnapshotFormatError",
    "StoreError",
    "Workflow",
    "WorkflowFailedError",
    "__version__",
    "activity",
    "await_child",
    "await_signal",
    "compensate",
    "compensate_all",
    "continue_as_new",
    "days",
    "deterministic",
    "hours",
    "logger",
    "minutes",
    "now",
    "patched",
    "random",
    "run_child",
    "seconds",
    "set_attributes",
    "side_effect",
    "sleep",
    "start_child",
    "timer",
    "today",
    "uuid4",
]


def __getattr__(name: str) -> Any:
    # The client pulls in psycopg; load it only when asked for.
    if name == "Client":
        from .runtime.client import Client

        return Client
    raise AttributeError(f"module 'continuum' has no attribute {name!r}")
