"""The replay loop for one claimed run.

`execute_run` loads the journal (from the run's snapshot plus the events after it, see
`continuum.runtime.snapshot`), calls the pinned entrypoint with a `RunContext` set, and
turns what happens into one store call: a return → ``finish(completed)``, a wait →
``suspend``, an exception → ``finish(failed)``, drift → ``finish(drifted)``, a
delivered cancellation → ``finish(cancelled)``. A refused fenced write (another worker
owns the run now) writes nothing more. The engine talks to storage only through `Store`.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .codec import decode, encode
from .command import CommandId
from .context import activate
from .effects._children import successor_run_id
from .effects._dispatch import SHORT_WAIT_SECONDS, RunContext, StepWriter, StoreFailure, utc_now
from .errors import (
    ActivityError,
    Cancelled,
    ContinueAsNew,
    LeaseLostError,
    PayloadError,
    ReplayDriftError,
    SnapshotFormatError,
    StoreError,
    Suspend,
    SuspendLeakError,
)
from .journal import ACTIVITY_COMPLETED
from .lease import LeaseHandle
from .registry import Registry
from .snapshot import history_end, pack, threshold_of, unpack
from .store.base import (
    CANCELLED,
    COMPLETED,
    CONTINUED,
    DRIFTED,
    FAILED,
    Event,
    NewEvent,
    NewRun,
    RunRecord,
    Store,
)

logger = logging.getLogger(__name__)

#: `Outcome.status` values besides the terminal run statuses.
SUSPENDED = "suspended"
LOST = "lost"  # the lease was lost; another worker continues the run


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one execution of a run ended with."""

    run_id: str
    #: completed, failed, cancelled, drifted, suspended or lost.
    status: str
    waiting_on: str | None = None
    wake_at: datetime | None = None
    error: str | None = None
    #: The stored result (JSON text) of a completed or continued run.
    result: str | None = None


@dataclass(slots=True)
class _LiveContext(RunContext):
    """A `RunContext` that holds back the latest inline activity result, briefly.

    The event is written before anything else happens: at the next effect's entry
    (before its work runs, so no later activity, child or task ever runs on a result
    that is not durable), before any other step, or — when the workflow ends right
    after it — in the same statement as the finish. A straight-line run thus saves
    one commit, and a crash before the write only means the activity runs again (it
    is at-least-once anyway); the run's history is never ahead of what was journaled.

    That write failing is a store failure of the effect that triggered it, like its
    own step failing: `StoreFailure` unwinds the workflow (no ``except Exception``
    can take another branch on it) and the engine releases the run (`_precheck`).
    """

    deferred: NewEvent | None = None

    def enter(self) -> None:
        if self.deferred is not None:
            self._flush_for_effect()
        RunContext.enter(self)

    @contextmanager
    def step(self) -> Iterator[StepWriter]:
        if self.deferred is not None:
            self._flush_for_effect()
        with RunContext.step(self) as writer:
            yield writer

    def write(self, kind: str, command: CommandId | None, fields: dict[str, Any]) -> None:
        if kind != ACTIVITY_COMPLETED:
            RunContext.write(self, kind, command, fields)
            return
        if self.deferred is not None:
            self._flush_for_effect()
        new = self.cursor.new_event(kind, command, fields)
        self.deferred = new
        self.live_events.append(Event("", new.seq, new.kind, new.command, new.payload))

    def _flush_for_effect(self) -> None:
        """`flush` on behalf of an effect: nothing once a store call failed, and a
        failure becomes the effect's `StoreFailure`."""
        self.check_store()
        try:
            self.flush()
        except StoreError as err:
            self.store_failed(err)

    def flush(self) -> None:
        """Write the held-back event now, in its own fenced step (one statement)."""
        event = self.deferred
        if event is None:
            return
        self.deferred = None
        try:
            with self.store.step(self.handle.lease) as step:
                step.append(event)
        except LeaseLostError as err:
            self.lost = err
            raise
        except BaseException:
            self.deferred = event  # not written: a later flush (or the finish) retries it
            raise

    def take_deferred(self) -> tuple[NewEvent, ...]:
        """The held-back event, for the finish to write; nothing is held after this."""
        event, self.deferred = self.deferred, None
        return () if event is None else (event,)


