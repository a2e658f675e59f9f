"""Sagas: ActivityRef, compensate(ref), compensate_all() newest first or in parallel."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.runtime import journal
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED
from tests.runtime.composition import acts, flows
from tests.runtime.golden import frozen_v2

REG = Registry.from_classes(*flows.ALL, *frozen_v2.ALL)


def outcomes(client, run_id):
    """(activity, result or error) of every terminal activity event, in journal order."""
    out = []
    for event in client.history(run_id):
        data = json.loads(event.payload)
        if event.kind == journal.ACTIVITY_COMPLETED:
            out.append((data["activity"].split(":")[1], data["result"]))
        elif event.kind == journal.ACTIVITY_FAILED:
            out.append((data["activity"].split(":")[1], data["error_type"]))
    return out


@pytest.mark.parametrize("parallel", [False, True])
def test_compensate_ref_once_then_the_rest_newest_first(client, drive, parallel):
    run_id = client.start(
        flows.Reserve, {"items": ["a", "b", "c", "d"], "first": 1, "parallel": parallel}
    )
    drive(run_id, reg=REG)
    assert client.result(run_id) == {
        "refs": [True] * 4,
        "values": ["a", "b", "c", "d"],
        "twice": "refused",  # a compensation runs once; compensate(ref) again is an error
    }
    assert outcomes(client, run_id)[4:] == [
        ("release", "released b"),  # compensate(refs[1])
        ("release", "released d"),  # then compensate_all: newest first
        ("release", "released c"),
        ("release", "released a"),
    ]


def test_compensation_gets_the_original_args_and_result_and_a_stable_key(client, drive):
    run_id = client.start(flows.Reserve, {"items": ["a"]})
    drive(run_id, reg=REG)
    [reserve] = [json.loads(e.payload) for e in client.history(run_id)][:1]
    assert reserve["args"] == ["a"] and reserve["compensate"].endswith(":release")
    assert reserve["result"]["key"] == f"{run_id}:1"


def test_failed_compensation_is_journaled_and_the_run_goes_on(client, drive):
    run_id = client.start(frozen_v2.LifoCompensation, ["a", "broken", "c"])
    drive(run_id, reg=REG)
    assert client.get_run(run_id).status == COMPLETED
    assert client.result(run_id) == 3
    kinds = [e.kind for e in client.history(run_id)]
    assert kinds.count(journal.ACTIVITY_ATTEMPT_FAILED) == 2  # retried like an activity
    assert outcomes(client, run_id)[3:] == [
        ("release", "released a"),
        ("release", "released c"),
        ("broken_release", "ValueError"),
    ]


def test_parallel_compensations_run_at_the_same_time(client, drive):
    """Each compensation blocks until all three run at once: sequential would break the barrier."""
    acts.BARRIER[:] = [threading.Barrier(3)]
    try:
        run_id = client.start(flows.Together, ["x", "y", "z"])
        drive(run_id, reg=REG)
    finally:
        acts.BARRIER.clear()
    assert client.result(run_id) == "rolled back"
    # Journaled in one step, newest first, and replayed (the timer) without running again.
    assert outcomes(client, run_id)[3:] == [
        ("release_together", "released z"),
        ("release_together", "released y"),
        ("release_together", "released x"),
    ]


def test_shop_order_rejected_is_refunded(monkeypatch):
    """The example app's saga (compensate(charge)) still works with ActivityRef."""
    monkeypatch.syspath_prepend("examples")
    from continuum.runtime.client import Client
    from continuum.testing import InMemoryStore, drain
    from shop.flows.orders import OrderFlow

    store = InMemoryStore()
    client = Client(store=store)
    order = {
        "id": "o1",
        "email": "ada@example.com",
        "address": "1 Main St",
        "items": [{"sku": "book", "quantity": 1}],
    }
    run_id = client.start(OrderFlow, order)
    client.signal(run_id, "fraud_review", "rejected")
    drain(store, Registry.from_classes(OrderFlow))
    assert client.result(run_id, timeout=5) == {"status": "rejected", "order": "o1"}
    names = [json.loads(e.payload).get("activity", "") for e in client.history(run_id)]
    assert any(name.endswith(":refund") for name in names)


@settings(max_examples=20, deadline=None)
@given(
    items=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True),
    data=st.data(),
    parallel=st.booleans(),
)
def test_any_saga_undoes_each_step_once_newest_first(items, data, parallel):
    """Whatever the steps, the ref compensated first and the mode: each undo runs once, LIFO."""
    from continuum.runtime.client import Client
    from continuum.testing import InMemoryStore, drain

    first = data.draw(st.integers(min_value=0, max_value=len(items) - 1))
    store = InMemoryStore()
    client = Client(store=store)
    run_id = client.start(flows.Reserve, {"items": items, "first": first, "parallel": parallel})
    drain(store, REG)
    assert client.get_run(run_id).status == COMPLETED
    rest = [item for item in reversed(items) if item != items[first]]
    undone = [result for name, result in outcomes(client, run_id) if name == "release"]
    assert undone == [f"released {item}" for item in [items[first], *rest]]
