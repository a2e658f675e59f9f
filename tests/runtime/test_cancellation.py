"""Cancellation: stop at the next effect, discard tasks and timers, cascade, cleanup."""

from __future__ import annotations

import json

from continuum.runtime import journal
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import CANCELLED
from tests.runtime.composition import flows
from tests.runtime.golden import frozen_v2 as v2

REG = Registry.from_classes(*flows.ALL, *v2.ALL)


def kinds(client, run_id):
    return [e.kind for e in client.history(run_id)]


def test_a_waiting_run_stops_at_its_wait(client, drive):
    run_id = client.start(flows.Waiter, None)
    drive(reg=REG)
    assert client.cancel(run_id)
    drive(reg=REG)
    assert client.get_run(run_id).status == CANCELLED
    assert kinds(client, run_id) == [journal.SIGNAL_AWAITED, journal.CANCEL_RECEIVED]
    assert client.cancel(run_id) is False  # already finished


def test_a_pending_timer_is_dropped(client, drive):
    run_id = client.start(flows.Sleepy, None)
    drive(reg=REG)
    assert client.get_run(run_id).waiting_on == "timer"
    client.cancel(run_id)
    drive(reg=REG)  # no clock moved: the hour-long timer is not waited for
    assert client.get_run(run_id).status == CANCELLED
    assert journal.TIMER_FIRED not in kinds(client, run_id)


def test_queued_tasks_are_discarded(client, drive, store):
    run_id = client.start(flows.Queued, None)
    drive(reg=REG)  # nobody serves the "elsewhere" queue: the task waits
    [event] = client.history(run_id)
    client.cancel(run_id)
    task = store.get_task(run_id, event.seq)
    assert task.status == "failed" and json.loads(task.error)["type"] == "Cancelled"
    assert store.claim_tasks(owner="t", queues=["elsewhere"], limit=5, lease_seconds=5) == []
    drive(reg=REG)
    assert client.get_run(run_id).status == CANCELLED


def test_cancel_cascades_to_every_descendant(client, drive, store):
    run_id = client.start(flows.Nest, 3)
    drive(reg=REG)
    assert len(store.list_runs(workflow=flows.Nest.__continuum_name__)) == 4
    client.cancel(run_id)
    drive(reg=REG)
    assert {r.status for r in store.list_runs(workflow=flows.Nest.__continuum_name__)} == {
        CANCELLED
    }


def test_workflow_may_catch_cancelled_to_compensate(client, drive):
    run_id = client.start(v2.CancelCleanup, ["x", "y"])
    drive(reg=REG)
    client.cancel(run_id)
    drive(reg=REG)
    assert client.get_run(run_id).status == CANCELLED
    released = [
        json.loads(e.payload)["result"]
        for e in client.history(run_id)[3:]
        if e.kind == journal.ACTIVITY_COMPLETED
    ]
    assert released == ["released y", "released x"]


def test_cleanup_cannot_wait_and_a_caught_cancel_still_cancels(client, drive):
    waits = client.start(flows.CleanupWaits, None)
    ignores = client.start(flows.Ignores, None)
    drive(reg=REG)
    client.cancel(waits)
    client.cancel(ignores)
    drive(reg=REG)
    assert client.get_run(waits).status == CANCELLED
    assert client.get_run(ignores).status == CANCELLED
    # The compensation ran; the wait that followed it ended the cleanup at once.
    assert kinds(client, waits)[-3:] == [
        journal.CANCEL_RECEIVED,
        journal.ACTIVITY_COMPLETED,
        journal.SIGNAL_AWAITED,
    ]
