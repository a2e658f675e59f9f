"""Replay through a snapshot ends exactly like replay through the raw journal.

`Retried` makes activity calls whose first event is not their result (a failed
attempt, or a task handed to a queue). Its history is recorded once on Postgres, then
the code changes under it (an option raw replay reads at such a call goes bad) and the
history is replayed twice on the same store, as two fresh runs: from the events only,
and from a snapshot of compacted steps. Both must end the same way.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from continuum import Retry, Workflow, activity, await_signal
from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run, load_history
from continuum.runtime.journal import ActivityRun, Compacted
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.snapshot import pack
from continuum.runtime.store.base import COMPLETED, DRIFTED, NewEvent, NewRun, Store
from continuum.testing.drive import drain
from continuum.testing.replay import _claim
from tests.runtime.app import acts

NAME = "tests.runtime.test_replay_parity:Retried"
#: Options a test adds to every call of `Retried` (the code change under the run).
EXTRA: dict[str, Any] = {}
#: Set by a test: catch the error of each call and go on.
CATCH: dict[str, bool] = {}
RETRY = Retry(max_attempts=2, backoff="constant", initial=0.0)


def _call(line: int, queued: bool) -> Any:
    options: dict[str, Any] = {"queue": "remote"} if queued else {}
    command = ("activity", NAME, "Retried.run", line, "s")
    try:
        return activity(acts.flaky, 1, retry=RETRY, _command=command, **options, **EXTRA)["attempt"]
    except Exception as err:
        if not CATCH.get("on"):
            raise
        return type(err).__name__


class Retried(Workflow, workflow=NAME, snapshot_threshold=1_000_000):
    def run(self, queued):
        out = [_call(1, queued) for _ in range(2)]  # one site twice: one run of results
        out.append(_call(2, queued))
        return out


REG = Registry.from_classes(Retried)


@pytest.fixture(scope="module", params=[False, True], ids=["inline", "queued"])
def history(request, database_url):
    """One completed run of `Retried` on Postgres: (store, run, events)."""
    from continuum.runtime.store.postgres import PostgresStore

    schema = f"cn_parity_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(database_url, schema=schema, migrate=True)
    try:
        run_id = Client(store=store).start(Retried, request.param)
        for _ in range(20):
            drain(store, REG, queues=("remote",), short_wait=0.0)
            if store.get_run(run_id).status == COMPLETED:
                break
        run = store.get_run(run_id)
        assert run.status == COMPLETED and json.loads(run.result) == [2, 2, 2]
        events = store.load_events(run_id)
        first = "activity_scheduled" if request.param else "activity_attempt_failed"
        assert events[0].kind == first
        yield store, run, events
    finally:
        store.close()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def replay(store: Store, run, events, *, snapshot: bool, suffix: str) -> Any:
    """Replay ``events`` as a fresh run on ``store`` (from a snapshot of them, or raw)."""
    run_id = f"{run.run_id}-{suffix}-{'snap' if snapshot else 'raw'}"
    store.create_run(NewRun(run_id=run_id, workflow=run.workflow, input=run.input))
    claimed, lease = _claim(store, REG, run_id)
    with store.step(lease) as step:
        for event in events:
            step.append(NewEvent(event.seq, event.kind, event.command, event.payload))
        if snapshot:
            packed = pack(run_id, claimed.version_hash, events)
            assert packed is not None and packed.through_seq == events[-1].seq
            step.save_snapshot(packed)
    store.release(lease)
    claimed, lease = _claim(store, REG, run_id)
    if snapshot:
        entries, _ = load_history(store, claimed)
        assert all(isinstance(e, Compacted) for e in entries)
        # Both sites are runs of retried (or queued) calls: the first of two calls.
        assert [type(e) for e in entries] == [ActivityRun, ActivityRun]
        assert len(entries[0].results) == 2
        assert all(e.kind == events[0].kind for e in entries)
    outcome = execute_run(store, claimed, LeaseHandle(lease), REG)
    record = store.get_run(run_id)
    error = None
    if record.error:
        error = json.loads(record.error)
        error = (error["type"], error["message"].replace(run_id, "<run>"))
    return outcome.status, record.result and json.loads(record.result), error


CHANGES = {
    "compensate-partial": {"compensate": functools.partial(acts.refund, "o1")},
    "timeout-text": {"timeout": "soon"},
    "heartbeat-bool": {"heartbeat": True},
    "kwargs-not-a-mapping": {"kwargs": [1]},
}


@pytest.mark.parametrize("catch", [False, True], ids=["uncaught", "caught"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_bad_option_ends_the_same_through_a_snapshot(history, change, catch, monkeypatch):
    store, run, events = history
    for key, value in CHANGES[change].items():
        monkeypatch.setitem(EXTRA, key, value)
    monkeypatch.setitem(CATCH, "on", catch)
    suffix = f"{change}-{catch}"
    raw = replay(store, run, events, snapshot=False, suffix=suffix)
    snap = replay(store, run, events, snapshot=True, suffix=suffix)
    assert snap == raw
    # Every call raised before consuming anything, so the recorded history is left
    # over when the workflow ends (raising or returning): drift, the same both ways.
    assert raw[0] == DRIFTED and raw[2][0] == "ReplayDriftError", raw


def test_unchanged_code_replays_the_same_both_ways(history):
    store, run, events = history
    raw = replay(store, run, events, snapshot=False, suffix="same")
    snap = replay(store, run, events, snapshot=True, suffix="same")
    assert raw == snap == (COMPLETED, [2, 2, 2], None)


# --- activity callables that cannot be hashed -------------------------------------------------


@dataclass
class Traced:
    """A wrapper that compares by value, hence unhashable (``eq=True`` drops ``__hash__``)."""

    fn: Any

    def __post_init__(self) -> None:
        functools.update_wrapper(self, self.fn)  # takes its module and qualified name

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


TRACED = Traced(acts.echo)
UNHASHABLE = "tests.runtime.test_replay_parity:Unhashable"


class Unhashable(Workflow, workflow=UNHASHABLE, snapshot_threshold=1_000_000):
    def run(self, _input):
        first = activity(TRACED, 1, _command=("activity", UNHASHABLE, "Unhashable.run", 1, "s"))
        got = await_signal("go", _command=("await_signal", UNHASHABLE, "Unhashable.run", 2, "s"))
        return [first, got]


class UnhashableSnapshot(Unhashable, workflow=UNHASHABLE + "Snapshot", snapshot_threshold=1):
    pass


@pytest.mark.parametrize("flow", [Unhashable, UnhashableSnapshot], ids=["raw", "snapshot"])
def test_an_unhashable_activity_callable_replays(pg_store, flow):
    with pytest.raises(TypeError):
        hash(TRACED)
    registry = Registry.from_classes(flow)
    client = Client(store=pg_store)
    run_id = client.start(flow, None)
    drain(pg_store, registry)
    assert pg_store.get_run(run_id).waiting_on == "signal:go"
    if flow is UnhashableSnapshot:
        snapshot, _ = pg_store.load_history(run_id)
        assert snapshot is not None
    client.signal(run_id, "go", "x")
    drain(pg_store, registry)  # replays the activity call, then gets the signal
    record = pg_store.get_run(run_id)
    assert record.status == COMPLETED, record.error
    assert json.loads(record.result) == [1, "x"]


# --- command shapes: what the journal reader interns is exactly what compacts ---------------

SHAPES = {
    "written by this runtime": ["activity", "app:F", "F.run", 3, "ab12cd34"],
    "line as text": ["activity", "app:F", "F.run", "3", "ab12cd34"],
    "line as float": ["activity", "app:F", "F.run", 3.5, "ab12cd34"],
    "line as bool": ["activity", "app:F", "F.run", True, "ab12cd34"],
    "kind as number": [1, "app:F", "F.run", 3, "ab12cd34"],
    "four parts": ["activity", "app:F", "F.run", 3],
    "six parts": ["activity", "app:F", "F.run", 3, "ab12cd34", "x"],
    "nested": ["activity", "app:F", "F.run", 3, ["ab12cd34"]],
}


def test_read_commands_are_interned_exactly_when_they_compact(pg_store):
    """`load_history` interns a command as a `CommandId` iff a snapshot step may hold it."""
    from continuum.runtime.command import CommandId
    from continuum.runtime.snapshot import compact

    payload = '{"activity": "app.acts:echo", "result": 1, "attempt": 1}'
    for index, shape in enumerate(SHAPES.values()):
        run_id = f"shape-{index}"
        pg_store.create_run(NewRun(run_id=run_id, workflow=NAME, input="null"))
        _, lease = _claim(pg_store, REG, run_id)
        with pg_store.step(lease) as step:
            step.append(NewEvent(1, "activity_completed", tuple(shape), payload))
        pg_store.release(lease)
    for index, (name, shape) in enumerate(SHAPES.items()):
        _, [recorded] = pg_store.load_history(f"shape-{index}")
        interned = type(recorded.command) is CommandId
        assert list(recorded.command) == shape, name
        assert interned == bool(compact([recorded])), name
        assert interned == (name == "written by this runtime"), name
