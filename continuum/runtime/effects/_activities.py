"""Replay and live logic of activities and their compensations.

One activity call owns a run of consecutive events with its command identity:
``activity_attempt_failed`` for each failed attempt, ``activity_scheduled`` for each
attempt handed to a task queue, and finally ``activity_completed`` or
``activity_failed``. Replay consumes them; the live tail continues from the last one.

Inline attempts run on the worker that executes the workflow: a success costs one
commit. A failed attempt is journaled; a short backoff is slept inline, a long one
suspends the run until the retry time (durable backoff).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..activity_context import ActivityInfo, invoke
from ..command import CommandId
from ..durations import to_seconds
from ..errors import ActivityError, ContinuumError, PayloadError, ReplayDriftError
from ..journal import (
    ACTIVITY_ATTEMPT_FAILED,
    ACTIVITY_COMPLETED,
    ACTIVITY_FAILED,
    ACTIVITY_KINDS,
    ACTIVITY_SCHEDULED,
    ActivityStep,
    iso,
    jsonable,
    load_payload,
    parse_iso,
    user_value,
)
from ..retry import Retry
from ..store.base import waiting_on_task
from ._dispatch import PendingCompensation, RunContext, plain_result, qualified_name
from .activity import NOT_DECLARED, NOT_RECORDED
from .compensation import ActivityRef

if TYPE_CHECKING:
    from ..store.base import Task

#: Used when ``retry=`` is not given: three attempts, exponential from one second.
DEFAULT_RETRY = Retry()
#: Compensations are retried like this; a compensation failing after that is journaled
#: and the run goes on.
COMPENSATION_RETRY = Retry(max_attempts=3, initial=1.0)


def import_function(name: str) -> Callable[..., Any]:
    """Import ``"pkg.mod:function"`` (how queued tasks and compensations find their code)."""
    module_name, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def error_type_name(error: BaseException) -> str:
    """``ValueError`` for builtins, ``pkg.mod.Class`` otherwise."""
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def retry_names(retry: Retry) -> list[str]:
    """``non_retryable`` as names, so a queue worker can apply it to any exception."""
    names = []
    for entry in retry.non_retryable:
        names.append(
            entry if isinstance(entry, str) else f"{entry.__module__}:{entry.__qualname__}"
        )
    return names


@dataclass(slots=True)
class _Replayed:
    """What replaying one activity call's events found."""

    first_seq: int
    attempts: int = 0
    retry_at: datetime | None = None
    scheduled_seq: int | None = None
    done: bool = False
    value: Any = None
    error: ActivityError | None = None


@dataclass(frozen=True, slots=True)
class _Call:
    """One activity call's resolved options."""

    command: CommandId
    name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    retry: Retry
    timeout: float | None
    heartbeat: float | None
    queue: str | None
    compensate: str | None
    idempotency_key: str | None


def run_activity(
    ctx: RunContext,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry: Retry | None = None,
    timeout: Any = None,
    heartbeat: Any = None,
    queue: str | None = None,
    compensate: Any = None,
    idempotency_key: str | None = None,
    command: Any = None,
    kind: str = "activity",
) -> Any:
    """The `activity()` effect (see the module docstring)."""
    name = qualified_name(fn)
    cmd = ctx.command(kind, command, name)
    ctx.enter()
    recorded = _replay_completed(ctx, cmd, name)
    if recorded is not NOT_RECORDED:
        return recorded
    keywords, retry, seconds, heartbeat_seconds, undo = call_options(
        kwargs, retry, timeout, heartbeat, compensate
    )
    call = _Call(
        command=cmd,
        name=name,
        fn=fn,
        args=tuple(args),
        kwargs=keywords,
        retry=retry,
        timeout=seconds,
        heartbeat=heartbeat_seconds,
        queue=queue,
        compensate=undo,
        idempotency_key=idempotency_key,
    )
    state = _replay(ctx, call)
    if not state.done:
        _live(ctx, call, state)
    if state.error is not None:
        raise state.error
    return state.value


def call_options(
    kwargs: Any, retry: Retry | None, timeout: Any, heartbeat: Any, compensate: Any
) -> tuple[dict[str, Any], Retry, float | None, float | None, str | None]:
    """An activity call's keyword arguments and options, as replay and the live tail
    use them: (kwargs, retry, timeout seconds, heartbeat seconds, compensation name).

    The one place they are read (and so validated). Raw replay of a call whose first
    event is not its result reads them before folding its events; replay of the same
    call from a snapshot step does too (`RunContext.replay_activity`), so a bad one
    raises the same error either way.
    """
    undo = None if compensate is None or compensate is NOT_DECLARED else compensate
    return (
        dict(kwargs or {}),
        retry or DEFAULT_RETRY,
        to_seconds(timeout),
        to_seconds(heartbeat),
        None if undo is None else qualified_name(undo),
    )


