"""Deterministic primitives: recorded once, replayed identically."""

from __future__ import annotations

import logging
import random as _random
import uuid as _uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..context import current_run, current_run_or_none


def now(*, _command: Any = None) -> datetime:
    """The current time (UTC, timezone-aware), journaled so replay sees the same instant."""
    return current_run("now").now(command=_command)


def today(*, _command: Any = None) -> date:
    """Today's date in UTC, journaled."""
    return current_run("today").today(command=_command)


def uuid4(*, _command: Any = None) -> _uuid.UUID:
    """A random UUID, journaled."""
    return current_run("uuid4").uuid4(command=_command)


def random(*, _command: Any = None) -> _random.Random:
    """A `random.Random` seeded from the journal: same numbers on every replay."""
    return current_run("random").random(command=_command)


def side_effect(fn: Callable[[], Any], *, _command: Any = None) -> Any:
    """Call ``fn()`` once and journal its (JSON) result; replay returns the recorded value."""
    return current_run("side_effect").side_effect(fn, command=_command)


def set_attributes(*, _command: Any = None, **attributes: Any) -> None:
    """Set searchable attributes on this run (``Client.list_runs(attributes=...)``)."""
    current_run("set_attributes").set_attributes(attributes, command=_command)


class _ReplaySafeLogger:
    """A logger for workflow code that stays silent while the run replays history."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    def _log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        ctx = current_run_or_none()
        if ctx is not None and getattr(ctx, "replaying", False):
            return
        self._logger.log(level, msg, *args, **kwargs)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(logging.ERROR, msg, *args, **kwargs)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, *args, **kwargs)


logger = _ReplaySafeLogger("continuum.workflow")
