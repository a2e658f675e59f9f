"""Contract: finishing ``continued`` hands the mailbox and a cancel request on; re-pinning fences.

Signals and cancels addressed to a chain must reach its live run (docs/composition.md),
so the finish that ends a run ``continued`` moves what the old run had not consumed.
"""

from __future__ import annotations

import json
import time
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.runtime.errors import LeaseLostError
from continuum.runtime.store.base import CONTINUED, Lease, NewRun, RunRecord, Store

from .helpers import HASH, WORKFLOW, claim_one, claimable, event, future, start


def _successor(store: Store, old: RunRecord) -> str:
    """Create ``old``'s successor the way the engine's `_continue` does; return its id."""
    successor_id = f"{old.run_id}~next"
    store.create_run(
        NewRun(
            run_id=successor_id,
            workflow=old.workflow,
            input="{}",
            correlation_id=old.run_id,
            adopt_children_of=old.run_id,
        )
    )
    return successor_id


def _continue(store: Store, lease: Lease, successor_id: str) -> None:
    result = json.dumps({"continued_as": successor_id})
    store.finish(lease, status=CONTINUED, result=result)


def test_unconsumed_signals_move_to_the_successor_in_order(store: Store) -> None:
    old = start(store)
    for name, payload in [("a", "1"), ("b", "x"), ("a", "2"), ("a", "3")]:
        assert store.send_signal(old.run_id, name, payload)
    lease = claim_one(store, old.run_id)
    with store.step(lease) as step:
        assert step.take_signal("a").payload == "1"  # type: ignore[union-attr]
    successor_id = _successor(store, old)
    _continue(store, lease, successor_id)
    successor = claim_one(store, successor_id)
    with store.step(successor) as step:
        taken = [step.take_signal("a") for _ in range(3)]
        b = step.take_signal("b")
    assert [s.payload for s in taken[:2]] == ["2", "3"] and taken[2] is None
    assert b is not None and b.payload == "x" and b.run_id == successor_id


def test_a_retried_delivery_is_refused_by_the_successor(store: Store) -> None:
    old = start(store)
    assert store.send_signal(old.run_id, "pay", "1", delivery_id="d-1")
    assert store.send_signal(old.run_id, "pay", "2", delivery_id="d-2")
    lease = claim_one(store, old.run_id)
    with store.step(lease) as step:
        assert step.take_signal("pay").delivery_id == "d-1"  # type: ignore[union-attr]
    successor_id = _successor(store, old)
    _continue(store, lease, successor_id)
    # A client retrying either delivery is refused by the ended run and forwarded to
    # the successor, which must know both delivery ids: consumed and moved.
    assert not store.send_signal(old.run_id, "pay", "1", delivery_id="d-1")
    assert not store.send_signal(successor_id, "pay", "1", delivery_id="d-1")
    assert not store.send_signal(successor_id, "pay", "2", delivery_id="d-2")
    assert store.send_signal(successor_id, "pay", "3", delivery_id="d-3")
    successor = claim_one(store, successor_id)
    with store.step(successor) as step:
        payloads = [step.take_signal("pay") for _ in range(3)]
    assert [s.payload if s else None for s in payloads] == ["2", "3", None]
    assert payloads[0].delivery_id == "d-2"  # type: ignore[union-attr]


def test_a_delivery_the_successor_already_has_is_not_duplicated(store: Store) -> None:
    old = start(store)
    assert store.send_signal(old.run_id, "pay", "1", delivery_id="d-1")
    lease = claim_one(store, old.run_id)
    successor_id = _successor(store, old)
    assert store.send_signal(successor_id, "pay", "1", delivery_id="d-1")
    _continue(store, lease, successor_id)
    successor = claim_one(store, successor_id)
    with store.step(successor) as step:
        assert step.take_signal("pay").payload == "1"  # type: ignore[union-attr]
        assert step.take_signal("pay") is None


def test_a_moved_signal_wakes_a_successor_waiting_for_it(store: Store) -> None:
    old = start(store)
    lease = claim_one(store, old.run_id)
    successor_id = _successor(store, old)
    # The successor is due at once: a worker may run it to its signal wait before
    # the old run's finish commits.
    waiting = claim_one(store, successor_id)
    store.suspend(waiting, wake_at=future(), waiting_on="signal:go")
    assert store.send_signal(old.run_id, "go", "1")
    _continue(store, lease, successor_id)
    assert store.get_run(successor_id).next_wakeup_at <= future(60)  # type: ignore[union-attr,operator]
    assert claimable(store, successor_id)


