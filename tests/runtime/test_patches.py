"""patched("change-id"): new runs take the new branch, old histories replay the old one."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from continuum import Workflow, activity, patched
from continuum.runtime import journal
from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.testing import InMemoryStore, drain
from continuum.testing.replay import RecordedRun, replay_run
from tests.runtime.app import acts
from tests.runtime.golden import frozen_v2 as v2

NEW = Registry.from_classes(v2.Patch)
OLD = Registry.from_classes(v2.PatchOld)


def _record(registry: Registry, flow: type) -> RecordedRun:
    store = InMemoryStore()
    run_id = Client(store=store).start(flow, None, id="p")
    drain(store, registry)
    run = store.get_run(run_id)
    return RecordedRun(run_id, run.workflow, run.input, store.load_events(run_id))


def test_a_new_run_journals_the_marker_and_takes_the_new_branch(client, drive):
    run_id = client.start(v2.Patch, None)
    drive(run_id, reg=NEW)
    assert client.result(run_id) == "new"
    events = client.history(run_id)
    assert [e.kind for e in events] == [journal.PATCHED, journal.ACTIVITY_COMPLETED]
    assert json.loads(events[0].payload) == {"change_id": "new-echo"}


def test_an_old_history_replays_the_old_branch_without_consuming_an_event():
    old = _record(OLD, v2.PatchOld)
    assert [e.kind for e in old.events] == [journal.ACTIVITY_COMPLETED]
    replayed = replay_run(NEW, old)
    assert json.loads(replayed.result) == "old"
    assert replayed.new_events == ()


def test_a_new_history_replays_the_new_branch():
    new = _record(NEW, v2.Patch)
    replayed = replay_run(NEW, new)
    assert json.loads(replayed.result) == "new" and replayed.new_events == ()


G = "tests.runtime.test_patches:Guarded"
#: Explicit identities, as generated code carries: both versions share the activity's.
ECHO = ("activity", G, "Guarded.run", 2, "gd000002")


class Guarded(Workflow, workflow=G):
    """Calls patched() for the same change id several times: the first answer sticks."""

    def run(self, times):
        answers = [
            patched("fee", _command=("patched", G, "Guarded.run", 1, "gd000001"))
            for _ in range(times)
        ]
        answers.append(activity(acts.echo, "done", _command=ECHO))
        return answers


class Unguarded(Workflow, workflow=G):
    """The same workflow before the change."""

    def run(self, times):
        return [False] * times + [activity(acts.echo, "done", _command=ECHO)]


@settings(max_examples=10, deadline=None)
@given(times=st.integers(min_value=1, max_value=5))
def test_the_first_answer_per_change_id_sticks(times):
    """One marker per change id, however often the code asks; old histories stay False."""
    new_reg = Registry.from_classes(Guarded)
    fresh = _record_inp(new_reg, Guarded, times)
    assert [e.kind for e in fresh.events].count(journal.PATCHED) == 1
    assert json.loads(replay_run(new_reg, fresh).result) == [True] * times + ["done"]
    old = _record_inp(Registry.from_classes(Unguarded), Unguarded, times)
    assert json.loads(replay_run(new_reg, old).result) == [False] * times + ["done"]


def _record_inp(registry: Registry, flow: type, inp: object) -> RecordedRun:
    store = InMemoryStore()
    run_id = Client(store=store).start(flow, inp, id="g")
    drain(store, registry)
    run = store.get_run(run_id)
    return RecordedRun(run_id, run.workflow, run.input, store.load_events(run_id))
