"""Replay and live logic of compensations: `compensate(ref)` and `compensate_all()`.

A compensation is an activity call with its own command identity (``compensate`` or
``compensate_all`` plus an index): the same events, retries and replay as any
activity. ``compensate_all(parallel=True)`` runs the not-yet-journaled ones in threads
at once and journals their outcomes in one step, newest first, so its replay is the
same as a sequential run's.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..activity_context import ActivityInfo, invoke
from ..command import CommandId
from ..errors import ContinuumError, PayloadError
from ..journal import ACTIVITY_ATTEMPT_FAILED, ACTIVITY_COMPLETED, ACTIVITY_FAILED, iso, jsonable
from ._activities import (
    COMPENSATION_RETRY,
    _apply,
    _Call,
    _key,
    _live,
    _replay,
    _Replayed,
    error_type_name,
    import_function,
)
from ._dispatch import PendingCompensation, RunContext
from .compensation import ActivityRef

logger = logging.getLogger(__name__)


def _find_compensation(ctx: RunContext, ref: Any) -> PendingCompensation:
    if isinstance(ref, ActivityRef):
        for entry in ctx.compensations:
            if entry.seq == ref.seq:
                return entry
    else:
        # The activity's plain value (histories and code from before ActivityRef).
        for entry in reversed(ctx.compensations):
            if entry.result is ref:
                return entry
        for entry in reversed(ctx.compensations):
            if entry.result == ref:
                return entry
    raise ContinuumError(
        "compensate(ref): ref must be the ActivityRef of an activity called with "
        "compensate= that was not compensated yet"
    )


def _compensation_call(ctx: RunContext, entry: PendingCompensation, command: CommandId) -> _Call:
    name = entry.function
    return _Call(
        command=command,
        name=name,
        fn=import_function(name),
        args=(*entry.args, entry.result),
        kwargs=dict(entry.kwargs),
        retry=COMPENSATION_RETRY,
        timeout=None,
        heartbeat=None,
        queue=None,
        compensate=None,
        # Stable whatever order or mode (sequential, parallel) runs it in.
        idempotency_key=f"{ctx.run_id}:{entry.seq}:compensate",
    )


def _compensate_one(ctx: RunContext, entry: PendingCompensation, command: CommandId) -> None:
    ctx.compensations.remove(entry)
    call = _compensation_call(ctx, entry, command)
    state = _replay(ctx, call)
    if not state.done:
        _live(ctx, call, state)
        _warn_if_failed(ctx, call, state)
    # A terminal failure is journaled as activity_failed; the run goes on.


def _warn_if_failed(ctx: RunContext, call: _Call, state: _Replayed) -> None:
    if state.error is not None:
        logger.warning("run %s: compensation failed, the run goes on: %s", ctx.run_id, state.error)


def run_compensation(ctx: RunContext, ref: Any, *, command: Any = None) -> None:
    """The `compensate(ref)` effect: run the compensation of one activity, once."""
    cmd = ctx.command("compensate", command, "compensate")
    ctx.enter()
    _compensate_one(ctx, _find_compensation(ctx, ref), cmd)


def run_all_compensations(ctx: RunContext, *, parallel: bool = False, command: Any = None) -> None:
    """The `compensate_all()` effect: every pending compensation, newest first.

    Each one gets the command identity of this call with its index appended to the
    shape. ``parallel=True`` runs the ones not journaled yet in threads at once and
    journals their outcomes in one step, newest first; replay reads them back in that
    order exactly like a sequential run.
    """
    base = ctx.command("compensate_all", command, "compensate_all")
    ctx.enter()
    items = [
        (entry, CommandId(base.kind, base.workflow, base.function, base.line, f"{base.shape}#{i}"))
        for i, entry in enumerate(reversed(list(ctx.compensations)))
    ]
    if not parallel:
        for entry, item in items:
            _compensate_one(ctx, entry, item)
        return
    pending: list[tuple[_Call, _Replayed]] = []
    for entry, item in items:
        ctx.compensations.remove(entry)
        call = _compensation_call(ctx, entry, item)
        state = _replay(ctx, call)
        if not state.done:
            pending.append((call, state))
    if pending:
        _run_together(ctx, pending)


def _run_together(ctx: RunContext, pending: list[tuple[_Call, _Replayed]]) -> None:
    """Run compensations concurrently, then journal every outcome in one step, in order."""
    with ThreadPoolExecutor(max_workers=len(pending), thread_name_prefix="continuum-comp") as pool:
        outcomes = list(pool.map(lambda item: _attempts(ctx, *item), pending))
    ctx.enter()
    with ctx.step() as writer:
        for (call, state), events in zip(pending, outcomes, strict=True):
            for kind, fields in events:
                seq = ctx.cursor.next_seq
                writer.emit(kind, call.command, fields)
                _apply(ctx, call, state, kind, seq, fields)
    for call, state in pending:
        _warn_if_failed(ctx, call, state)


def _attempts(ctx: RunContext, call: _Call, state: _Replayed) -> list[tuple[str, dict[str, Any]]]:
    """Every attempt of one compensation, in this thread; returns the events to journal.

    Backoff between attempts is slept here (a parallel group never suspends midway).
    """
    events: list[tuple[str, dict[str, Any]]] = []
    attempt = state.attempts + 1
    while True:
        info = ActivityInfo(
            run_id=ctx.run_id,
            activity=call.name,
            attempt=attempt,
            idempotency_key=_key(ctx, call, state),
            heartbeat_timeout=None,
        )
        try:
            data = jsonable(
                invoke(call.fn, call.args, call.kwargs, info), what=f"the result of {call.name}"
            )
        except Exception as error:
            fields: dict[str, Any] = {
                "activity": call.name,
                "error_type": error_type_name(error),
                "message": str(error),
            }
            last = attempt >= call.retry.max_attempts or not call.retry.is_retryable(error)
            if last or isinstance(error, PayloadError):
                fields["attempts"] = attempt
                events.append((ACTIVITY_FAILED, fields))
                return events
            delay = call.retry.delay(attempt)
            fields.update(attempt=attempt, retry_at=iso(ctx.after(delay)))
            events.append((ACTIVITY_ATTEMPT_FAILED, fields))
            ctx.handle.sleep(delay)
            attempt += 1
            continue
        events.append(
            (ACTIVITY_COMPLETED, {"activity": call.name, "result": data, "attempt": attempt})
        )
        return events
