"""Continuum: durable workflows for Python, checked for determinism before deploy.

A workflow is a `Workflow` subclass whose ``run`` method calls effects
(`activity`, `await_signal`, `timer`, …). ``continuum check`` proves the code
deterministic, ``continuum build`` freezes each version into a generated module, and
workers run those modules against Postgres.
"""

from __future__ import annotations

# Every public name is loaded on first use (PEP 562): the ``continuum`` command starts by
# importing this package, and a warm ``continuum check`` answered from its record must
# not pay for the runtime (nor for ``typing``). Type checkers read the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .runtime.client import Client
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

#: The module under ``continuum.runtime`` that defines each public name.
_HOMES = {
    "Client": "client",
    **dict.fromkeys(("days", "hours", "minutes", "seconds"), "durations"),
    **dict.fromkeys(
        (
            "TIMEOUT",
            "ActivityRef",
            "activity",
            "await_child",
            "await_signal",
            "compensate",
            "compensate_all",
            "continue_as_new",
            "logger",
            "now",
            "patched",
            "random",
            "run_child",
            "set_attributes",
            "side_effect",
            "sleep",
            "start_child",
            "timer",
            "today",
            "uuid4",
        ),
        "effects",
    ),
    **dict.fromkeys(
        (
            "ActivityError",
            "Cancelled",
            "ChildCancelledError",
            "ChildError",
            "ContinuumError",
            "LeaseLostError",
            "PayloadError",
            "ReplayDriftError",
            "SnapshotFormatError",
            "StoreError",
            "WorkflowFailedError",
        ),
        "errors",
    ),
    "Retry": "retry",
    "Workflow": "workflow",
    "deterministic": "workflow",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'continuum' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.runtime.{home}"), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
