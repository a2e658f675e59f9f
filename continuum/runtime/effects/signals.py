"""`await_signal()`: wait for a named message sent to the run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..context import current_run


class _Timeout:
    """The value `await_signal` returns when its timeout passes first."""

    _instance: _Timeout | None = None

    def __new__(cls) -> _Timeout:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "continuum.TIMEOUT"

    def __reduce__(self) -> str:
        return "TIMEOUT"

    def __bool__(self) -> bool:
        return False


TIMEOUT: Any = _Timeout()


def await_signal(
    name: str, *, timeout: timedelta | float | None = None, _command: Any = None
) -> Any:
    """Return the next payload sent to this run under ``name`` (FIFO), or `TIMEOUT`.

    Signals sent before the call are buffered, never lost. While none is there the run
    suspends durably; no thread is held.
    """
    return current_run("await_signal").await_signal(name, timeout=timeout, command=_command)
