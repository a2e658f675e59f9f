"""The journal as the engine sees it: event kinds, payload helpers and the replay cursor.

Pure code, no I/O. A run's history is what the store returns: journal rows (`Event`
or `Recorded`), after the `Compacted` steps of its snapshot if it has one
(`continuum.runtime.snapshot`). The `Cursor` walks it while the workflow replays. Each
effect call consumes the entries recorded for it (one or several raw events, e.g.
failed attempts then the result, or one step standing for all of them) and checks that
their command identity matches the call; a mismatch is drift.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .codec import from_jsonable, to_jsonable
from .command import CommandId
from .store.base import NewEvent

# --- event kinds ---------------------------------------------------------------------
ACTIVITY_COMPLETED = "activity_completed"
ACTIVITY_FAILED = "activity_failed"  # terminal: the workflow got ActivityError
ACTIVITY_ATTEMPT_FAILED = "activity_attempt_failed"  # one attempt failed, a retry follows
ACTIVITY_SCHEDULED = "activity_scheduled"  # queued on a task queue (queue=)
SIGNAL_AWAITED = "signal_awaited"  # nothing buffered yet: the deadline is journaled
SIGNAL_RECEIVED = "signal_received"
SIGNAL_TIMED_OUT = "signal_timed_out"
TIMER_STARTED = "timer_started"
TIMER_FIRED = "timer_fired"
SIDE_EFFECT = "side_effect"  # now/today/uuid4/random seed/side_effect(fn)
ATTRIBUTES_SET = "attributes_set"
PATCHED = "patched"
CHILD_STARTED = "child_started"
CHILD_COMPLETED = "child_completed"
CHILD_FAILED = "child_failed"  # failed, cancelled or drifted
CANCEL_RECEIVED = "cancel_received"  # Cancelled was raised into the workflow here

#: Kinds that end an activity command (no more events belong to it).
ACTIVITY_TERMINAL = frozenset({ACTIVITY_COMPLETED, ACTIVITY_FAILED})
ACTIVITY_KINDS = frozenset(
    {ACTIVITY_COMPLETED, ACTIVITY_FAILED, ACTIVITY_ATTEMPT_FAILED, ACTIVITY_SCHEDULED}
)


#: Command identities as read from journals and snapshots, interned: the tuple a
#: generated call site passes and the identity recorded for it become one `CommandId`
#: object, so the replay check is mostly an identity test. Bounded, since a process
#: may load many versions.
_COMMANDS: dict[Any, CommandId] = {}
_COMMANDS_MAX = 65_536


_COMMAND_TYPES = (str, str, str, int, str)


def is_canonical_command(command: Any) -> bool:
    """A five-part identity (tuple or `CommandId`) of the types this runtime writes.

    Only these are interned as a `CommandId` when a journal is read, and only these are
    compacted into snapshot steps: a step compares the interned `CommandId`, which must
    agree with how raw replay compares what the store gave back (any other shape stays
    a plain tuple there).

    >>> is_canonical_command(("activity", "app:F", "F.run", 3, "ab12cd34"))
    True
    >>> is_canonical_command(("activity", "app:F", "F.run", "3", "ab12cd34"))
    False
    """
    return (
        (type(command) is tuple or type(command) is CommandId)
        and len(command) == 5
        and all(type(part) is kind for part, kind in zip(command, _COMMAND_TYPES, strict=True))
    )


def intern_command(given: Any) -> CommandId:
    """`CommandId.coerce`, memoized for hashable identities (tuples)."""
    if type(given) is CommandId:
        return given
    try:
        return _COMMANDS[given]
    except (KeyError, TypeError):
        pass
    command = CommandId.coerce(given)
    if isinstance(given, tuple) and len(_COMMANDS) < _COMMANDS_MAX:
        _COMMANDS[given] = command
    return command


def dump_payload(fields: dict[str, Any]) -> str:
    """JSON text of an event payload whose values are already JSON data."""
    return json.dumps(fields, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


#: The C scanner behind `json.loads`, called directly: for the short payloads of a
#: replay, `json.loads`'s own checks (type, whitespace regexes) cost twice the parse.
_scan_json = json.JSONDecoder().scan_once


def load_payload(text: str) -> dict[str, Any]:
    """Parse an event payload; user values inside stay JSON data (see `user_value`)."""
    try:
        data, end = _scan_json(text, 0)
    except StopIteration:  # leading whitespace or not JSON: json.loads decides
        end = -1
    if end != len(text):
        data = json.loads(text)
    return data if isinstance(data, dict) else {"value": data}


def jsonable(value: Any, *, what: str, root: str = "value") -> Any:
    """A user value as JSON data for a payload; raises `PayloadError` naming ``what``."""
    return to_jsonable(value, what=what, root=root)


def user_value(data: Any) -> Any:
    """Rebuild a user value stored with `jsonable`."""
    return from_jsonable(data)


def iso(moment: datetime) -> str:
    """A timezone-aware instant as ISO 8601 text (how deadlines are journaled)."""
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    """Inverse of `iso`."""
    return datetime.fromisoformat(text)


def command_tuple(command: CommandId) -> tuple[Any, ...]:
    """The plain tuple form a store keeps."""
    return tuple(command)


class Compacted:
    """A snapshot step: one effect call's recorded events, replayed as one entry.

    ``seq``, ``kind`` and ``command`` are those of the call's first event, so a step is
    checked against the call (and drift reported) exactly like that event; ``last`` is
    the seq of its last event. Subclasses hold the recorded outcome, decoded once when
    the snapshot was read; user values stay JSON data (`user_value` copies them out).
    """

    __slots__ = ("command", "kind", "last", "seq")

    def __init__(self, seq: int, last: int, kind: str, command: CommandId) -> None:
        self.seq = seq
        self.last = last
        self.kind = kind
        self.command = command

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seq={self.seq}, last={self.last}, kind={self.kind!r})"


class ActivityStep(Compacted):
    """An activity call: its attempts and its outcome."""

    __slots__ = ("args", "compensate", "failure", "kwargs", "name", "plain", "result")

    def __init__(
        self,
        seq: int,
        last: int,
        kind: str,
        command: CommandId,
        name: str | None,
        result: Any = None,
        compensate: str | None = None,
        args: Any = None,
        kwargs: Any = None,
        failure: tuple[str, str, int] | None = None,
    ) -> None:
        # Assigned here rather than through Compacted.__init__: built once per step of
        # a long history, where the extra call is a fifth of the cost.
        self.seq = seq
        self.last = last
        self.kind = kind
        self.command = command
        #: The recorded ``"pkg.mod:function"`` (None in histories that did not record it).
        self.name = name
        self.result = result
        self.compensate = compensate
        self.args = args
        self.kwargs = kwargs
        #: (error_type, message, attempts) of a terminal failure, else None.
        self.failure = failure
        #: Completed, no compensation: replay just returns ``result``.
        self.plain = failure is None and not compensate


class ActivityRun(Compacted):
    """Consecutive plain calls of one activity call site (a loop), as one cursor entry.

    Each call covered ``advance`` events (its attempts and its completion, no
    compensation) and returned ``results[i]``. The cursor walks the calls one by one
    (`Cursor.peek` hands out each as an `ActivityStep`); the activity hot path reads
    ``results`` directly, so a long loop costs no object per call to load.
    """

    __slots__ = ("advance", "name", "results")

    def __init__(
        self,
        seq: int,
        kind: str,
        command: CommandId,
        name: str | None,
        advance: int,
        results: list[Any],
    ) -> None:
        Compacted.__init__(self, seq, seq + advance * len(results) - 1, kind, command)
        self.name = name
        self.advance = advance
        self.results = results

    def step(self, offset: int) -> ActivityStep:
        """The ``offset``-th call of the run as a step of its own."""
        seq = self.seq + offset * self.advance
        return ActivityStep(
            seq, seq + self.advance - 1, self.kind, self.command, self.name, self.results[offset]
        )


class SignalStep(Compacted):
    """An `await_signal` that got a signal (``value``) or timed out."""

    __slots__ = ("timed_out", "value")

    def __init__(
        self, seq: int, last: int, kind: str, command: CommandId, value: Any, timed_out: bool
    ) -> None:
        Compacted.__init__(self, seq, last, kind, command)
        self.value = value
        self.timed_out = timed_out


class TimerStep(Compacted):
    """A timer that fired."""

    __slots__ = ()


class ValueStep(Compacted):
    """A ``side_effect`` (now, uuid4, random, side_effect) or ``attributes_set`` event."""

    __slots__ = ("value",)

    def __init__(self, seq: int, last: int, kind: str, command: CommandId, value: Any) -> None:
        Compacted.__init__(self, seq, last, kind, command)
        self.value = value


class PatchStep(Compacted):
    """A ``patched`` marker."""

    __slots__ = ("change_id",)

    def __init__(self, seq: int, last: int, kind: str, command: CommandId, change_id: Any) -> None:
        Compacted.__init__(self, seq, last, kind, command)
        self.change_id = change_id


class ChildStep(Compacted):
    """``child_started``, ``child_completed`` or ``child_failed``: its payload fields."""

    __slots__ = ("fields",)

    def __init__(
        self, seq: int, last: int, kind: str, command: CommandId, fields: dict[str, Any]
    ) -> None:
        Compacted.__init__(self, seq, last, kind, command)
        self.fields = fields


def last_seq(entry: Any) -> int:
    """The last journal seq a history entry covers (a raw event or a `Compacted` step)."""
    return entry.last if isinstance(entry, Compacted) else entry.seq


class Cursor:
    """Position in a run's recorded history while it replays.

    The entries are journal rows (`Event`, `Recorded`), after the `Compacted` steps
    of a snapshot if there is one. ``seq`` numbers start at 1 and have no gaps;
    `next_seq` is the position the next live event takes. Inside an `ActivityRun`
    entry, ``_offset`` is the next call's position.
    """

    __slots__ = ("_events", "_index", "_offset", "next_seq")

    def __init__(self, events: Sequence[Any]) -> None:
        self._events = list(events)
        self._index = 0
        self._offset = 0
        self.next_seq = (last_seq(self._events[-1]) if self._events else 0) + 1

    @property
    def at_tail(self) -> bool:
        """True once every recorded event has been consumed (the live tail)."""
        return self._index >= len(self._events)

    @property
    def recorded(self) -> list[Any]:
        """Every recorded entry the cursor walks (consumed or not), in seq order."""
        return list(self._events)

    @property
    def remaining(self) -> int:
        """Recorded entries (events, or calls of a snapshot) not consumed yet."""
        left = len(self._events) - self._index
        if left:
            entry = self._events[self._index]
            if type(entry) is ActivityRun:
                left += len(entry.results) - 1 - self._offset
        return left

    def peek(self) -> Any:
        """The next recorded entry (event or `Compacted` step), or None at the live tail."""
        # Called several times per replayed effect: no property call, one comparison.
        index = self._index
        if index >= len(self._events):
            return None
        entry = self._events[index]
        return entry.step(self._offset) if type(entry) is ActivityRun else entry

    def advance(self) -> Any:
        """Consume and return the next recorded entry."""
        entry = self._events[self._index]
        if type(entry) is ActivityRun:
            offset = self._offset
            self.skip_call(entry)
            return entry.step(offset)
        self._index += 1
        return entry

    def skip_call(self, run: ActivityRun) -> None:
        """Move past the current call of ``run`` (the entry at the cursor)."""
        offset = self._offset + 1
        if offset == len(run.results):
            self._index += 1
            self._offset = 0
        else:
            self._offset = offset

    def new_event(self, kind: str, command: CommandId | None, fields: dict[str, Any]) -> NewEvent:
        """Build the next live event and move `next_seq` past it."""
        event = NewEvent(
            seq=self.next_seq,
            kind=kind,
            command=None if command is None else command_tuple(command),
            payload=dump_payload(fields),
        )
        self.next_seq += 1
        return event

    def rollback(self, count: int) -> None:
        """Give back ``count`` seq numbers whose step did not commit."""
        self.next_seq -= count


def recorded_command(event: Any) -> CommandId | None:
    """The command identity stored with ``event`` (None for run-level events)."""
    return None if event.command is None else CommandId.coerce(event.command)