def _replay_completed(ctx: RunContext, command: CommandId, name: str) -> Any:
    """The hot replay path: a call whose first recorded event is its plain result.

    Consumed and decoded, before any option is read (as `RunContext.replay_activity`
    does). Anything else at this position (failed attempts, a queued task, a
    compensation to remember, drift, the live tail) returns `NOT_RECORDED` without
    consuming anything, and `_replay` handles it in full.
    """
    event = ctx.cursor.peek()
    if event is None or event.kind != ACTIVITY_COMPLETED or event.command != command:
        return NOT_RECORDED
    value = plain_result(event, name)
    if value is NOT_RECORDED:
        return NOT_RECORDED
    ctx.cursor.advance()
    return user_value(value)


def _replay(ctx: RunContext, call: _Call) -> _Replayed:
    state = _Replayed(first_seq=ctx.cursor.next_seq)
    event = ctx.expect(call.command, ACTIVITY_KINDS)
    if event is not None:
        state.first_seq = event.seq
        if type(event) is ActivityStep:
            _apply_step(ctx, call, state, event)
            return state
    while event is not None:
        fields = load_payload(event.payload)
        if fields.get("activity") not in (None, call.name):
            # Same call site, another function: the code changed under the run.
            ctx.drift = ReplayDriftError(
                ctx.run_id,
                event.seq,
                (call.command.kind, call.name),
                (event.kind, fields["activity"]),
            )
            raise ctx.drift
        _apply(ctx, call, state, event.kind, event.seq, fields)
        if state.done:
            return state
        event = ctx.expect(call.command, ACTIVITY_KINDS)
    return state


def _apply_step(ctx: RunContext, call: _Call, state: _Replayed, step: ActivityStep) -> None:
    """Fold a snapshot step (the call's attempts and outcome) into ``state``.

    The same checks and results as replaying its events one by one through `_apply`.
    """
    if step.name not in (None, call.name):
        ctx.drift = ReplayDriftError(
            ctx.run_id, step.seq, (call.command.kind, call.name), (step.kind, step.name)
        )
        raise ctx.drift
    if step.failure is not None:
        error_type, message, attempts = step.failure
        fields: dict[str, Any] = {"error_type": error_type, "message": message}
        fields["attempts"] = attempts
        _apply(ctx, call, state, ACTIVITY_FAILED, step.last, fields)
        return
    fields = {"result": step.result}
    if step.compensate:
        fields.update(compensate=step.compensate, args=step.args, kwargs=step.kwargs)
    _apply(ctx, call, state, ACTIVITY_COMPLETED, step.last, fields)


def _apply(
    ctx: RunContext, call: _Call, state: _Replayed, kind: str, seq: int, fields: dict[str, Any]
) -> None:
    """Fold one event (replayed or just written) into ``state``."""
    if kind == ACTIVITY_COMPLETED:
        state.done = True
        state.value = user_value(fields.get("result"))
        if fields.get("compensate"):
            # A compensated call returns a ref naming it; the result is on .value.
            ref = ActivityRef(call.name, state.first_seq, state.value)
            ctx.compensations.append(
                PendingCompensation(
                    seq=state.first_seq,
                    function=fields["compensate"],
                    args=user_value(fields.get("args", [])),
                    kwargs=user_value(fields.get("kwargs", {})),
                    result=state.value,
                    ref=ref,
                )
            )
            state.value = ref
    elif kind == ACTIVITY_FAILED:
        state.done = True
        state.error = ActivityError(
            call.name, fields["error_type"], fields["message"], int(fields["attempts"])
        )
    elif kind == ACTIVITY_ATTEMPT_FAILED:
        state.attempts = int(fields["attempt"])
        state.retry_at = parse_iso(fields["retry_at"])
        state.scheduled_seq = None
    elif kind == ACTIVITY_SCHEDULED:
        state.attempts = int(fields["attempt"]) - 1
        state.scheduled_seq = seq


def _key(ctx: RunContext, call: _Call, state: _Replayed) -> str:
    return call.idempotency_key or f"{ctx.run_id}:{state.first_seq}"


def _args_data(call: _Call) -> tuple[list[Any], dict[str, Any]]:
    """Validate the arguments at the call site; the error names the bad one."""
    args = [
        jsonable(value, what=f"argument {i + 1} of activity {call.name}", root=f"args[{i}]")
        for i, value in enumerate(call.args)
    ]
    kwargs = {
        key: jsonable(value, what=f"argument {key!r} of activity {call.name}", root=key)
        for key, value in call.kwargs.items()
    }
    return args, kwargs


def _live(ctx: RunContext, call: _Call, state: _Replayed) -> None:
    args, kwargs = _args_data(call)
    if state.scheduled_seq is not None:
        _resume_queued(ctx, call, state, args, kwargs)
    elif call.queue is not None:
        _schedule(ctx, call, state, args, kwargs, available_at=state.retry_at)
    else:
        _run_inline(ctx, call, state, args, kwargs)


# --- inline ---------------------------------------------------------------------------


