"""What an activity can learn about itself while it runs, and how the runtime calls it.

Inside an activity function, `activity_context()` gives the run id, the attempt number
and the idempotency key (stable across attempts), and `heartbeat()` reports progress:
an activity started with ``heartbeat=`` must call it at least that often or the attempt
counts as failed.

`invoke` is how both the engine (inline activities) and the worker (queued tasks) call
an activity: directly when no deadline applies, else in a helper thread watched for its
``timeout=`` and heartbeat deadlines. Python cannot kill a thread, so a timed-out attempt
is abandoned (it may still finish in the background; its result is ignored).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .errors import ActivityTimeoutError, ContinuumError

_current: ContextVar[ActivityInfo | None] = ContextVar("continuum_activity", default=None)


@dataclass(slots=True)
class ActivityInfo:
    """The running activity attempt (what `activity_context()` returns)."""

    #: The workflow run the activity belongs to.
    run_id: str
    #: ``"pkg.mod:function"``.
    activity: str
    #: 1 for the first attempt.
    attempt: int
    #: ``"<run_id>:<seq>"`` unless the workflow passed ``idempotency_key=``; same on every attempt.
    idempotency_key: str
    #: Seconds within which `heartbeat()` must be called, or None.
    heartbeat_timeout: float | None = None
    #: The details passed to the latest `heartbeat()`.
    last_details: Any = None
    #: Monotonic time of the latest heartbeat (or of the start).
    last_beat: float = field(default_factory=time.monotonic)
    #: Called on every heartbeat (the worker renews a queued task's lease through it).
    on_beat: Callable[[ActivityInfo], None] | None = None


def activity_context() -> ActivityInfo:
    """The running activity's `ActivityInfo`; raises `ContinuumError` outside an activity."""
    info = _current.get()
    if info is None:
        raise ContinuumError("activity_context() can only be called inside a running activity")
    return info


def heartbeat(details: Any = None) -> None:
    """Tell the runtime this activity is alive (required within ``heartbeat=`` seconds).

    Outside an activity it does nothing, so activity functions stay callable in plain
    unit tests.
    """
    info = _current.get()
    if info is None:
        return
    info.last_details = details
    info.last_beat = time.monotonic()
    if info.on_beat is not None:
        info.on_beat(info)


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if inspect.iscoroutinefunction(fn):
        return asyncio.run(fn(*args, **kwargs))
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        # A sync function returning a coroutine (e.g. a decorated async function).
        return asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _call_with_info(
    info: ActivityInfo, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    token = _current.set(info)
    try:
        return _call(fn, args, kwargs)
    finally:
        _current.reset(token)


def invoke(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    info: ActivityInfo,
    *,
    timeout: float | None = None,
) -> Any:
    """Call ``fn(*args, **kwargs)`` as one attempt and return its result.

    Raises what the function raises, or `ActivityTimeoutError` when the attempt runs past
    ``timeout`` seconds or goes ``info.heartbeat_timeout`` seconds without a heartbeat.
    """
    info.last_beat = time.monotonic()
    if timeout is None and info.heartbeat_timeout is None:
        return _call_with_info(info, fn, args, kwargs)
    return _invoke_watched(fn, args, kwargs, info, timeout)


def _invoke_watched(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    info: ActivityInfo,
    timeout: float | None,
) -> Any:
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = _call_with_info(info, fn, args, kwargs)
        except BaseException as exc:  # handed back to the caller's thread below
            outcome["error"] = exc
        finally:
            done.set()

    started = time.monotonic()
    thread = threading.Thread(target=target, name=f"activity {info.activity}", daemon=True)
    thread.start()
    while True:
        now = time.monotonic()
        deadlines = []
        if timeout is not None:
            deadlines.append(started + timeout)
        if info.heartbeat_timeout is not None:
            deadlines.append(info.last_beat + info.heartbeat_timeout)
        nearest = min(deadlines)
        if done.wait(max(0.0, nearest - now)):
            break
        now = time.monotonic()
        if timeout is not None and now >= started + timeout:
            raise ActivityTimeoutError(f"{info.activity} timed out after {timeout:g}s")
        if info.heartbeat_timeout is not None and now >= info.last_beat + info.heartbeat_timeout:
            raise ActivityTimeoutError(
                f"{info.activity} sent no heartbeat for {info.heartbeat_timeout:g}s"
            )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
