"""The `Store` contract for signals (mailbox), queued activity tasks and wake-ups."""

from __future__ import annotations

import json
import threading
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.runtime.errors import LeaseLostError, StoreError
from continuum.runtime.store.base import COMPLETED, Store

from .helpers import claim_one, claimable, future, start, wait_ends_on

# --- signals ----------------------------------------------------------------------------


def test_signals_are_buffered_fifo_per_name(store: Store) -> None:
    run = start(store)
    for name, payload in [("a", "1"), ("b", "x"), ("a", "2"), ("a", "3")]:
        assert store.send_signal(run.run_id, name, payload)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        taken = [step.take_signal("a") for _ in range(4)]
        b = step.take_signal("b")
    assert [s.payload for s in taken[:3]] == ["1", "2", "3"] and taken[3] is None
    assert b.payload == "x" and b.name == "b" and b.run_id == run.run_id


ops = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from("xy"), st.integers(0, 99)),
        st.tuples(st.just("take"), st.sampled_from("xy"), st.none()),
    ),
    max_size=12,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=ops)
def test_mailbox_matches_a_fifo_model(store: Store, script: list) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    model: dict[str, deque[str]] = {"x": deque(), "y": deque()}
    for op, name, value in script:
        if op == "send":
            assert store.send_signal(run.run_id, name, json.dumps(value))
            model[name].append(json.dumps(value))
        else:
            with store.step(lease) as step:
                got = step.take_signal(name)
            expected = model[name].popleft() if model[name] else None
            assert (got.payload if got else None) == expected


def test_delivery_id_makes_a_signal_idempotent(store: Store) -> None:
    run = start(store)
    assert store.send_signal(run.run_id, "pay", "1", delivery_id="d-1")
    assert not store.send_signal(run.run_id, "pay", "1", delivery_id="d-1")
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        assert step.take_signal("pay").delivery_id == "d-1"
    # Still a no-op after the first copy was consumed.
    assert not store.send_signal(run.run_id, "pay", "1", delivery_id="d-1")
    assert store.send_signal(run.run_id, "pay", "2", delivery_id="d-2")
    with store.step(lease) as step:
        assert step.take_signal("pay").payload == "2"
        assert step.take_signal("pay") is None


def test_signal_to_terminal_run_is_refused(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.finish(lease, status=COMPLETED, result="null")
    assert not store.send_signal(run.run_id, "late", "1")


def test_signal_to_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        store.send_signal("ghost", "x", "1")
    assert info.value.reason == "not_found"


def test_signal_racing_suspend_is_never_lost(store: Store) -> None:
    """A signal sent concurrently with suspend always leaves the run due."""
    for _ in range(8):
        run = start(store)
        lease = claim_one(store, run.run_id)
        sender = threading.Thread(target=store.send_signal, args=(run.run_id, "go", "1"))
        sender.start()
        store.suspend(lease, wake_at=None, waiting_on="signal:go")
        sender.join()
        assert claimable(store, run.run_id)


# --- tasks ------------------------------------------------------------------------------


def enqueue(store: Store, run_id: str, seq: int = 1, **extra) -> tuple:
    lease = claim_one(store, run_id)
    with store.step(lease) as step:
        task_id = step.enqueue_task(
            {"seq": seq, "queue": "gpu", "activity": "shop.ml:score", "args": "[]", **extra}
        )
    store.suspend(lease, wake_at=None, waiting_on=f"task:{task_id}")
    return task_id, lease


def test_task_lifecycle_wakes_the_run(store: Store) -> None:
    run = start(store)
    task_id, _ = enqueue(store, run.run_id, max_attempts=3, timeout_seconds=5.0)
    assert store.claim_tasks(owner="w1", queues=["cpu"], limit=5, lease_seconds=30) == []
    [task] = store.claim_tasks(owner="w1", queues=["gpu", "cpu"], limit=5, lease_seconds=30)
    assert (task.task_id, task.status, task.attempt, task.max_attempts) == (task_id, "leased", 1, 3)
    assert task.idempotency_key == f"{run.run_id}:1" and task.timeout_seconds == 5.0
    assert store.claim_tasks(owner="w2", queues=["gpu"], limit=5, lease_seconds=30) == []
    assert not claimable(store, run.run_id)
    store.heartbeat_task(task, 30)
    store.complete_task(task, result='{"score": 9}', error=None)
    stored = store.get_task(run.run_id, 1)
    assert stored.status == "completed" and stored.result == '{"score": 9}'
    assert claimable(store, run.run_id)
    with pytest.raises(LeaseLostError):
        store.complete_task(task, result="again", error=None)
    assert store.get_task(run.run_id, 1).result == '{"score": 9}'


def test_failed_task_wakes_the_run(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id)
    [task] = store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30)
    store.complete_task(task, result=None, error='{"type": "OSError", "message": "disk"}')
    assert store.get_task(run.run_id, 1).status == "failed"
    assert claimable(store, run.run_id)


