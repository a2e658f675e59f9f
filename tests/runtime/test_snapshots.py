"""Snapshots: bounded resume reads, a versioned format, and replay through a snapshot."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum import SnapshotFormatError, Workflow, activity, await_signal
from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.snapshot import (
    DEFAULT_SNAPSHOT_THRESHOLD,
    FORMAT_VERSION,
    pack,
    threshold_of,
    unpack,
)
from continuum.runtime.store.base import COMPLETED, NewRun, Snapshot
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.app import acts
from tests.runtime.app.flows import Shapes

THRESHOLD = 8


class Ticker(
    Workflow, workflow="tests.runtime.test_snapshots:Ticker", snapshot_threshold=THRESHOLD
):
    """One activity and one signal wait per round: every round is a suspend and a resume."""

    def run(self, rounds):
        total = 0
        for i in range(rounds):
            total += activity(acts.echo, i)
            total += await_signal("tick")
        return total


class SnapShapes(Shapes, workflow="tests.runtime.test_snapshots:SnapShapes", snapshot_threshold=2):
    """The replay property test's random shapes, snapshotted every couple of events."""


REG = Registry.from_classes(Ticker, SnapShapes)


class ReadCounter:
    """Delegates to a store and records how many journal rows each load returned."""

    def __init__(self, store) -> None:
        self._store = store
        self.rows: list[int] = []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def load_events(self, run_id, *, after_seq=0):
        events = self._store.load_events(run_id, after_seq=after_seq)
        self.rows.append(len(events))
        return events

    @property
    def load_history(self):
        """Postgres reads the snapshot and the rows after it in one call: count those."""
        combined = self._store.load_history  # AttributeError for stores without it

        def load_history(run_id):
            snapshot, events = combined(run_id)
            self.rows.append(len(events))
            return snapshot, events

        return load_history


def test_resume_reads_a_bounded_number_of_event_rows(store):
    counter = ReadCounter(store)
    client = Client(store=store)
    rounds = 25
    run_id = client.start(Ticker, rounds)
    for i in range(rounds):
        drain(counter, REG)
        client.signal(run_id, "tick", 1)
    drain(counter, REG)
    assert client.result(run_id, timeout=5) == sum(range(rounds)) + rounds
    total = len(store.load_events(run_id))
    assert total == 3 * rounds
    # Without snapshots the last resume would read all 75 rows; with them, a resume
    # reads the rows after the snapshot: under one threshold plus one round's events.
    assert max(counter.rows) <= THRESHOLD + 3 < total
    snapshot = store.load_snapshot(run_id)
    assert snapshot is not None and snapshot.through_seq >= total - THRESHOLD - 3


def test_snapshot_holds_exactly_the_journal_prefix():
    store = InMemoryStore()
    client = Client(store=store)
    run_id = client.start(Ticker, 6)
    for _ in range(6):
        drain(store, REG)
        client.signal(run_id, "tick", 2)
    drain(store, REG)
    snapshot = store.load_snapshot(run_id)
    version = store.get_run(run_id).version_hash
    assert snapshot.format_version == FORMAT_VERSION == 2
    steps = unpack(snapshot, run_id=run_id, version_hash=version)
    recorded = {e.seq: e for e in store.load_events(run_id)}
    # One step per call (an activity, a signal wait), gapless from seq 1, each carrying
    # its first event's seq, kind and command identity.
    assert [s.seq for s in steps] == [1] + [s.last + 1 for s in steps[:-1]]
    assert steps[-1].last == snapshot.through_seq
    assert [(s.seq, s.kind, tuple(s.command)) for s in steps] == [
        (s.seq, recorded[s.seq].kind, recorded[s.seq].command) for s in steps
    ]
    assert [type(s).__name__ for s in steps[:2]] == ["ActivityRun", "SignalStep"]
    assert (steps[0].results, steps[1].value) == ([0], 2)
    assert unpack(snapshot, run_id=run_id, version_hash="another-version") is None


