"""`activity()`: run a side-effecting function at least once, journal its result once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..context import current_run
from ..retry import Retry

#: Default for ``compensate=``: "not declared" (distinct from an explicit None).
NOT_DECLARED: Any = object()
#: No plain recorded result at this position (`RunContext.replay_activity`,
#: `_activities._replay_completed`): the call takes the full replay path.
NOT_RECORDED: Any = object()


def activity(
    fn: Callable[..., Any],
    *args: Any,
    retry: Retry | None = None,
    timeout: timedelta | float | None = None,
    heartbeat: timedelta | float | None = None,
    queue: str | None = None,
    compensate: Callable[..., Any] | None = NOT_DECLARED,
    idempotency_key: str | None = None,
    kwargs: dict[str, Any] | None = None,
    _command: Any = None,
) -> Any:
    """Run ``fn(*args, **kwargs)`` as an activity and return its result.

    ``fn`` must be a module-level function a worker can import. It runs at least once
    (retried per ``retry``); its result is journaled once and returned unchanged on
    replay. After the last failed attempt the workflow gets `ActivityError`.
    ``queue`` routes it to workers serving that queue; ``compensate`` names the
    function that undoes it (called with the same args plus the result).
    """
    ctx = current_run("activity")
    if _command is not None:
        # Replaying a generated call: the recorded result, before any option is read.
        recorded = ctx.replay_activity(fn, _command, kwargs, retry, timeout, heartbeat, compensate)
        if recorded is not NOT_RECORDED:
            return recorded
    return ctx.activity(
        fn,
        args,
        kwargs or {},
        retry=retry,
        timeout=timeout,
        heartbeat=heartbeat,
        queue=queue,
        compensate=compensate,
        idempotency_key=idempotency_key,
        command=_command,
    )