def test_task_finished_before_suspend_wakes_at_once(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        task_id = step.enqueue_task({"seq": 1, "queue": "q", "activity": "m:f", "args": "[]"})
    [task] = store.claim_tasks(owner="w1", queues=["q"], limit=1, lease_seconds=30)
    store.complete_task(task, result="1", error=None)
    store.suspend(lease, wake_at=None, waiting_on=f"task:{task_id}")
    assert claimable(store, run.run_id)


def test_expired_task_lease_is_requeued_and_fenced(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id, max_attempts=2)
    [first] = store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=0)
    [second] = store.claim_tasks(owner="w2", queues=["gpu"], limit=1, lease_seconds=30)
    assert second.task_id == first.task_id and second.attempt == 2
    with pytest.raises(LeaseLostError):
        store.heartbeat_task(first, 30)
    with pytest.raises(LeaseLostError):
        store.complete_task(first, result="stale", error=None)
    store.complete_task(second, result="fresh", error=None)
    assert store.get_task(run.run_id, 1).result == "fresh"


def test_expired_last_attempt_fails_the_task_and_wakes_the_run(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id, max_attempts=1)
    store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=0)
    assert store.claim_tasks(owner="w2", queues=["gpu"], limit=1, lease_seconds=30) == []
    task = store.get_task(run.run_id, 1)
    assert task.status == "failed"
    assert json.loads(task.error)["type"] == "TaskLeaseExpired"
    assert claimable(store, run.run_id)


def test_retry_after_requeues_without_waking(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id, max_attempts=3)
    [task] = store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30)
    store.complete_task(task, result=None, error='{"type": "E", "message": "m"}', retry_after=3600)
    queued = store.get_task(run.run_id, 1)
    assert (queued.status, queued.attempt) == ("available", 2)
    assert store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30) == []
    assert not claimable(store, run.run_id)


def test_retry_after_zero_is_claimable_again(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id, max_attempts=3)
    [task] = store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30)
    store.complete_task(task, result=None, error='{"type": "E", "message": "m"}', retry_after=0)
    [again] = store.claim_tasks(owner="w2", queues=["gpu"], limit=1, lease_seconds=30)
    assert again.attempt == 2 and again.lease_owner == "w2"


def test_task_with_future_available_at_waits(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id, available_at=future())
    assert store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30) == []


def test_tasks_of_a_cancelled_run_are_not_claimed(store: Store) -> None:
    run = start(store)
    enqueue(store, run.run_id)
    store.request_cancel(run.run_id)
    lease = claim_one(store, run.run_id)
    store.finish(lease, status="cancelled")
    assert store.claim_tasks(owner="w1", queues=["gpu"], limit=1, lease_seconds=30) == []


def test_enqueue_rejects_unknown_keys(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with pytest.raises(StoreError), store.step(lease) as step:
        step.enqueue_task({"seq": 1, "queue": "q", "activity": "m:f", "args": "[]", "qeue": "x"})
    assert store.get_task(run.run_id, 1) is None


def test_get_task_unknown_is_none(store: Store) -> None:
    assert store.get_task("nope", 1) is None


# --- wake-ups ---------------------------------------------------------------------------


def test_wait_for_work_returns_when_a_signal_wakes_a_run(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.suspend(lease, wake_at=None, waiting_on="signal:go")
    assert wait_ends_on(store, lambda: store.send_signal(run.run_id, "go", "1"))


def test_wait_for_work_returns_for_a_new_run(store: Store) -> None:
    assert wait_ends_on(store, lambda: start(store))


def test_wait_for_work_returns_for_a_queued_task(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)

    def enqueue_one() -> None:
        with store.step(lease) as step:
            step.enqueue_task({"seq": 1, "queue": "q", "activity": "m:f", "args": "[]"})

    assert wait_ends_on(store, enqueue_one)
