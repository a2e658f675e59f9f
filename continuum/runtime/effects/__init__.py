"""Effect calls: the only way workflow code touches the world.

Each effect looks at the run's journal. At a recorded position it returns the
recorded result (replay); at the live tail it does its work and journals it; a
mismatching command identity raises `ReplayDriftError` (drift). Outside a running
workflow every effect raises `ContinuumError`.
"""

from __future__ import annotations

from .activity import activity
from .children import await_child, run_child, start_child
from .compensation import ActivityRef, compensate, compensate_all
from .control import continue_as_new
from .patches import patched
from .primitives import logger, now, random, set_attributes, side_effect, today, uuid4
from .signals import TIMEOUT, await_signal
from .timers import sleep, timer

__all__ = [
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
]