def error_json(error: BaseException, **extra: Any) -> str:
    """The stored form of a run failure: type, message, traceback (and extra fields)."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ in ("builtins", "continuum")
        else (f"{kind.__module__}.{kind.__qualname__}")
    )
    data: dict[str, Any] = {"type": name, "message": str(error), **extra}
    if isinstance(error, ActivityError):
        data.update(
            activity=error.activity,
            error_type=error.error_type,
            attempts=error.attempts,
        )
    if isinstance(error, ReplayDriftError):
        data.update(seq=error.seq, expected=list(error.expected), recorded=list(error.recorded))
    tb = "".join(traceback.format_exception(error)).strip()
    if tb:
        data["traceback"] = tb[-8000:]
    return json.dumps(data, default=str)


def execute_run(
    store: Store,
    run: RunRecord,
    handle: LeaseHandle,
    registry: Registry,
    *,
    clock: Callable[[], datetime] = utc_now,
    short_wait: float = SHORT_WAIT_SECONDS,
) -> Outcome:
    """Replay ``run`` to its next wait or its end and record the result.

    A run whose cancellation was requested replays too: `Cancelled` is raised at its
    first live effect, so the workflow may clean up (see `docs/composition.md`).
    Raises only store errors other than a lost lease (the caller releases the run).
    """
    handle.cancel_requested = handle.cancel_requested or run.cancel_requested
    flow = registry.entrypoint(run.version_hash or registry.current[run.workflow])
    # A fresh lease (the run never executed) means an empty journal: nothing to read.
    events, packed_through = ([], 0) if handle.lease.fresh else load_history(store, run)
    ctx = _LiveContext.for_run(store, handle, run, events, clock=clock, short_wait=short_wait)
    with activate(ctx):
        try:
            value = flow().run(decode(run.input))
        except BaseException as raised:
            return _settle_raised(ctx, raised, threshold_of(flow), packed_through)
    return _settle_returned(ctx, value)


def load_history(store: Store, run: RunRecord) -> tuple[list[Any], int]:
    """The run's history: its snapshot's steps plus the journal rows after it.

    Returns (entries, seq the stored snapshot covers or 0). An unreadable or foreign
    snapshot is logged and the full journal read instead; its seq is still returned,
    since only a snapshot past it can replace it (`Step.save_snapshot`).
    """
    snapshot, after = store.load_history(run.run_id)
    if snapshot is None:
        return list(after), 0
    try:
        packed = unpack(snapshot, run_id=run.run_id, version_hash=run.version_hash)
    except SnapshotFormatError as err:
        logger.warning("%s", err)
        packed = None
    if packed is None:
        return list(store.load_events(run.run_id)), snapshot.through_seq
    return packed + list(after), snapshot.through_seq


def _maybe_snapshot(ctx: _LiveContext, threshold: int, packed_through: int) -> None:
    """Compact the journal into the run's snapshot once ``threshold`` events piled up after it."""
    history = ctx.cursor.recorded + ctx.live_events
    if history_end(history) - packed_through < threshold:
        return
    snapshot = pack(ctx.run_id, ctx.run.version_hash, history)
    if snapshot is None or snapshot.through_seq <= packed_through:
        return  # nothing new compacts (a call still pending, or one kept raw)
    with ctx.store.step(ctx.handle.lease) as step:
        step.save_snapshot(snapshot)


def _cancel_error() -> str:
    return json.dumps({"type": "Cancelled", "message": "cancellation requested"})


def _finish_cancelled(ctx: _LiveContext) -> Outcome:
    """End the run ``cancelled``, first cascading once more to its descendants.

    `Store.request_cancel` flagged the descendants that existed then; a child started
    while the request was on its way is caught by this second, idempotent cascade.
    """
    try:
        ctx.flush()
        ctx.store.request_cancel(ctx.run_id)
    except LeaseLostError:
        return Outcome(ctx.run_id, LOST)
    except StoreError as err:
        logger.warning("run %s: could not cascade the cancel: %s", ctx.run_id, err)
    return _finish(ctx, CANCELLED, error=_cancel_error())


def _settle_returned(ctx: _LiveContext, value: Any) -> Outcome:
    problem = _precheck(ctx)
    if problem is not None:
        return problem
    if ctx.cursor.remaining:
        return _drift_at_end(ctx)
    if ctx.cancel_delivered:
        # The workflow caught Cancelled and returned after its cleanup.
        return _finish_cancelled(ctx)
    try:
        result = encode(value, what=f"the result of run {ctx.run_id}", root="result")
    except PayloadError as err:
        return _finish(ctx, FAILED, error=error_json(err))
    return _finish(ctx, COMPLETED, result=result)


