"""Snapshots: a run's journal prefix packed into one row, so a resume reads bounded history.

Past ``snapshot_threshold`` events (a workflow class keyword, else
`DEFAULT_SNAPSHOT_THRESHOLD`) the engine packs every event up to seq N into one
`Snapshot` row when the run suspends. A later resume loads that row plus the events
after N — at most about one threshold of rows — and replays from the packed events
exactly as it would from the rows: replay stays the single source of truth, the
snapshot only saves reading N rows. The journal itself is never shortened.

The packed form is versioned (`FORMAT_VERSION`). A format this runtime does not know
raises `SnapshotFormatError`; the engine then logs it and replays the full journal. A
snapshot taken under another version hash is ignored the same way.

>>> from continuum.runtime.store.base import Event
>>> events = [Event("r1", 1, "side_effect", ("now", "w", "f", 1, "s"), '{"value":1}')]
>>> snap = pack("r1", "abc", events)
>>> snap.through_seq, snap.format_version
(1, 1)
>>> unpack(snap, run_id="r1", version_hash="abc") == events
True
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .errors import SnapshotFormatError
from .store.base import Event, Snapshot

#: The packed format this runtime writes.
FORMAT_VERSION = 1
#: Formats this runtime reads.
SUPPORTED_FORMATS = frozenset({1})
#: Events after which a run is snapshotted when its workflow sets no threshold.
DEFAULT_SNAPSHOT_THRESHOLD = 1000


def threshold_of(flow: type) -> int:
    """The snapshot threshold of a workflow class (its keyword, else the default)."""
    value = getattr(flow, "__continuum_snapshot_threshold__", None)
    return int(value) if value else DEFAULT_SNAPSHOT_THRESHOLD


def pack(run_id: str, version_hash: str | None, events: Sequence[Event]) -> Snapshot:
    """Pack ``events`` (the journal from seq 1, without gaps) into one snapshot."""
    rows = [
        [e.seq, e.kind, None if e.command is None else list(e.command), e.payload] for e in events
    ]
    data = {
        "format": FORMAT_VERSION,
        "run_id": run_id,
        "version_hash": version_hash,
        "events": rows,
    }
    through = events[-1].seq if events else 0
    return Snapshot(run_id, through, FORMAT_VERSION, json.dumps(data, separators=(",", ":")))


def unpack(snapshot: Snapshot, *, run_id: str, version_hash: str | None) -> list[Event] | None:
    """The events packed in ``snapshot``; None when it belongs to another run or version.

    Raises `SnapshotFormatError` for a format this runtime does not read.
    """
    if snapshot.format_version not in SUPPORTED_FORMATS:
        raise SnapshotFormatError(run_id, snapshot.format_version, sorted(SUPPORTED_FORMATS))
    data = json.loads(snapshot.data)
    if data.get("format") not in SUPPORTED_FORMATS:
        raise SnapshotFormatError(run_id, int(data.get("format") or 0), sorted(SUPPORTED_FORMATS))
    if data.get("run_id") != run_id or data.get("version_hash") != version_hash:
        return None
    events = [
        Event(run_id, seq, kind, None if command is None else tuple(command), payload)
        for seq, kind, command, payload in data["events"]
    ]
    if [e.seq for e in events] != list(range(1, len(events) + 1)):
        return None  # not a gapless prefix: never trust it
    return events