def test_unknown_snapshot_format_is_a_clear_error_and_replay_falls_back(store, caplog):
    client = Client(store=store)
    run_id = client.start(Ticker, 2)
    drain(store, REG)
    future = Snapshot(run_id, 1, 99, json.dumps({"format": 99}))
    with pytest.raises(SnapshotFormatError, match=r"format 99.*reads formats \[1, 2\]"):
        unpack(future, run_id=run_id, version_hash=None)
    client.signal(run_id, "tick", 0)  # wakes the run so it can be claimed
    [(_run, lease)] = store.claim_runs(
        owner="t", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    with store.step(lease) as step:
        step.save_snapshot(future)
    store.release(lease)
    with caplog.at_level(logging.WARNING, logger="continuum.runtime.engine"):
        drain(store, REG)
        client.signal(run_id, "tick", 0)
        drain(store, REG)
    assert client.result(run_id, timeout=5) == 1  # full replay: same result
    assert "format 99" in caplog.text


def test_threshold_comes_from_the_class_or_the_default():
    assert threshold_of(Ticker) == THRESHOLD
    assert threshold_of(Shapes) == DEFAULT_SNAPSHOT_THRESHOLD
    assert pack("r", None, []) is None  # nothing to compact: no snapshot


OPS = st.lists(
    st.sampled_from(["activity", "side_effect", "random", "signal", "wait"]), max_size=10
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_random_shapes_replay_through_their_snapshot(ops):
    """Whatever the shape, a replay that starts from the snapshot reaches the live result."""
    store = InMemoryStore()
    client = Client(store=store)
    run_id = client.start(SnapShapes, ops)
    for i in range(ops.count("signal") + 1):
        drain(store, REG, short_wait=0.0)
        client.signal(run_id, "s", i)
    drain(store, REG, short_wait=0.0)
    original = store.get_run(run_id)
    assert original.status == COMPLETED
    snapshot = store.load_snapshot(run_id)
    replica = InMemoryStore()
    replica.create_run(NewRun(run_id=run_id, workflow=original.workflow, input=original.input))
    [(run, lease)] = replica.claim_runs(
        owner="r", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    replica._runs[run_id].events = store.load_events(run_id)
    replica._runs[run_id].snapshot = snapshot
    outcome = execute_run(replica, run, LeaseHandle(lease), REG)
    assert outcome.status == COMPLETED
    assert json.loads(replica.get_run(run_id).result) == json.loads(original.result)
    assert len(replica.load_events(run_id)) == len(store.load_events(run_id))


def test_an_older_snapshot_never_replaces_a_newer_one(store):
    client = Client(store=store)
    run_id = client.start(Ticker, 1)
    [(_run, lease)] = store.claim_runs(
        owner="t", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    with store.step(lease) as step:
        step.save_snapshot(Snapshot(run_id, 5, 1, '{"newer": true}'))
    with store.step(lease) as step:
        step.save_snapshot(Snapshot(run_id, 3, 1, '{"older": true}'))
    assert store.load_snapshot(run_id) == Snapshot(run_id, 5, 1, '{"newer": true}')
    assert store.load_snapshot("no-such-run") is None


def test_load_history_is_the_snapshot_and_the_rows_after_it(store):
    """Both stores: what a resume reads (the snapshot row, then the journal after it)."""
    client = Client(store=store)
    run_id = client.start(Ticker, 3)
    assert store.load_history(run_id) == (None, [])
    drain(store, REG)
    client.signal(run_id, "tick", 1)
    drain(store, REG)  # activity, signal wait and signal, activity, signal wait

    def rows(events):
        return [(e.seq, e.kind, tuple(e.command or ()), e.payload) for e in events]

    journal = store.load_events(run_id)
    assert len(journal) == 5
    snapshot, after = store.load_history(run_id)
    assert snapshot is None and rows(after) == rows(journal)
    client.signal(run_id, "tick", 1)  # wakes it, so it can be claimed
    [(_run, lease)] = store.claim_runs(
        owner="t", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    with store.step(lease) as step:
        step.save_snapshot(Snapshot(run_id, 3, 2, "{}"))
    store.release(lease)
    snapshot, after = store.load_history(run_id)
    assert snapshot == Snapshot(run_id, 3, 2, "{}")
    assert rows(after) == rows(journal[3:]) and [e.seq for e in after] == [4, 5]