def test_a_cancel_landing_before_the_finish_reaches_the_successor_and_its_children(
    store: Store,
) -> None:
    old = start(store)
    child = start(store, parent_id=old.run_id)
    lease = claim_one(store, old.run_id)
    successor_id = _successor(store, old)  # adopts the child
    assert store.get_run(child.run_id).parent_id == successor_id  # type: ignore[union-attr]
    assert store.request_cancel(old.run_id)
    _continue(store, lease, successor_id)
    assert store.get_run(successor_id).cancel_requested  # type: ignore[union-attr]
    assert store.get_run(child.run_id).cancel_requested  # type: ignore[union-attr]
    assert claimable(store, successor_id)


def test_a_continue_without_a_cancel_leaves_the_successor_alone(store: Store) -> None:
    old = start(store)
    lease = claim_one(store, old.run_id)
    successor_id = _successor(store, old)
    _continue(store, lease, successor_id)
    assert not store.get_run(successor_id).cancel_requested  # type: ignore[union-attr]


names = st.sampled_from("xy")
script = st.lists(
    st.one_of(
        st.tuples(st.just("send"), names, st.integers(0, 99)),
        st.tuples(st.just("take"), names, st.none()),
    ),
    max_size=10,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=script, after=script)
def test_a_chain_keeps_one_fifo_mailbox(store: Store, before: list, after: list) -> None:
    """Sends and takes across a continue behave like one mailbox (a FIFO model)."""
    old = start(store)
    lease = claim_one(store, old.run_id)
    model: dict[str, deque[str]] = {"x": deque(), "y": deque()}
    successor_id = _successor(store, old)
    target = old.run_id
    for phase in (before, after):
        for op, name, value in phase:
            if op == "send":
                assert store.send_signal(target, name, json.dumps(value))
                model[name].append(json.dumps(value))
                continue
            with store.step(lease) as step:
                got = step.take_signal(name)
            expected = model[name].popleft() if model[name] else None
            assert (got.payload if got else None) == expected
        if target == old.run_id:
            _continue(store, lease, successor_id)
            target, lease = successor_id, claim_one(store, successor_id)


# --- re-pinning fences out the old lease ------------------------------------------------


@pytest.mark.parametrize("write", ["step", "finish", "suspend"])
def test_repin_fences_out_an_expired_but_alive_lease(store: Store, write: str) -> None:
    run = start(store)
    slow = claim_one(store, run.run_id, lease_seconds=0.001)
    with store.step(slow) as step:
        step.append(event(1))
    if hasattr(store, "clock"):  # the in-memory store: move its clock past the lease
        store.clock = lambda: future(5)  # type: ignore[attr-defined]
    else:
        _wait_expired(store, run.run_id)
    assert store.repin_run(run.run_id, from_hash=HASH, to_hash="new", last_seq=1) == "moved"
    with pytest.raises(LeaseLostError):
        if write == "step":
            with store.step(slow) as step:
                step.append(event(2))
        elif write == "finish":
            store.finish(slow, status="completed", result="1")
        else:
            store.suspend(slow, wake_at=future(), waiting_on="timer")
    assert [e.seq for e in store.load_events(run.run_id)] == [1]
    # The run is free for a worker that knows the new version, and only that lease writes.
    fresh = claim_one(store, run.run_id, current_versions={WORKFLOW: "new"})
    with store.step(fresh) as step:
        step.append(event(2))
    store.finish(fresh, status="completed", result="1")
    assert store.get_run(run.run_id).status == "completed"  # type: ignore[union-attr]


def _wait_expired(store: Store, run_id: str) -> None:
    """Block until the database clock passed the run's one-millisecond lease."""
    for _ in range(500):
        # "progressed" (not "leased") once the lease expired; moves nothing either way.
        if store.repin_run(run_id, from_hash=HASH, to_hash=HASH, last_seq=-1) == "progressed":
            return
        time.sleep(0.01)
    raise AssertionError(f"the lease of {run_id} never expired")
