"""`patched()`: branch on whether a run started before or after a code change."""

from __future__ import annotations

from typing import Any

from ..context import current_run


def patched(change_id: str, *, _command: Any = None) -> bool:
    """True for runs that reach this point on the new code, False when replaying old history."""
    return current_run("patched").patched(change_id, command=_command)
