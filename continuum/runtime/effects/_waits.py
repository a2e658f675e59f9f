"""Replay and live logic of the waits: `await_signal` and `timer`.

``await_signal`` journals ``signal_awaited`` (with its deadline, so a timeout replays
the same way) in the same step that finds the mailbox empty, then suspends; a later
wake journals ``signal_received`` (consuming the oldest buffered signal of that name)
or ``signal_timed_out``. A signal already buffered costs one step and no suspend.
``timer`` journals ``timer_started`` with its firing time and ``timer_fired`` once due.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..durations import to_seconds
from ..journal import (
    SIGNAL_AWAITED,
    SIGNAL_RECEIVED,
    SIGNAL_TIMED_OUT,
    TIMER_FIRED,
    TIMER_STARTED,
    SignalStep,
    TimerStep,
    iso,
    load_payload,
    parse_iso,
    user_value,
)
from ..store.base import waiting_on_signal
from ._dispatch import RunContext
from .signals import TIMEOUT


def await_signal(ctx: RunContext, name: str, *, timeout: Any = None, command: Any = None) -> Any:
    """The `await_signal()` effect (see the module docstring)."""
    cmd = ctx.command("await_signal", command, name)
    ctx.enter()
    seconds = to_seconds(timeout)
    event = ctx.expect(cmd, (SIGNAL_RECEIVED, SIGNAL_AWAITED))
    awaited = False
    deadline: datetime | None = None
    if type(event) is SignalStep:  # a snapshot step: the wait and what it got
        return TIMEOUT if event.timed_out else user_value(event.value)
    if event is not None and event.kind == SIGNAL_RECEIVED:
        return user_value(load_payload(event.payload).get("payload"))
    if event is not None:
        awaited = True
        raw = load_payload(event.payload).get("deadline")
        deadline = parse_iso(raw) if raw else None
        outcome = ctx.expect(cmd, (SIGNAL_RECEIVED, SIGNAL_TIMED_OUT))
        if outcome is not None:
            if outcome.kind == SIGNAL_TIMED_OUT:
                return TIMEOUT
            return user_value(load_payload(outcome.payload).get("payload"))
    result: Any = None
    got = False
    with ctx.step() as writer:
        signal = writer.step.take_signal(name)
        now = ctx.clock()
        if signal is not None:
            data = json.loads(signal.payload)
            writer.emit(
                SIGNAL_RECEIVED,
                cmd,
                {"name": name, "payload": data, "signal_id": signal.signal_id},
            )
            result, got = user_value(data), True
        elif deadline is not None and now >= deadline:
            writer.emit(SIGNAL_TIMED_OUT, cmd, {"name": name})
            result, got = TIMEOUT, True
        elif not awaited:
            if seconds is not None:
                deadline = ctx.after(seconds)
            writer.emit(
                SIGNAL_AWAITED,
                cmd,
                {"name": name, "deadline": iso(deadline) if deadline else None},
            )
    if got:
        return result
    ctx.suspend(waiting_on_signal(name), deadline)


def timer(ctx: RunContext, duration: Any, *, command: Any = None) -> None:
    """The `timer()` / `sleep()` effect: a durable wait."""
    cmd = ctx.command("timer", command, "timer")
    ctx.enter()
    event = ctx.expect(cmd, (TIMER_STARTED,))
    if type(event) is TimerStep:  # a snapshot step: started and fired
        return
    if event is not None:
        fires_at = parse_iso(load_payload(event.payload)["fires_at"])
        if ctx.expect(cmd, (TIMER_FIRED,)) is not None:
            return
    else:
        seconds = to_seconds(duration) or 0.0
        fires_at = ctx.after(seconds)
        ctx.write(TIMER_STARTED, cmd, {"fires_at": iso(fires_at), "seconds": seconds})
    ctx.wait_until(fires_at, "timer")
    ctx.write(TIMER_FIRED, cmd, {})
