"""Compacted snapshot steps: replay through them is exactly as strict as through the events.

`Everything` makes one call of every effect kind, each with an explicit command
identity. Its journal is recorded once; then, for every call site, the identity of
that one call is changed and the history replayed twice on fresh stores: from the raw
events only, and from a snapshot of compacted steps plus the events after it. Both
must stop ``drifted`` with the same `ReplayDriftError` (same seq, same expected and
recorded identities), and an unchanged replay must give the same result both ways.
"""

from __future__ import annotations

import json

import pytest

from continuum import (
    ActivityError,
    Retry,
    Workflow,
    activity,
    await_child,
    await_signal,
    compensate,
    now,
    patched,
    random,
    set_attributes,
    side_effect,
    start_child,
    timer,
    uuid4,
)
from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run, load_history
from continuum.runtime.journal import (
    ActivityStep,
    ChildStep,
    Compacted,
    PatchStep,
    SignalStep,
    TimerStep,
    ValueStep,
)
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.snapshot import compact, pack, unpack
from continuum.runtime.store.base import COMPLETED, DRIFTED, Event, NewEvent, NewRun, Snapshot
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore
from continuum.testing.replay import _claim
from tests.runtime.app import acts
from tests.runtime.test_golden import GOLDEN, V1, V2, _expected, _recorded

NAME = "tests.runtime.test_snapshot_steps:Everything"
#: The call sites of `Everything`, in journal order.
SITES = (
    "plain",
    "retried",
    "failed",
    "compensated",
    "side_effect",
    "now",
    "uuid4",
    "random",
    "attributes",
    "patched",
    "signal_buffered",
    "signal_waited",
    "signal_timeout",
    "timer",
    "child_start",
    "child_await",
    "compensate",
    "last",
)
#: Set by a test: the site whose identity changes, or ("end", site) to return there.
CHANGE: dict[str, str] = {}


def cmd(site: str, kind: str) -> tuple:
    shape = "changed" if CHANGE.get("site") == site else "s"
    return (kind, NAME, "Everything.run", SITES.index(site) + 1, shape)


class Child(Workflow, workflow="tests.runtime.test_snapshot_steps:Child"):
    def run(self, value):
        return {"child": value}


class Everything(Workflow, workflow=NAME, snapshot_threshold=1_000_000):
    def run(self, _input):
        out: list = []

        def done(site: str) -> bool:
            return CHANGE.get("end") == site

        out.append(activity(acts.echo, [1, {"a": (2, 3)}], _command=cmd("plain", "activity")))
        if done("plain"):
            return out
        retry = Retry(max_attempts=3, backoff="constant", initial=0.0)
        out.append(activity(acts.flaky, 1, retry=retry, _command=cmd("retried", "activity")))
        try:
            activity(
                acts.flaky,
                5,
                retry=Retry(max_attempts=2, initial=0.0),
                _command=cmd("failed", "activity"),
            )
        except ActivityError as err:
            out.append([err.error_type, err.attempts])
        ref = activity(
            acts.charge, "o1", compensate=acts.refund, _command=cmd("compensated", "activity")
        )
        out.append(ref.value)
        out.append(side_effect(lambda: {"x": {1, 2}}, _command=cmd("side_effect", "side_effect")))
        out.append(now(_command=cmd("now", "now")).isoformat())
        out.append(str(uuid4(_command=cmd("uuid4", "uuid4"))))
        out.append(random(_command=cmd("random", "random")).random())
        set_attributes(tier="gold", _command=cmd("attributes", "set_attributes"))
        out.append(patched("p1", _command=cmd("patched", "patched")))
        out.append(await_signal("early", _command=cmd("signal_buffered", "await_signal")))
        out.append(await_signal("later", _command=cmd("signal_waited", "await_signal")))
        out.append(
            str(await_signal("never", timeout=0, _command=cmd("signal_timeout", "await_signal")))
        )
        timer(0, _command=cmd("timer", "timer"))
        child = start_child(Child, 7, _command=cmd("child_start", "start_child"))
        out.append(await_child(child, _command=cmd("child_await", "await_child")))
        compensate(ref, _command=cmd("compensate", "compensate"))
        if done("compensate"):
            return out
        out.append(await_signal("last", _command=cmd("last", "await_signal")))
        return out


REG = Registry.from_classes(Everything, Child)


@pytest.fixture(scope="module")
def recorded():
    """One run of `Everything`, suspended on its last signal: (run, events)."""
    store = InMemoryStore()
    client = Client(store=store)
    run_id = client.start(Everything, None)
    client.signal(run_id, "early", "e")
    drain(store, REG)
    client.signal(run_id, "later", {"l": 1})
    drain(store, REG)
    drain(store, REG)  # the zero timeout has passed: timed out, then waits for "last"
    run = store.get_run(run_id)
    assert run.waiting_on == "signal:last", run
    events = store.load_events(run_id)
    client.signal(run_id, "last", "bye")
    drain(store, REG)
    assert store.get_run(run_id).status == COMPLETED
    return store.get_run(run_id), events, store.load_events(run_id)


