"""`continue_as_new()`: finish this run and start a fresh successor."""

from __future__ import annotations

from typing import Any, NoReturn

from ..context import current_run


def continue_as_new(input: Any = None, *, _command: Any = None) -> NoReturn:
    """Complete this run as ``continued`` and start a successor with ``input``."""
    current_run("continue_as_new").continue_as_new(input, command=_command)
    raise AssertionError("unreachable: continue_as_new always unwinds the run")
