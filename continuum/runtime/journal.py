"""The journal as the engine sees it: event kinds, payload helpers and the replay cursor.

Pure code, no I/O. A run's history is the list of `Event`s the store returns; the
`Cursor` walks it while the workflow replays. Each effect call consumes the events
recorded for it (one or several, e.g. failed attempts then the result) and checks
that their command identity matches the call; a mismatch is drift.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .codec import from_jsonable, to_jsonable
from .command import CommandId
from .store.base import Event, NewEvent

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


def dump_payload(fields: dict[str, Any]) -> str:
    """JSON text of an event payload whose values are already JSON data."""
    return json.dumps(fields, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def load_payload(text: str) -> dict[str, Any]:
    """Parse an event payload; user values inside stay JSON data (see `user_value`)."""
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


class Cursor:
    """Position in a run's recorded history while it replays.

    ``seq`` numbers start at 1 and have no gaps; `next_seq` is the position the next
    live event takes.
    """

    __slots__ = ("_events", "_index", "next_seq")

    def __init__(self, events: Sequence[Event]) -> None:
        self._events = list(events)
        self._index = 0
        self.next_seq = (self._events[-1].seq if self._events else 0) + 1

    @property
    def at_tail(self) -> bool:
        """True once every recorded event has been consumed (the live tail)."""
        return self._index >= len(self._events)

    @property
    def recorded(self) -> list[Event]:
        """Every recorded event the cursor walks (consumed or not), in seq order."""
        return list(self._events)

    @property
    def remaining(self) -> int:
        """Recorded events not consumed yet."""
        return len(self._events) - self._index

    def peek(self) -> Event | None:
        """The next recorded event, or None at the live tail."""
        # Called several times per replayed effect: no property call, one comparison.
        index = self._index
        return self._events[index] if index < len(self._events) else None

    def advance(self) -> Event:
        """Consume and return the next recorded event."""
        event = self._events[self._index]
        self._index += 1
        return event

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


def recorded_command(event: Event) -> CommandId | None:
    """The command identity stored with ``event`` (None for run-level events)."""
    return None if event.command is None else CommandId.coerce(event.command)
