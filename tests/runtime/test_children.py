"""Child workflows: deterministic ids, the parent's wake-up, chains, failures and cancels."""

from __future__ import annotations

import pytest

from continuum import ChildCancelledError, ChildError, StoreError
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, SUSPENDED
from tests.runtime.composition import flows
from tests.runtime.golden import frozen_v2 as v2

REG = Registry.from_classes(*flows.ALL, *v2.ALL)


def children_of(store, run_id):
    return [r for r in store.list_runs(limit=1000) if r.parent_id == run_id]


def test_fan_out_starts_each_child_once_and_collects_results(client, drive, store):
    run_id = client.start(v2.FanOut, {"children": 4})
    drive(run_id, reg=REG)
    assert client.result(run_id) == [0, 10, 20, 30]
    kids = children_of(store, run_id)
    assert len(kids) == 4 and {k.status for k in kids} == {COMPLETED}


class FailingStepStore:
    """Delegates to a store; the first ``fail`` fenced steps raise a transient StoreError."""

    def __init__(self, store, fail: int) -> None:
        self._store = store
        self.fail = fail

    def __getattr__(self, name):
        return getattr(self._store, name)

    def step(self, lease):
        if self.fail:
            self.fail -= 1
            raise StoreError("step", "unavailable", "injected")
        return self._store.step(lease)


def test_a_retried_start_finds_the_same_child(store, client):
    """The child exists but child_started was not journaled (the step failed): a replay
    derives the same id and adopts that child instead of creating a second one."""
    from continuum.testing import drain

    run_id = client.start(v2.FanOut, {"children": 2})
    flaky = FailingStepStore(store, fail=1)
    [(run, lease)] = store.claim_runs(
        owner="t", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    from continuum.runtime.engine import execute_run
    from continuum.runtime.lease import LeaseHandle

    with pytest.raises(StoreError):
        execute_run(flaky, run, LeaseHandle(lease), REG)
    assert len(children_of(store, run_id)) == 1  # created, not journaled
    store.release(lease)
    for _ in range(20):
        drain(store, REG)
        if store.get_run(run_id).status == COMPLETED:
            break
    assert client.result(run_id, timeout=5) == [0, 10]
    assert len(children_of(store, run_id)) == 2


def test_a_finishing_child_wakes_its_waiting_parent(client, drive, store):
    run_id = client.start(v2.AwaitContinued, None)
    drive(reg=Registry.from_classes(v2.AwaitContinued))  # only the parent: it suspends
    parent = client.get_run(run_id)
    [child] = children_of(store, run_id)
    assert parent.status == SUSPENDED and parent.waiting_on == f"child:{child.run_id}"
    assert parent.next_wakeup_at is None
    drive(reg=Registry.from_classes(v2.Counter))  # only the child (and its successors)
    parent = client.get_run(run_id)
    assert parent.status == SUSPENDED and parent.next_wakeup_at is not None  # due now
    drive(run_id, reg=REG)
    # The child continued as new twice; await_child followed it to the final result.
    assert client.result(run_id) == "counted to 2"


def test_child_error_and_the_cancelled_marker(client, drive, store):
    run_id = client.start(v2.ChildOutcomes, None)
    drive(run_id, reg=REG)
    [waiter] = [k for k in children_of(store, run_id) if k.workflow.endswith(":Waiter")]
    client.cancel(waiter.run_id)
    drive(waiter.run_id, reg=REG)
    client.signal(run_id, "cancelled", "sent")
    drive(run_id, reg=REG)
    assert client.result(run_id) == [
        ["ValueError", 2],  # a child that completed with its own handled failure
        ["failed", "ActivityError"],  # ChildError: the child failed
        ["sent", "cancelled"],  # ChildCancelledError: the child was cancelled
    ]
    assert issubclass(ChildCancelledError, ChildError)


def test_children_inherit_namespace_and_attributes(client, drive, store):
    run_id = client.start(v2.Attributes, None, namespace="billing", attributes={"customer": "ada"})
    drive(run_id, reg=REG)
    [child] = children_of(store, run_id)
    assert child.namespace == "billing"
    assert child.attributes == {"customer": "ada", "stage": "child"}
    assert child.correlation_id == run_id
    found = client.list_runs(namespace="billing", attributes={"stage": "child"})
    assert [r.run_id for r in found] == [child.run_id]
