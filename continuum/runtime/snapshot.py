"""Snapshots: a run's journal prefix compacted into steps, so a resume reads and replays less.

Past ``snapshot_threshold`` events (a workflow class keyword, else
`DEFAULT_SNAPSHOT_THRESHOLD`) the engine compacts the journal up to seq N into one
`Snapshot` row when the run suspends. The row holds one **step** per effect call, not
the events: an activity's attempts and outcome, a signal wait and what it got, a timer
started and fired, a side effect, a patch marker, a child's start or outcome. Each step
keeps the call's command identity (and its first event's kind and seq) and the recorded
outcome; consecutive plain calls of one activity call site (a loop) share one row that
lists their results. A later resume reads that row (one JSON document, decoded at
once) plus the events after N — at most about one threshold of rows — and replay
checks each call against its step exactly as it would against the events (same
`ReplayDriftError`), then returns the outcome without decoding or building an event per
row.

It is not a continuation: Python cannot save a frame, so workflow code still runs from
the top on every resume; a snapshot makes each replayed step cheap and bounds the rows
read. The journal itself is never shortened.

Compaction fails closed: a call whose events are not complete (a pending activity,
signal wait or timer), an event without a command identity (``cancel_received``), or
anything unexpected ends the compacted prefix, and everything from there stays raw.

The packed form is versioned (`FORMAT_VERSION`). Format 1 (the events themselves) is
still read. A format this runtime does not know raises `SnapshotFormatError`; the
engine then logs it and replays the full journal. A snapshot taken under another
version hash is ignored the same way.

>>> from continuum.runtime.store.base import Event
>>> cmd = ("now", "w", "f", 1, "s")
>>> events = [Event("r1", 1, "side_effect", cmd, '{"kind":"now","value":"2024-01-01"}')]
>>> snap = pack("r1", "abc", events)
>>> snap.through_seq, snap.format_version
(1, 2)
>>> [step] = unpack(snap, run_id="r1", version_hash="abc")
>>> step.seq, step.kind, step.command == cmd, step.value
(1, 'side_effect', True, '2024-01-01')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from .command import CommandId
from .errors import SnapshotFormatError
from .journal import (
    ACTIVITY_ATTEMPT_FAILED,
    ACTIVITY_COMPLETED,
    ACTIVITY_FAILED,
    ACTIVITY_KINDS,
    ACTIVITY_SCHEDULED,
    ACTIVITY_TERMINAL,
    ATTRIBUTES_SET,
    CHILD_COMPLETED,
    CHILD_FAILED,
    CHILD_STARTED,
    PATCHED,
    SIDE_EFFECT,
    SIGNAL_AWAITED,
    SIGNAL_RECEIVED,
    SIGNAL_TIMED_OUT,
    TIMER_FIRED,
    TIMER_STARTED,
    ActivityRun,
    ActivityStep,
    ChildStep,
    Compacted,
    PatchStep,
    SignalStep,
    TimerStep,
    ValueStep,
    intern_command,
    is_canonical_command,
    last_seq,
    load_payload,
    parse_iso,
)
from .store.base import Event, Snapshot

logger = logging.getLogger(__name__)

#: The packed format this runtime writes: compacted steps.
FORMAT_VERSION = 2
#: Formats this runtime reads (1: the raw events, as written before steps).
SUPPORTED_FORMATS = frozenset({1, 2})
#: Events after which a run is snapshotted when its workflow sets no threshold.
DEFAULT_SNAPSHOT_THRESHOLD = 1000

#: Format 2 names a step's first event kind by its index here (append only).
KIND_CODES = (
    ACTIVITY_COMPLETED,
    ACTIVITY_FAILED,
    ACTIVITY_ATTEMPT_FAILED,
    ACTIVITY_SCHEDULED,
    SIGNAL_RECEIVED,
    SIGNAL_AWAITED,
    TIMER_STARTED,
    SIDE_EFFECT,
    ATTRIBUTES_SET,
    PATCHED,
    CHILD_STARTED,
    CHILD_COMPLETED,
    CHILD_FAILED,
)
_CODE_OF = {kind: code for code, kind in enumerate(KIND_CODES)}
_ACTIVITY_CODES = frozenset(_CODE_OF[kind] for kind in ACTIVITY_KINDS)


def threshold_of(flow: type) -> int:
    """The snapshot threshold of a workflow class (its keyword, else the default)."""
    value = getattr(flow, "__continuum_snapshot_threshold__", None)
    return int(value) if value else DEFAULT_SNAPSHOT_THRESHOLD


# --- compaction ------------------------------------------------------------------------


class _Stop(Exception):
    """The events from here cannot be compacted (pending, unexpected or malformed)."""


def compact(history: Sequence[Any]) -> list[Compacted]:
    """The longest prefix of ``history`` that compacts into steps.

    ``history`` is a run's journal from seq 1 without gaps: the steps of an earlier
    snapshot (kept as they are), then events. Compaction stops at the first event it
    cannot take (see the module docstring); what follows stays raw.
    """
    steps: list[Compacted] = []
    index, count, expected = 0, len(history), 1
    while index < count:
        entry = history[index]
        if isinstance(entry, Compacted):
            if entry.seq != expected:
                break
            steps.append(entry)
            index += 1
        else:
            try:
                step, index = _compact_call(history, index, expected)
            except (_Stop, KeyError, TypeError, ValueError, AttributeError):
                break
            steps.append(step)
        expected = steps[-1].last + 1
    return steps


def _compact_call(history: Sequence[Any], index: int, seq: int) -> tuple[Compacted, int]:
    """The step made of the events of one call starting at ``history[index]``."""
    first = history[index]
    if first.seq != seq or first.kind not in _CODE_OF or not is_canonical_command(first.command):
        raise _Stop
    command = intern_command(first.command)
    kind = first.kind
    if kind in ACTIVITY_KINDS:
        return _compact_activity(history, index, command)
    fields = load_payload(first.payload)
    if kind == SIGNAL_RECEIVED:
        return SignalStep(seq, seq, kind, command, fields.get("payload"), False), index + 1
    if kind == SIGNAL_AWAITED:
        raw = fields.get("deadline")
        if raw:
            parse_iso(raw)  # replay parses it: a malformed one stays raw
        outcome = _next_of(history, index, first, (SIGNAL_RECEIVED, SIGNAL_TIMED_OUT))
        timed_out = outcome.kind == SIGNAL_TIMED_OUT
        value = None if timed_out else load_payload(outcome.payload).get("payload")
        return SignalStep(seq, seq + 1, kind, command, value, timed_out), index + 2
    if kind == TIMER_STARTED:
        parse_iso(fields["fires_at"])
        _next_of(history, index, first, (TIMER_FIRED,))
        return TimerStep(seq, seq + 1, kind, command), index + 2
    if kind == SIDE_EFFECT:
        return ValueStep(seq, seq, kind, command, fields.get("value")), index + 1
    if kind == ATTRIBUTES_SET:
        return ValueStep(seq, seq, kind, command, None), index + 1
    if kind == PATCHED:
        return PatchStep(seq, seq, kind, command, fields.get("change_id")), index + 1
    # Replay reads these keys: a missing one raises there, so such an event stays raw.
    needed = {CHILD_STARTED: ("child_run_id", "workflow"), CHILD_FAILED: ("status",)}
    if not all(key in fields for key in needed.get(kind, ())):
        raise _Stop
    return ChildStep(seq, seq, kind, command, fields), index + 1


def _next_of(history: Sequence[Any], index: int, first: Any, kinds: tuple[str, ...]) -> Any:
    """The event after ``first`` if it is one of ``kinds`` for the same call, else stop."""
    if index + 1 >= len(history):
        raise _Stop  # pending: the wait is not over
    after = history[index + 1]
    if isinstance(after, Compacted) or after.seq != first.seq + 1:
        raise _Stop
    if (
        after.kind not in kinds
        or after.command is None
        or tuple(after.command) != tuple(first.command)
    ):
        raise _Stop  # raw replay reports this as drift
    return after


def _compact_activity(
    history: Sequence[Any], index: int, command: CommandId
) -> tuple[ActivityStep, int]:
    """An activity call: attempts (failed, queued) then its terminal event."""
    first = history[index]
    identity = tuple(first.command)
    name: Any = _UNSET
    seq = first.seq
    position = index
    while True:
        if position >= len(history):
            raise _Stop  # pending: no outcome yet
        event = history[position]
        if (
            isinstance(event, Compacted)
            or event.seq != seq + position - index
            or event.kind not in ACTIVITY_KINDS
            or event.command is None
            or tuple(event.command) != identity
        ):
            raise _Stop
        fields = load_payload(event.payload)
        recorded = fields.get("activity")
        if name is _UNSET:
            name = recorded
        elif recorded != name:
            raise _Stop  # replay checks each event's name: keep such calls raw
        kind = event.kind
        if kind in ACTIVITY_TERMINAL:
            break
        if kind == ACTIVITY_ATTEMPT_FAILED:
            int(fields["attempt"])
            parse_iso(fields["retry_at"])
        else:
            int(fields["attempt"])
        position += 1
    last = event.seq
    if kind == ACTIVITY_FAILED:
        failure = (fields["error_type"], fields["message"], int(fields["attempts"]))
        step = ActivityStep(seq, last, first.kind, command, name, failure=failure)
    elif fields.get("compensate"):
        step = ActivityStep(
            seq,
            last,
            first.kind,
            command,
            name,
            fields.get("result"),
            fields["compensate"],
            fields.get("args", []),
            fields.get("kwargs", {}),
        )
    else:
        step = ActivityStep(seq, last, first.kind, command, name, fields.get("result"))
    return step, position + 1


_UNSET: Any = object()


# --- the packed form ---------------------------------------------------------------------


def pack(run_id: str, version_hash: str | None, history: Sequence[Any]) -> Snapshot | None:
    """Compact ``history`` (the journal from seq 1, without gaps) into one snapshot.

    None when not even the first call compacts.
    """
    steps = compact(history)
    if not steps:
        return None
    commands: dict[CommandId, int] = {}
    names: dict[Any, int] = {}
    rows: list[list[Any]] = []
    for step in steps:
        row = _row(step, commands, names)
        last = rows[-1] if rows else None
        if _is_run(row) and last is not None and _is_run(last) and last[:5] == row[:5]:
            last[5].extend(row[5])  # one more call of the same loop
        else:
            rows.append(row)
    through = steps[-1].last
    data = {
        "format": FORMAT_VERSION,
        "run_id": run_id,
        "version_hash": version_hash,
        "through_seq": through,
        "commands": [list(command) for command in commands],
        "names": list(names),
        "steps": rows,
    }
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Snapshot(run_id, through, FORMAT_VERSION, text)


#: Format 2 activity rows: ``[code, command, advance, name, form, ...]`` where form is
#: `_RUN` (then a list of results: consecutive plain calls), `_FAILED` (error type,
#: message, attempts) or `_COMPENSATED` (result, compensation, args, kwargs).
_RUN, _FAILED, _COMPENSATED = 0, 1, 2


def _is_run(row: list[Any]) -> bool:
    return len(row) == 6 and row[4] == _RUN and row[0] in _ACTIVITY_CODES


def _row(step: Compacted, commands: dict[CommandId, int], names: dict[Any, int]) -> list[Any]:
    """``[kind code, command index, events covered, outcome...]`` (format 2)."""
    command = commands.setdefault(step.command, len(commands))
    code = _CODE_OF[step.kind]
    if isinstance(step, ActivityRun):
        name = names.setdefault(step.name, len(names))
        return [code, command, step.advance, name, _RUN, list(step.results)]
    row: list[Any] = [code, command, step.last - step.seq + 1]
    if isinstance(step, ActivityStep):
        row.append(names.setdefault(step.name, len(names)))
        if step.failure is not None:
            row += [_FAILED, *step.failure]
        elif step.compensate:
            row += [_COMPENSATED, step.result, step.compensate, step.args, step.kwargs]
        else:
            row += [_RUN, [step.result]]
    elif isinstance(step, SignalStep):
        row += [1 if step.timed_out else 0, step.value]
    elif isinstance(step, ValueStep):
        row.append(step.value)
    elif isinstance(step, PatchStep):
        row.append(step.change_id)
    elif isinstance(step, ChildStep):
        row.append(step.fields)
    return row


def unpack(snapshot: Snapshot, *, run_id: str, version_hash: str | None) -> list[Any] | None:
    """The history ``snapshot`` stands for: `Compacted` steps (format 2) or events (1).

    None when it belongs to another run or version, or does not hold exactly the
    journal prefix through its ``through_seq`` (never trusted then). Raises
    `SnapshotFormatError` for a format this runtime does not read.
    """
    if snapshot.format_version not in SUPPORTED_FORMATS:
        raise SnapshotFormatError(run_id, snapshot.format_version, sorted(SUPPORTED_FORMATS))
    try:
        data = json.loads(snapshot.data)
    except ValueError:
        logger.warning("run %s: snapshot ignored, it is not JSON", run_id)
        return None
    if not isinstance(data, dict):
        return None
    if data.get("format") not in SUPPORTED_FORMATS:
        raise SnapshotFormatError(run_id, int(data.get("format") or 0), sorted(SUPPORTED_FORMATS))
    if data.get("run_id") != run_id or data.get("version_hash") != version_hash:
        return None
    if data["format"] == 1:
        return _events_v1(run_id, data, snapshot.through_seq)
    try:
        steps = _steps_v2(data)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        logger.warning("run %s: snapshot ignored, it is malformed (%r)", run_id, err)
        return None
    if (
        not steps
        or steps[-1].last != snapshot.through_seq
        or data["through_seq"] != (snapshot.through_seq)
    ):
        return None
    return steps


def _events_v1(run_id: str, data: dict[str, Any], through: int) -> list[Any] | None:
    events = [
        Event(run_id, seq, kind, None if command is None else tuple(command), payload)
        for seq, kind, command, payload in data["events"]
    ]
    if [e.seq for e in events] != list(range(1, len(events) + 1)) or len(events) != through:
        return None  # not a gapless prefix: never trust it
    return events


def _steps_v2(data: dict[str, Any]) -> list[Compacted]:
    commands = [intern_command(tuple(command)) for command in data["commands"]]
    names = data["names"]
    steps: list[Compacted] = []
    seq = 1
    for row in data["steps"]:
        code, command, advance = row[0], commands[row[1]], row[2]
        if type(advance) is not int or advance < 1 or type(code) is not int or code < 0:
            raise ValueError(f"step at seq {seq}: kind {code!r}, {advance!r} events")
        kind = KIND_CODES[code]
        step = _BUILDERS[kind](seq, seq + advance - 1, kind, command, row, names)
        steps.append(step)
        seq = step.last + 1
    return steps


def _activity(seq: int, last: int, kind: str, command: CommandId, row: list[Any], names: Any):
    name, form = names[row[3]], row[4]
    if form == _RUN:
        results = row[5]
        if type(results) is not list or not results:
            raise ValueError("activity run without results")
        return ActivityRun(seq, kind, command, name, last - seq + 1, results)
    if form == _FAILED:
        return ActivityStep(seq, last, kind, command, name, failure=(row[5], row[6], int(row[7])))
    if form == _COMPENSATED:
        return ActivityStep(seq, last, kind, command, name, row[5], row[6], row[7], row[8])
    raise ValueError(f"unknown activity step form {form!r}")


def _signal(seq: int, last: int, kind: str, command: CommandId, row: list[Any], _names: Any):
    return SignalStep(seq, last, kind, command, row[4], bool(row[3]))


def _timer(seq: int, last: int, kind: str, command: CommandId, _row: list[Any], _names: Any):
    return TimerStep(seq, last, kind, command)


def _value(seq: int, last: int, kind: str, command: CommandId, row: list[Any], _names: Any):
    return ValueStep(seq, last, kind, command, row[3])


def _patch(seq: int, last: int, kind: str, command: CommandId, row: list[Any], _names: Any):
    return PatchStep(seq, last, kind, command, row[3])


def _child(seq: int, last: int, kind: str, command: CommandId, row: list[Any], _names: Any):
    if type(row[3]) is not dict:
        raise TypeError("child step without its fields")
    return ChildStep(seq, last, kind, command, row[3])


_BUILDERS: dict[str, Callable[..., Compacted]] = {
    **dict.fromkeys(ACTIVITY_KINDS, _activity),
    SIGNAL_RECEIVED: _signal,
    SIGNAL_AWAITED: _signal,
    TIMER_STARTED: _timer,
    SIDE_EFFECT: _value,
    ATTRIBUTES_SET: _value,
    PATCHED: _patch,
    CHILD_STARTED: _child,
    CHILD_COMPLETED: _child,
    CHILD_FAILED: _child,
}


def history_end(history: Sequence[Any]) -> int:
    """The last seq ``history`` (steps and events) covers; 0 when empty."""
    return last_seq(history[-1]) if history else 0
