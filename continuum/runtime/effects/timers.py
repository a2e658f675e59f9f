"""`timer()` / `sleep()`: durable waits that survive restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..context import current_run


def timer(duration: timedelta | float, *, _command: Any = None) -> None:
    """Wait ``duration`` (a timedelta or seconds) durably; the run holds no thread meanwhile."""
    current_run("timer").timer(duration, command=_command)


def sleep(duration: timedelta | float, *, _command: Any = None) -> None:
    """Alias of `timer`."""
    current_run("sleep").timer(duration, command=_command)