def replay(run, events, *, snapshot: bool):
    """Execute ``run`` on a fresh store holding ``events`` (and their snapshot)."""
    store = InMemoryStore()
    store.create_run(NewRun(run_id=run.run_id, workflow=run.workflow, input=run.input))
    [(claimed, lease)] = store.claim_runs(
        owner="r", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    store._runs[run.run_id].events = list(events)
    if snapshot:
        packed = pack(run.run_id, claimed.version_hash, events)
        assert packed is not None and packed.through_seq == events[-1].seq
        store._runs[run.run_id].snapshot = packed
        entries, through = load_history(store, claimed)
        assert through == packed.through_seq and all(isinstance(e, Compacted) for e in entries)
    outcome = execute_run(store, claimed, LeaseHandle(lease), REG)
    return outcome, store.get_run(run.run_id)


def _drift(record) -> dict:
    error = json.loads(record.error)
    error.pop("traceback", None)
    return error


def test_every_effect_kind_compacts_into_one_step(recorded):
    _run, _events, final = recorded
    steps = compact(final)
    assert steps[-1].last == final[-1].seq  # nothing pending: all of it compacts
    assert [type(step) for step in steps] == [
        ActivityStep,  # plain
        ActivityStep,  # retried: attempt_failed + completed
        ActivityStep,  # failed: attempt_failed + failed
        ActivityStep,  # compensated
        ValueStep,  # side_effect
        ValueStep,  # now
        ValueStep,  # uuid4
        ValueStep,  # random
        ValueStep,  # attributes
        PatchStep,
        SignalStep,  # buffered: signal_received alone
        SignalStep,  # awaited + received
        SignalStep,  # awaited + timed out
        TimerStep,  # started + fired
        ChildStep,  # started
        ChildStep,  # completed
        ActivityStep,  # the compensation
        SignalStep,  # the last wait
    ]
    by_seq = {e.seq: e for e in final}
    for step in steps:
        first = by_seq[step.seq]
        assert (step.kind, tuple(step.command)) == (first.kind, first.command)
    assert [s.last - s.seq + 1 for s in steps] == [
        1,
        2,
        2,
        1,
        1,
        1,
        1,
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        1,
        1,
        1,
        2,
    ]


def test_pending_calls_stay_raw(recorded):
    _run, events, _final = recorded
    # `events` ends with the last wait's signal_awaited: the pending call is left out.
    steps = compact(events)
    assert steps[-1].last == events[-2].seq
    assert compact(events[:1]) != [] and compact(events[1:]) == []  # must start at seq 1
    # A retried activity cut after its failed attempt: only the calls before it compact.
    retried = next(s for s in compact(events) if s.last - s.seq == 1)
    assert compact(events[: retried.seq])[-1].last == retried.seq - 1


def test_cancel_marker_and_foreign_shapes_fail_closed():
    cmd_ = ("now", "w", "f", 1, "s")
    value = '{"kind":"now","value":"x"}'
    events = [
        Event("r", 1, "side_effect", cmd_, value),
        Event("r", 2, "cancel_received", None, "{}"),
        Event("r", 3, "side_effect", cmd_, value),
    ]
    assert [s.last for s in compact(events)] == [1]
    odd = [Event("r", 1, "side_effect", ("now", "w", "f", "1", "s"), value)]  # line as text
    assert compact(odd) == [] and pack("r", None, odd) is None
    unknown = [Event("r", 1, "some_future_kind", cmd_, "{}")]
    assert compact(unknown) == []


def test_an_unchanged_replay_gives_the_same_result_both_ways(recorded):
    run, _events, final = recorded
    results = []
    for snapshot in (False, True):
        outcome, record = replay(run, final, snapshot=snapshot)
        assert outcome.status == COMPLETED
        results.append(json.loads(record.result))
    assert results[0] == results[1] == json.loads(run.result)


@pytest.mark.parametrize("site", SITES[:-1])
def test_a_changed_identity_drifts_the_same_through_a_snapshot(recorded, site, monkeypatch):
    run, _events, final = recorded
    monkeypatch.setitem(CHANGE, "site", site)
    errors = []
    for snapshot in (False, True):
        outcome, record = replay(run, final, snapshot=snapshot)
        assert outcome.status == DRIFTED, (site, snapshot, record.error)
        errors.append(_drift(record))
    assert errors[0] == errors[1]
    assert errors[0]["type"] == "ReplayDriftError"


@pytest.mark.parametrize("site", ["plain", "compensate"])
def test_ending_early_drifts_the_same_through_a_snapshot(recorded, site, monkeypatch):
    run, _events, final = recorded
    monkeypatch.setitem(CHANGE, "end", site)
    errors = [_drift(replay(run, final, snapshot=s)[1]) for s in (False, True)]
    assert errors[0] == errors[1] and errors[0]["expected"] == ["end of workflow"]


def test_another_activity_function_at_the_same_site_drifts_the_same(recorded, monkeypatch):
    run, _events, final = recorded
    monkeypatch.setattr(acts, "echo", acts.slow)  # same call site, another function
    errors = [_drift(replay(run, final, snapshot=s)[1]) for s in (False, True)]
    assert errors[0] == errors[1]
    assert errors[0]["recorded"] == ["activity_completed", "tests.runtime.app.acts:echo"]


def test_format_1_snapshots_are_still_read(recorded):
    run, _events, final = recorded
    store = InMemoryStore()
    store.create_run(NewRun(run_id=run.run_id, workflow=run.workflow, input=run.input))
    [(claimed, lease)] = store.claim_runs(
        owner="r", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    store._runs[run.run_id].events = list(final)
    prefix = final[:10]
    legacy = {
        "format": 1,
        "run_id": run.run_id,
        "version_hash": claimed.version_hash,
        "events": [[e.seq, e.kind, list(e.command or ()) or None, e.payload] for e in prefix],
    }
    store._runs[run.run_id].snapshot = Snapshot(run.run_id, 10, 1, json.dumps(legacy))
    entries, through = load_history(store, claimed)
    assert through == 10 and [e.seq for e in entries] == [e.seq for e in final]
    outcome = execute_run(store, claimed, LeaseHandle(lease), REG)
    assert outcome.status == COMPLETED
    assert json.loads(store.get_run(run.run_id).result) == json.loads(run.result)


def test_a_foreign_or_inconsistent_snapshot_is_ignored(recorded):
    run, events, _final = recorded
    packed = pack(run.run_id, "h1", events)
    assert unpack(packed, run_id=run.run_id, version_hash="h2") is None
    assert unpack(packed, run_id="another-run", version_hash="h1") is None
    shifted = Snapshot(run.run_id, packed.through_seq + 1, 2, packed.data)
    assert unpack(shifted, run_id=run.run_id, version_hash="h1") is None
    assert (
        unpack(Snapshot(run.run_id, 1, 2, "not json"), run_id=run.run_id, version_hash="h1") is None
    )
    steps = unpack(packed, run_id=run.run_id, version_hash="h1")
    assert [(s.seq, s.last) for s in steps] == [(s.seq, s.last) for s in compact(events)]


# --- a loop's calls: one `ActivityRun` entry ------------------------------------------------

LOOP = "tests.runtime.test_snapshot_steps:Loop"
#: Set by a test: {"calls": n} to change how many calls the loop makes, {"odd": i} to
#: call another function at iteration i, {"shape": i} to change the identity there.
LOOP_CHANGE: dict[str, int] = {}


class Loop(Workflow, workflow=LOOP):
    def run(self, n):
        total = []
        for i in range(LOOP_CHANGE.get("calls", n)):
            fn = acts.slow if LOOP_CHANGE.get("odd") == i else acts.echo
            shape = "changed" if LOOP_CHANGE.get("shape") == i else "s"
            total.append(activity(fn, i, _command=("activity", LOOP, "Loop.run", 1, shape)))
        total.append(await_signal("done", _command=("await_signal", LOOP, "Loop.run", 2, "s")))
        return total


LOOP_REG = Registry.from_classes(Loop)


@pytest.fixture(scope="module")
def loop_history():
    store = InMemoryStore()
    run_id = Client(store=store).start(Loop, 6)
    drain(store, LOOP_REG)
    Client(store=store).signal(run_id, "done", "ok")
    drain(store, LOOP_REG)
    return store.get_run(run_id), store.load_events(run_id)


def test_a_loop_packs_into_one_run_of_results(loop_history):
    run, events = loop_history
    packed = pack(run.run_id, "h", events)
    data = json.loads(packed.data)
    assert data["steps"][0][4:] == [0, [0, 1, 2, 3, 4, 5]]  # one row for the six calls
    run_entry, wait = unpack(packed, run_id=run.run_id, version_hash="h")
    assert (run_entry.seq, run_entry.last, run_entry.results) == (1, 6, [0, 1, 2, 3, 4, 5])
    assert [run_entry.step(i).seq for i in range(6)] == [1, 2, 3, 4, 5, 6]
    assert wait.seq == 7


@pytest.mark.parametrize(
    "change", [{"odd": 3}, {"shape": 3}, {"calls": 4}, {"calls": 8}, {"shape": 0}, {"odd": 5}]
)
def test_drift_inside_a_loop_run_is_the_same_as_through_events(loop_history, change, monkeypatch):
    run, events = loop_history
    for key, value in change.items():
        monkeypatch.setitem(LOOP_CHANGE, key, value)
    errors = []
    for snapshot in (False, True):
        store = InMemoryStore()
        store.create_run(NewRun(run_id=run.run_id, workflow=run.workflow, input=run.input))
        [(claimed, lease)] = store.claim_runs(
            owner="r",
            current_versions=LOOP_REG.current,
            known_versions=(),
            limit=1,
            lease_seconds=30,
        )
        store._runs[run.run_id].events = list(events)
        if snapshot:
            store._runs[run.run_id].snapshot = pack(run.run_id, claimed.version_hash, events)
        outcome = execute_run(store, claimed, LeaseHandle(lease), LOOP_REG)
        assert outcome.status == DRIFTED, (change, snapshot)
        errors.append(_drift(store.get_run(run.run_id)))
    assert errors[0] == errors[1]


def test_an_unchanged_loop_replays_through_its_run(loop_history):
    run, events = loop_history
    store = InMemoryStore()
    store.create_run(NewRun(run_id=run.run_id, workflow=run.workflow, input=run.input))
    [(claimed, lease)] = store.claim_runs(
        owner="r", current_versions=LOOP_REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    store._runs[run.run_id].events = list(events)
    store._runs[run.run_id].snapshot = pack(run.run_id, claimed.version_hash, events)
    assert execute_run(store, claimed, LeaseHandle(lease), LOOP_REG).status == COMPLETED
    assert json.loads(store.get_run(run.run_id).result) == [0, 1, 2, 3, 4, 5, "ok"]


# --- the golden journals, through a snapshot ----------------------------------------------


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_journals_replay_through_their_snapshot(path):
    """Each golden history, compacted as far as it goes, replays to its recorded outcome.

    As `continuum.testing.replay.replay_run` does, plus the snapshot saved with the events.
    """
    data = json.loads(path.read_text())
    registry = V2 if data.get("format") == 2 else V1
    store = InMemoryStore()
    covered = 0
    for recorded, (status, result) in zip(_recorded(data), _expected(data), strict=True):
        store.create_run(
            NewRun(
                run_id=recorded.run_id,
                workflow=recorded.workflow,
                input=recorded.input,
                namespace=recorded.namespace,
                attributes=dict(recorded.attributes),
                parent_id=recorded.parent_id,
                correlation_id=recorded.correlation_id,
            )
        )
        run, lease = _claim(store, registry, recorded.run_id)
        packed = pack(run.run_id, run.version_hash, recorded.events)
        with store.step(lease) as step:
            for event in recorded.events:
                step.append(NewEvent(event.seq, event.kind, event.command, event.payload))
            if packed is not None:
                step.save_snapshot(packed)
                covered += packed.through_seq
        store.release(lease)
        if recorded.cancel_requested:
            store.request_cancel(recorded.run_id)
        run, lease = _claim(store, registry, recorded.run_id)
        if packed is not None:
            entries, through = load_history(store, run)
            assert through == packed.through_seq and isinstance(entries[0], Compacted)
        outcome = execute_run(store, run, LeaseHandle(lease), registry)
        assert outcome.status == status, (recorded.run_id, outcome.error)
        if status in (COMPLETED, "continued"):
            assert json.loads(store.get_run(run.run_id).result) == result
        assert len(store.load_events(run.run_id)) == len(recorded.events)
    assert covered > 0


def test_a_later_snapshot_extends_the_loop_run_of_the_earlier_one():
    command = ("activity", LOOP, "Loop.run", 1, "s")
    name = "tests.runtime.app.acts:echo"

    def event(seq: int) -> Event:
        payload = json.dumps({"activity": name, "result": seq, "attempt": 1})
        return Event("r", seq, "activity_completed", command, payload)

    first = pack("r", "h", [event(seq) for seq in (1, 2, 3)])
    earlier = unpack(first, run_id="r", version_hash="h")
    assert [type(e).__name__ for e in earlier] == ["ActivityRun"]
    second = pack("r", "h", [*earlier, event(4), event(5)])
    assert json.loads(second.data)["steps"] == [[0, 0, 1, 0, 0, [1, 2, 3, 4, 5]]]
    assert earlier[0].results == [1, 2, 3]  # the loaded run itself is left as it was
    [run] = unpack(second, run_id="r", version_hash="h")
    assert (run.seq, run.last, run.name) == (1, 5, name)