def _run_inline(
    ctx: RunContext, call: _Call, state: _Replayed, args: list[Any], kwargs: dict[str, Any]
) -> None:
    attempt = state.attempts + 1
    if state.retry_at is not None:
        ctx.wait_until(state.retry_at, "retry")
    while True:
        ctx.enter()
        info = ActivityInfo(
            run_id=ctx.run_id,
            activity=call.name,
            attempt=attempt,
            idempotency_key=_key(ctx, call, state),
            heartbeat_timeout=call.heartbeat,
        )
        try:
            result = invoke(call.fn, call.args, call.kwargs, info, timeout=call.timeout)
            data = jsonable(result, what=f"the result of activity {call.name}")
        except Exception as error:
            if not _record_failure(
                ctx, call, state, attempt, error, call.retry.is_retryable(error)
            ):
                return
            ctx.wait_until(state.retry_at, "retry")  # type: ignore[arg-type]
            attempt += 1
            continue
        _record_success(ctx, call, state, attempt, data, args, kwargs)
        return


def _record_success(
    ctx: RunContext,
    call: _Call,
    state: _Replayed,
    attempt: int,
    data: Any,
    args: list[Any],
    kwargs: dict[str, Any],
) -> None:
    fields: dict[str, Any] = {"activity": call.name, "result": data, "attempt": attempt}
    if call.compensate:
        fields.update(compensate=call.compensate, args=args, kwargs=kwargs)
    seq = ctx.cursor.next_seq
    ctx.write(ACTIVITY_COMPLETED, call.command, fields)
    _apply(ctx, call, state, ACTIVITY_COMPLETED, seq, fields)


def _record_failure(
    ctx: RunContext,
    call: _Call,
    state: _Replayed,
    attempt: int,
    error: BaseException | dict[str, Any],
    retryable: bool,
) -> bool:
    """Journal a failed attempt; True when another attempt follows (``state.retry_at`` set)."""
    if isinstance(error, dict):
        error_type, message = str(error.get("type")), str(error.get("message"))
    else:
        error_type = error_type_name(error)
        message = str(error)
        if isinstance(error, PayloadError):
            retryable = False  # the same result will not encode next time either
    seq = ctx.cursor.next_seq
    if not retryable or attempt >= call.retry.max_attempts:
        fields = {"activity": call.name, "error_type": error_type, "message": message}
        fields["attempts"] = attempt  # type: ignore[assignment]
        ctx.write(ACTIVITY_FAILED, call.command, fields)
        _apply(ctx, call, state, ACTIVITY_FAILED, seq, fields)
        return False
    retry_at = ctx.after(call.retry.delay(attempt))
    fields = {
        "activity": call.name,
        "attempt": attempt,
        "error_type": error_type,
        "message": message,
        "retry_at": iso(retry_at),
    }
    if call.queue is not None:
        # Queued: the failure and the next attempt's task commit together.
        return _schedule(
            ctx, call, state, *_args_data(call), available_at=retry_at, failed=(seq, fields)
        )
    ctx.write(ACTIVITY_ATTEMPT_FAILED, call.command, fields)
    _apply(ctx, call, state, ACTIVITY_ATTEMPT_FAILED, seq, fields)
    return True


# --- queued -----------------------------------------------------------------------------


def _schedule(
    ctx: RunContext,
    call: _Call,
    state: _Replayed,
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    available_at: datetime | None,
    failed: tuple[int, dict[str, Any]] | None = None,
) -> bool:
    """Enqueue the next attempt on ``call.queue`` and suspend until its task is done."""
    attempt = state.attempts + (2 if failed else 1)
    with ctx.step() as writer:
        if failed is not None:
            writer.emit(ACTIVITY_ATTEMPT_FAILED, call.command, failed[1])
        seq = ctx.cursor.next_seq
        task_id = writer.step.enqueue_task(
            {
                "seq": seq,
                "queue": call.queue,
                "activity": call.name,
                "args": json.dumps(
                    {"args": args, "kwargs": kwargs, "non_retryable": retry_names(call.retry)}
                ),
                "attempt": attempt,
                "max_attempts": call.retry.max_attempts,
                "idempotency_key": _key(ctx, call, state),
                "timeout_seconds": call.timeout,
                "heartbeat_seconds": call.heartbeat,
                "available_at": available_at or ctx.clock(),
            }
        )
        writer.emit(
            ACTIVITY_SCHEDULED,
            call.command,
            {"activity": call.name, "queue": call.queue, "task_id": task_id, "attempt": attempt},
        )
    ctx.suspend(waiting_on_task(task_id), None)


def _resume_queued(
    ctx: RunContext, call: _Call, state: _Replayed, args: list[Any], kwargs: dict[str, Any]
) -> None:
    with ctx.storage() as store:
        task: Task | None = store.get_task(ctx.run_id, state.scheduled_seq or 0)
    if task is None:
        raise ContinuumError(
            f"run {ctx.run_id}: the task of activity {call.name} at event "
            f"{state.scheduled_seq} is missing from the store"
        )
    if task.status == "completed":
        data = json.loads(task.result) if task.result is not None else None
        _record_success(ctx, call, state, task.attempt, data, args, kwargs)
    elif task.status == "failed":
        error = json.loads(task.error) if task.error else {}
        state.attempts = task.attempt - 1
        _record_failure(ctx, call, state, task.attempt, error, bool(error.get("retryable", True)))
    else:
        ctx.suspend(waiting_on_task(task.task_id), None)