def _precheck(ctx: _LiveContext) -> Outcome | None:
    """Lost lease, store failure, drift and swallowed suspends win over whatever the
    code did next.

    A store call that failed for an effect is raised here (the caller releases the
    run, which resumes by replay), whether the workflow then returned, raised or
    caught it: nothing it did after the failure counts.
    """
    if ctx.lost is not None or ctx.handle.lost:
        return Outcome(ctx.run_id, LOST)
    if ctx.failed is not None:
        raise ctx.failed
    if ctx.drift is not None:
        return _finish(ctx, DRIFTED, error=error_json(ctx.drift))
    if ctx.suspended is not None:
        leak = SuspendLeakError(
            f"run {ctx.run_id}: workflow code caught the runtime's Suspend "
            f"({ctx.suspended.reason}); never catch BaseException in a workflow"
        )
        return _finish(ctx, FAILED, error=error_json(leak))
    return None


def _drift_at_end(ctx: _LiveContext) -> Outcome:
    event = ctx.cursor.advance()
    drift = ReplayDriftError(
        ctx.run_id, event.seq, ("end of workflow",), (event.kind, *(event.command or ()))
    )
    return _finish(ctx, DRIFTED, error=error_json(drift))


def _settle_raised(
    ctx: _LiveContext, raised: BaseException, threshold: int = 0, packed_through: int = 0
) -> Outcome:
    if isinstance(raised, LeaseLostError):
        ctx.lost = raised
    elif isinstance(raised, StoreError):
        # The database failed mid-step (nothing of the step was written): not the
        # workflow's fault. The caller releases the run and it resumes by replay.
        raise raised
    if (
        isinstance(raised, Suspend)
        and raised is ctx.suspended
        and ctx.lost is None
        and ctx.failed is None
    ):
        try:
            ctx.flush()
            if threshold:
                _maybe_snapshot(ctx, threshold, packed_through)
            ctx.store.suspend(ctx.handle.lease, wake_at=raised.wake_at, waiting_on=raised.reason)
        except LeaseLostError:
            return Outcome(ctx.run_id, LOST)
        return Outcome(ctx.run_id, SUSPENDED, waiting_on=raised.reason, wake_at=raised.wake_at)
    problem = _precheck(ctx)
    if problem is not None:
        return problem
    if isinstance(raised, Cancelled) or (ctx.cancel_delivered and isinstance(raised, Exception)):
        # Uncaught, or the cleanup after it failed: either way the run was cancelled.
        # The store already flagged (and woke) every unfinished descendant.
        return _finish_cancelled(ctx)
    if isinstance(raised, ContinueAsNew):
        return _continue(ctx, raised)
    if isinstance(raised, StoreFailure):  # a guard: `_precheck` handles recorded ones
        raise raised.error
    if not isinstance(raised, Exception):
        raise raised  # KeyboardInterrupt, SystemExit: not the workflow's failure
    if ctx.cursor.remaining:
        return _drift_at_end(ctx)
    return _finish(ctx, FAILED, error=error_json(raised))


def _continue(ctx: _LiveContext, request: ContinueAsNew) -> Outcome:
    """Start the successor (idempotent on its derived id) and finish as ``continued``.

    The successor adopts the children this run started and did not see finish, so
    cancelling the chain's live run still reaches them. The finish names the successor
    in its result; the store reads it there to hand on the signals this run did not
    consume and a cancel request that arrived meanwhile (`Store.finish`).
    """
    if ctx.cursor.remaining:
        return _drift_at_end(ctx)
    if ctx.cancel_delivered:
        return _finish_cancelled(ctx)
    run = ctx.run
    next_id = successor_run_id(run.run_id)
    try:
        ctx.flush()  # the successor's input may come from that result: journal it first
    except LeaseLostError:
        return Outcome(ctx.run_id, LOST)
    ctx.store.create_run(
        NewRun(
            run_id=next_id,
            workflow=run.workflow,
            input=encode(request.input, what="the input of continue_as_new", root="input"),
            namespace=run.namespace,
            attributes=dict(run.attributes),
            parent_id=run.parent_id,
            correlation_id=run.correlation_id or run.run_id,
            adopt_children_of=run.run_id,
        )
    )
    result = json.dumps({"continued_as": next_id})
    return _finish(ctx, CONTINUED, result=result)


def _finish(
    ctx: _LiveContext,
    status: str,
    *,
    result: str | None = None,
    error: str | None = None,
) -> Outcome:
    """Finish the run; a held-back activity result is written in the same statement."""
    events = ctx.take_deferred()
    try:
        ctx.store.finish(ctx.handle.lease, status=status, result=result, error=error, events=events)
    except LeaseLostError:
        return Outcome(ctx.run_id, LOST)
    logger.info("run %s %s", ctx.run_id, status)
    return Outcome(ctx.run_id, status, error=error, result=result)
