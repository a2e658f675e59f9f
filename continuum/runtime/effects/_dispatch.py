"""The one code path that decides, for every effect call, between replay, live tail and drift.

- **Replay**: the cursor holds events recorded for this position. Their command
  identity must equal the call's; the recorded result is returned.
- **Live tail**: the history is used up. The effect does its work and journals it in
  one fenced `Store.step`.
- **Drift**: the recorded identity differs from the call's. `ReplayDriftError` is
  raised and remembered, so the run ends ``drifted`` even if workflow code catches it.

A wait raises `Suspend`; the flag kept here lets the next effect (or the engine)
notice when workflow code swallowed it.

A store call an effect makes that fails (a journal write, a read) is never the
workflow's to handle: it is recorded here and `StoreFailure` (a `BaseException`)
unwinds the workflow; every later effect raises it again, and the engine then
releases the run for replay whatever the workflow did (`RunContext.store_failed`).

Cancellation is delivered here too: once a cancel is requested, the first effect at
the live tail (or the first wait) journals a ``cancel_received`` marker and raises
`Cancelled`; replay raises it again at the marker, so cleanup code the workflow runs
after catching it replays like any other code.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FunctionType
from typing import TYPE_CHECKING, Any, NoReturn

from ..command import CommandId
from ..errors import (
    Cancelled,
    ContinuumError,
    LeaseLostError,
    ReplayDriftError,
    StoreError,
    Suspend,
    SuspendLeakError,
)
from ..journal import (
    ACTIVITY_COMPLETED,
    CANCEL_RECEIVED,
    ActivityRun,
    ActivityStep,
    Cursor,
    intern_command,
    load_payload,
    recorded_command,
    user_value,
)
from ..store.base import Event
from .activity import NOT_RECORDED

if TYPE_CHECKING:
    from ..lease import LeaseHandle
    from ..store.base import RunRecord, Step, Store

#: Waits up to this many seconds (retry backoff, timers) are slept inline instead of
#: suspending: a suspend costs a replay, which short waits are not worth.
SHORT_WAIT_SECONDS = 1.0


def utc_now() -> datetime:
    """The wall clock the runtime uses for deadlines (timezone-aware UTC)."""
    return datetime.now(UTC)


def _shape(kind: str, source: str) -> str:
    return hashlib.sha256(f"{kind}|{source}".encode()).hexdigest()[:8]


def derive_command(kind: str, workflow: str, source: str) -> CommandId:
    """Identity of an effect call made by code that was not generated (run from source).

    Uses the first caller frame outside ``continuum.runtime``: its function's qualified
    name and line, plus a short hash of the effect kind and ``source`` (e.g. the
    activity's name).
    """
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "continuum.runtime"
    ):
        frame = frame.f_back
    code = frame.f_code
    function = getattr(code, "co_qualname", code.co_name)
    return CommandId(kind, workflow, function, frame.f_lineno or 0, _shape(kind, source))


#: Effect implementations resolved on first use (their modules import this one).
_LAZY: dict[str, Callable[..., Any]] = {}


def _effect(module: str, name: str) -> Callable[..., Any]:
    """``effects.<module>.<name>``, imported once.

    A function-level import statement per call would cost more than a replayed step.
    """
    found = _LAZY.get(name)
    if found is None:
        found = _LAZY[name] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return found


#: Generated code passes the same constant tuple at a call site on every replay: its
#: `CommandId` is built once, and is the very object a snapshot step recorded for it.
_coerced = intern_command


#: Plain functions' ``"pkg.mod:function"`` names, computed once per function.
_NAMES: dict[FunctionType, str] = {}


def qualified_name(fn: Callable[..., Any]) -> str:
    """``"pkg.mod:function"`` of an activity (or compensation) function.

    Memoized for plain functions only: they hash by identity, while another callable
    may be unhashable or compare equal to a different one. Raises `ContinuumError`
    when ``fn`` has no module or qualified name.
    """
    if type(fn) is FunctionType:
        name = _NAMES.get(fn)
        if name is not None:
            return name
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname:
        raise ContinuumError(f"activity {fn!r} must be a module-level function")
    name = f"{module}:{qualname}"
    if type(fn) is FunctionType and len(_NAMES) < 65_536:
        _NAMES[fn] = name
    return name


def plain_result(entry: Any, name: str) -> Any:
    """The recorded result (JSON data) at ``entry`` of a plain call of activity ``name``.

    Plain: completed without a compensation to remember, and recorded under ``name``
    (or under no name, in older histories). ``entry`` is a raw ``activity_completed``
    event or a snapshot `ActivityStep` whose identity the caller has matched; anything
    else gives `NOT_RECORDED`. Nothing is consumed. Shared by both replay fast paths
    (`RunContext.replay_activity`, `_activities._replay_completed`).
    """
    if type(entry) is ActivityStep:
        return entry.result if entry.plain and entry.name in (None, name) else NOT_RECORDED
    if entry.kind != ACTIVITY_COMPLETED:
        return NOT_RECORDED
    fields = load_payload(entry.payload)
    if fields.get("compensate") or fields.get("activity") not in (None, name):
        return NOT_RECORDED
    return fields.get("result")


class StoreFailure(BaseException):
    """A store call made for an effect failed; unwinds the workflow.

    A `BaseException`, so ``except Exception`` in workflow code cannot catch it and go
    on as if the effect had happened: the run is released and resumes by replay.
    ``error`` is the `StoreError` (a `LeaseLostError` when another worker owns the run).
    """

    def __init__(self, run_id: str, error: StoreError) -> None:
        self.run_id = run_id
        self.error = error
        super().__init__(f"run {run_id}: store failure: {error}")


@dataclass(slots=True)
class StepWriter:
    """Appends live events inside one fenced step; `RunContext.step` hands it out."""

    step: Step
    cursor: Cursor
    written: int = 0
    #: The events appended so far (kept by the context once the step commits).
    events: list[Event] = field(default_factory=list)

    def emit(self, kind: str, command: CommandId | None, fields: dict[str, Any]) -> None:
        """Append the next event (seq taken from the cursor)."""
        new = self.cursor.new_event(kind, command, fields)
        self.step.append(new)
        self.written += 1
        self.events.append(Event("", new.seq, new.kind, new.command, new.payload))


@dataclass(slots=True)
class PendingCompensation:
    """A completed activity that declared ``compensate=`` and was not rolled back yet."""

    seq: int
    function: str
    args: list[Any]
    kwargs: dict[str, Any]
    result: Any
    #: The `ActivityRef` the activity call returned (matched by `compensate(ref)`).
    ref: Any = None


@dataclass(slots=True)
class RunContext:
    """Per-run state while a worker executes (replays) one run."""

    store: Store
    handle: LeaseHandle
    run: RunRecord
    cursor: Cursor
    clock: Callable[[], datetime] = utc_now
    short_wait: float = SHORT_WAIT_SECONDS
    #: The `Suspend` raised by the latest wait; set until the engine handles it.
    suspended: Suspend | None = None
    #: The drift found, if any (the run ends drifted whatever the code does next).
    drift: ReplayDriftError | None = None
    #: A fenced write was refused: another worker owns the run now.
    lost: LeaseLostError | None = None
    #: A store call for an effect failed (the engine raises it, the run is released).
    failed: StoreError | None = None
    compensations: list[PendingCompensation] = field(default_factory=list)
    patches: dict[str, bool] = field(default_factory=dict)
    #: `Cancelled` was raised in the workflow (the run ends cancelled).
    cancel_delivered: bool = False
    #: Events journaled by this execution (for snapshots), in seq order.
    live_events: list[Event] = field(default_factory=list)

    @classmethod
    def for_run(
        cls,
        store: Store,
        handle: LeaseHandle,
        run: RunRecord,
        events: list[Event],
        **options: Any,
    ) -> RunContext:
        """A context positioned at the start of ``events``."""
        return cls(store=store, handle=handle, run=run, cursor=Cursor(events), **options)

    # --- what effects and the logger read -------------------------------------------
    @property
    def run_id(self) -> str:
        """The run being executed."""
        return self.run.run_id

    @property
    def workflow(self) -> str:
        """Its logical workflow name."""
        return self.run.workflow

    @property
    def replaying(self) -> bool:
        """True while recorded events remain (the replay-safe logger stays silent)."""
        return not self.cursor.at_tail

    # --- the dispatch steps every effect goes through ----------------------------------
    def command(self, kind: str, given: Any, source: str) -> CommandId:
        """The call's identity: the generated ``_command=`` or one derived from the caller."""
        if given is not None:
            return _coerced(given)
        return derive_command(kind, self.workflow, source)

    def enter(self) -> None:
        """Checks made before any effect: swallowed suspend, drift, lost lease, cancel."""
        if self.suspended is not None:
            raise SuspendLeakError(
                f"run {self.run_id}: workflow code caught the runtime's Suspend "
                f"({self.suspended.reason}) and went on; never catch BaseException in a "
                "workflow"
            )
        if self.drift is not None:
            raise self.drift
        self.check_store()
        if not self.cancel_delivered:
            self._replay_cancel()
            if self.handle.cancel_requested and not self.replaying:
                self._deliver_cancel()

    def check_store(self) -> None:
        """Raise `StoreFailure` again once a store call failed or the lease was lost."""
        if self.lost is not None or self.failed is not None:
            raise StoreFailure(self.run_id, self.lost or self.failed)  # type: ignore[arg-type]
        if self.handle.lost:
            self.store_failed(LeaseLostError("lease", "lost", f"run {self.run_id}"))

    def store_failed(self, error: StoreError) -> NoReturn:
        """Record a failed store call and unwind the workflow with `StoreFailure`.

        Whatever the workflow does next, the engine then ends this execution on it: a
        lost lease writes nothing more, any other failure is raised to the worker,
        which releases the run (it resumes by replay).
        """
        if isinstance(error, LeaseLostError):
            self.lost = self.lost or error
        else:
            self.failed = self.failed or error
        raise StoreFailure(self.run_id, error) from error

    @contextmanager
    def storage(self) -> Iterator[Store]:
        """The store, for a call an effect makes outside a step (a read, a child's start)."""
        self.check_store()
        try:
            yield self.store
        except StoreError as err:
            self.store_failed(err)

    def _replay_cancel(self) -> None:
        """At a recorded ``cancel_received`` marker, raise `Cancelled` again."""
        event = self.cursor.peek()
        if event is not None and event.kind == CANCEL_RECEIVED and not self.cancel_delivered:
            self.cursor.advance()
            self.cancel_delivered = True
            raise Cancelled(self.run_id)

    def _deliver_cancel(self) -> NoReturn:
        """Journal the marker, then raise `Cancelled` into the workflow (once per run)."""
        self.write(CANCEL_RECEIVED, None, {})
        self.cancel_delivered = True
        raise Cancelled(self.run_id)

    def expect(self, command: CommandId, kinds: Collection[str]) -> Event | None:
        """Consume the recorded event for ``command``, or return None at the live tail.

        Raises `ReplayDriftError` when the recorded event has another kind or identity.
        """
        self._replay_cancel()
        event = self.cursor.peek()
        if event is None:
            return None
        if event.kind in kinds and event.command == command:
            # The hot replay path: a stored tuple equals the NamedTuple field by field,
            # so no CommandId is built for the comparison.
            return self.cursor.advance()
        recorded = recorded_command(event)
        if event.kind not in kinds or recorded != command:
            self.drift = ReplayDriftError(
                self.run_id,
                event.seq,
                (command.kind, *command[1:]),
                (event.kind, *(recorded or ())),
            )
            raise self.drift
        return self.cursor.advance()

    @contextmanager
    def step(self) -> Iterator[StepWriter]:
        """One fenced transaction for live events; seq numbers are given back on failure.

        A store failure raises `StoreFailure` (`store_failed`).
        """
        self.check_store()
        writer: StepWriter | None = None
        try:
            with self.store.step(self.handle.lease) as step:
                writer = StepWriter(step, self.cursor)
                yield writer
            self.live_events.extend(writer.events)
        except StoreError as err:
            if writer is not None:
                self.cursor.rollback(writer.written)
            self.store_failed(err)
        except BaseException:
            if writer is not None:
                self.cursor.rollback(writer.written)
            raise

    def write(self, kind: str, command: CommandId | None, fields: dict[str, Any]) -> None:
        """Journal one live event in its own step."""
        with self.step() as writer:
            writer.emit(kind, command, fields)

    def suspend(self, waiting_on: str, wake_at: datetime | None) -> NoReturn:
        """Unwind the workflow until ``wake_at`` (or a signal/task) wakes it again.

        A requested cancellation not delivered yet is delivered instead of waiting.
        Cleanup code running after `Cancelled` cannot wait for a signal, a child or a
        queued task (the run would never be let alone): such a wait raises `Cancelled`
        again. Timers and retry backoffs in cleanup are slept inline (`wait_until`).
        """
        if self.handle.cancel_requested:
            if not self.cancel_delivered:
                self._deliver_cancel()
            if waiting_on not in ("timer", "retry"):
                raise Cancelled(self.run_id)
        error = Suspend(waiting_on, wake_at)
        self.suspended = error
        raise error

    def wait_until(self, moment: datetime, waiting_on: str) -> None:
        """Return once ``moment`` has passed: sleep if it is near, else suspend."""
        left = (moment - self.clock()).total_seconds()
        if left <= 0:
            return
        if left > self.short_wait and not self.cancel_delivered:
            self.suspend(waiting_on, moment)
        self.handle.sleep(left)
        if self.clock() < moment:
            # Woken early by a worker shutdown: wait durably instead.
            self.suspend(waiting_on, moment)

    def after(self, seconds: float) -> datetime:
        """The instant ``seconds`` from now."""
        return self.clock() + timedelta(seconds=seconds)

    def replay_activity(
        self,
        fn: Callable[..., Any],
        given: Any,
        kwargs: Any,
        retry: Any,
        timeout: Any,
        heartbeat: Any,
        compensate: Any,
    ) -> Any:
        """The replay hot path: a recorded plain result of a generated activity call.

        A snapshot's step (or run of steps) of a completed activity without
        compensation, or a raw ``activity_completed`` event. Makes the checks `enter`
        and `run_activity` would (none of theirs can act at a recorded position but the
        identity and function name checks) and returns `NOT_RECORDED` for anything
        else, which `activity()` then hands to `run_activity` (drift included). Called
        by `activity()` with the generated identity only, so it matches exactly what
        `command` would return; a context matching more loosely (`versions`' check)
        gets its looser matches on that slower path.

        A step whose first event is not the result (failed attempts, a queued task)
        stands for events raw replay folds in `run_activity`, which reads the call's
        keyword arguments and options first: they are read here too (`call_options`),
        so a bad one raises the same error through a snapshot as through the journal.
        """
        cursor = self.cursor
        index = cursor._index
        entries = cursor._events
        if (
            index >= len(entries)
            or self.suspended is not None
            or self.drift is not None
            or self.lost is not None
            or self.failed is not None
            or self.handle.lost
        ):
            return NOT_RECORDED
        entry = entries[index]
        command = _coerced(given)
        if not (entry.command is command or entry.command == command):
            return NOT_RECORDED
        try:
            name = _NAMES[fn]  # type: ignore[index]
        except (KeyError, TypeError):  # not named yet, or not hashable
            name = qualified_name(fn)  # raises as `run_activity` would
        if type(entry) is ActivityRun:
            # A loop's calls from a snapshot: same identity, plain, name checked per call.
            if entry.name not in (None, name):
                return NOT_RECORDED
            if entry.kind != ACTIVITY_COMPLETED:  # calls of failed or queued attempts
                _effect("_activities", "call_options")(
                    kwargs, retry, timeout, heartbeat, compensate
                )
            value = entry.results[cursor._offset]
            cursor.skip_call(entry)
        else:
            value = plain_result(entry, name)
            if value is NOT_RECORDED:
                return NOT_RECORDED
            if entry.kind != ACTIVITY_COMPLETED:  # a step of failed or queued attempts
                _effect("_activities", "call_options")(
                    kwargs, retry, timeout, heartbeat, compensate
                )
            cursor._index = index + 1
        kind = type(value)
        return user_value(value) if kind is dict or kind is list else value

    # --- effect entry points (called by the public functions in effects/*) -------------
    # Each delegates to the module owning that effect kind's replay and live logic,
    # imported on first use (those modules import this one).
    def activity(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], **options: Any
    ) -> Any:
        return _effect("_activities", "run_activity")(self, fn, args, kwargs, **options)

    def compensate(self, ref: Any, *, command: Any = None) -> None:
        _effect("_compensations", "run_compensation")(self, ref, command=command)

    def compensate_all(self, *, parallel: bool = False, command: Any = None) -> None:
        _effect("_compensations", "run_all_compensations")(self, parallel=parallel, command=command)

    def await_signal(self, name: str, *, timeout: Any = None, command: Any = None) -> Any:
        return _effect("_waits", "await_signal")(self, name, timeout=timeout, command=command)

    def timer(self, duration: Any, *, command: Any = None) -> None:
        _effect("_waits", "timer")(self, duration, command=command)

    def now(self, *, command: Any = None) -> Any:
        return _effect("_values", "now")(self, command=command)

    def today(self, *, command: Any = None) -> Any:
        return _effect("_values", "today")(self, command=command)

    def uuid4(self, *, command: Any = None) -> Any:
        return _effect("_values", "uuid4")(self, command=command)

    def random(self, *, command: Any = None) -> Any:
        return _effect("_values", "seeded_random")(self, command=command)

    def side_effect(self, fn: Callable[[], Any], *, command: Any = None) -> Any:
        return _effect("_values", "side_effect")(self, fn, command=command)

    def set_attributes(self, attributes: dict[str, Any], *, command: Any = None) -> None:
        _effect("_values", "set_attributes")(self, attributes, command=command)

    def patched(self, change_id: str, *, command: Any = None) -> bool:
        return _effect("_values", "patched")(self, change_id, command=command)

    # --- child workflows and continue_as_new ---------------------------------------------
    def start_child(self, flow: Any, input: Any, *, id: Any = None, command: Any = None) -> Any:
        return _effect("_children", "start_child")(self, flow, input, id=id, command=command)

    def await_child(self, ref: Any, *, command: Any = None) -> Any:
        return _effect("_children", "await_child")(self, ref, command=command)

    def run_child(self, flow: Any, input: Any, *, id: Any = None, command: Any = None) -> Any:
        return _effect("_children", "run_child")(self, flow, input, id=id, command=command)

    def continue_as_new(self, input: Any, *, command: Any = None) -> NoReturn:
        _effect("_children", "continue_as_new")(self, input, command=command)
