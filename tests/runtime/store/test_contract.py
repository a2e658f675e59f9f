"""The `Store` contract: runs, claims, fencing, journal, suspend/wake, cancel, children.

Every test runs against each store in `STORE_KINDS` (Postgres, and the in-memory store
once it exists). Signals and tasks have their own contract file.
"""

from __future__ import annotations

import inspect
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.runtime.errors import LeaseLostError, StoreError
from continuum.runtime.store.base import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    SUSPENDED,
    NewRun,
    Step,
    Store,
)

from .helpers import (
    CURRENT,
    HASH,
    WORKFLOW,
    claim,
    claim_one,
    claimable,
    event,
    future,
    past,
    start,
)

# --- create, get, list ------------------------------------------------------------------


def test_create_run_is_idempotent_on_id(store: Store) -> None:
    first, created = store.create_run(
        NewRun("order-1", WORKFLOW, '{"n": 1}', attributes={"customer": "c9"}, namespace="shop")
    )
    again, created_again = store.create_run(NewRun("order-1", WORKFLOW, '{"n": 2}'))
    assert created and not created_again
    assert again.run_id == "order-1"
    assert again.input == '{"n": 1}'  # the first start wins; nothing is overwritten
    assert again.namespace == "shop"
    assert dict(again.attributes) == {"customer": "c9"}
    assert first.status == PENDING and first.version_hash is None
    assert first.correlation_id == "order-1"  # defaults to the run's own id
    assert store.get_run("order-1") == again


def test_get_run_unknown_is_none(store: Store) -> None:
    assert store.get_run("nope") is None


def test_list_runs_filters_and_orders_newest_first(store: Store) -> None:
    a = start(store, workflow="m:A", namespace="n1", attributes={"tier": "gold"})
    b = start(store, workflow="m:B", namespace="n1")
    c = start(store, workflow="m:A", namespace="n2", attributes={"tier": "gold", "x": 1})
    ids = lambda runs: [r.run_id for r in runs]  # noqa: E731
    assert ids(store.list_runs()) == [c.run_id, b.run_id, a.run_id]
    assert ids(store.list_runs(workflow="m:A")) == [c.run_id, a.run_id]
    assert ids(store.list_runs(namespace="n1")) == [b.run_id, a.run_id]
    assert ids(store.list_runs(attributes={"tier": "gold"})) == [c.run_id, a.run_id]
    assert ids(store.list_runs(attributes={"tier": "gold", "x": 1})) == [c.run_id]
    assert ids(store.list_runs(status=PENDING, limit=2)) == [c.run_id, b.run_id]
    assert store.list_runs(status=COMPLETED) == []


attribute_values = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 2))
attribute_maps = st.dictionaries(st.sampled_from(["k1", "k2", "k3"]), attribute_values, max_size=3)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(runs=st.lists(attribute_maps, min_size=1, max_size=6), query=attribute_maps)
def test_list_runs_attribute_containment(store: Store, runs: list[dict], query: dict) -> None:
    namespace = f"ns-{uuid.uuid4().hex[:8]}"  # isolates this example's runs
    created = [start(store, namespace=namespace, attributes=attrs) for attrs in runs]
    expected = {
        r.run_id
        for r, attrs in zip(created, runs)
        if all(attrs.get(k) == v for k, v in query.items())
    }
    found = store.list_runs(namespace=namespace, attributes=query, limit=100)
    assert {r.run_id for r in found} == expected


# --- claims and versions ----------------------------------------------------------------


def test_claim_pins_version_and_leases(store: Store) -> None:
    run = start(store)
    [(record, lease)] = claim(store, owner="w1")
    assert record.run_id == run.run_id
    assert record.status == RUNNING
    assert record.version_hash == HASH  # pinned at first claim
    assert lease.owner == "w1" and lease.run_id == run.run_id
    assert claim(store, owner="w2") == []  # a live lease is not claimable
    assert store.get_run(run.run_id).version_hash == HASH


def test_claim_skips_unknown_versions_and_other_workflows(store: Store) -> None:
    old = start(store, version_hash="old-hash")
    other = start(store, workflow="m:Other")
    assert claim(store) == []  # neither the old hash nor m:Other is known here
    [(record, _)] = claim(store, known_versions={"old-hash"})
    assert record.run_id == old.run_id
    assert record.version_hash == "old-hash"  # never re-pinned to the current hash
    assert store.get_run(other.run_id).status == PENDING


def test_claim_respects_limit_and_start_at(store: Store) -> None:
    for _ in range(3):
        start(store)
    later = start(store, start_at=future())
    first = claim(store, limit=2)
    second = claim(store, limit=5)
    assert len(first) == 2 and len(second) == 1
    claimed = {r.run_id for r, _ in first + second}
    assert later.run_id not in claimed and len(claimed) == 3


def test_expired_lease_is_reclaimed_with_a_higher_token(store: Store) -> None:
    run = start(store)
    old = claim_one(store, run.run_id, owner="w1", lease_seconds=0)
    new = claim_one(store, run.run_id, owner="w2")
    assert new.token > old.token
    assert new.owner == "w2"


def test_renew_extends_and_stale_renew_fails(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id, lease_seconds=0)
    renewed = store.renew_lease(lease, 60)
    assert renewed.token == lease.token and renewed.expires_at > lease.expires_at
    assert claim(store, owner="w2") == []  # renewed: no longer expired
    store.release(renewed)
    claim_one(store, run.run_id, owner="w2")
    with pytest.raises(LeaseLostError):
        store.renew_lease(renewed, 60)


def test_release_makes_the_run_claimable_unchanged(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1))
    store.release(lease)
    again = claim_one(store, run.run_id, owner="w2")
    assert again.token > lease.token
    assert [e.seq for e in store.load_events(run.run_id)] == [1]


# --- fencing ----------------------------------------------------------------------------


def test_stale_lease_cannot_write_anything(store: Store) -> None:
    run = start(store)
    old = claim_one(store, run.run_id, owner="w1", lease_seconds=0)
    with store.step(old) as step:
        step.append(event(1))
    new = claim_one(store, run.run_id, owner="w2")
    history = store.load_events(run.run_id)

    with pytest.raises(LeaseLostError), store.step(old) as step:
        step.append(event(2))
    with pytest.raises(LeaseLostError):
        store.suspend(old, wake_at=None, waiting_on="signal:approve")
    with pytest.raises(LeaseLostError):
        store.finish(old, status=COMPLETED, result='"stale"')
    with pytest.raises(LeaseLostError):
        store.renew_lease(old, 30)
    with pytest.raises(LeaseLostError):
        store.release(old)

    assert store.load_events(run.run_id) == history
    current = store.get_run(run.run_id)
    assert current.status == RUNNING and current.result is None
    with store.step(new) as step:  # the new owner writes on
        step.append(event(2))
    assert [e.seq for e in store.load_events(run.run_id)] == [1, 2]


def test_finished_run_lease_is_dead(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.finish(lease, status=FAILED, error='{"type": "ValueError", "message": "x"}')
    with pytest.raises(LeaseLostError), store.step(lease):
        pass
    record = store.get_run(run.run_id)
    assert record.status == FAILED and record.completed_at is not None
    assert record.error == '{"type": "ValueError", "message": "x"}'
    assert not claimable(store, run.run_id)


# --- journal ----------------------------------------------------------------------------


def test_events_round_trip_in_order(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1, payload='{"a": [1, 2]}'))
        step.append(event(2, kind="timer_started", payload='{"at": "x"}'))
    with store.step(lease) as step:
        step.append(event(3))
    loaded = store.load_events(run.run_id)
    assert [(e.seq, e.kind, e.payload) for e in loaded] == [
        (1, "activity_completed", '{"a": [1, 2]}'),
        (2, "timer_started", '{"at": "x"}'),
        (3, "activity_completed", '{"ok": true}'),
    ]
    assert loaded[0].command == event(1).command  # a tuple again
    assert [e.seq for e in store.load_events(run.run_id, after_seq=2)] == [3]


def test_duplicate_seq_fails_and_rolls_back_the_step(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1))
    with pytest.raises(LeaseLostError), store.step(lease) as step:
        step.append(event(2))
        step.append(event(1))
    assert [e.seq for e in store.load_events(run.run_id)] == [1]


def test_a_gap_in_the_journal_is_refused(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with pytest.raises(LeaseLostError), store.step(lease) as step:
        step.append(event(1))
        step.append(event(3))
    with pytest.raises(LeaseLostError), store.step(lease) as step:
        step.append(event(2))  # the journal is empty: the first event is 1
    assert store.load_events(run.run_id) == []


def test_error_inside_a_step_writes_nothing(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.send_signal(run.run_id, "go", '"x"')
    with pytest.raises(RuntimeError), store.step(lease) as step:
        step.append(event(1))
        assert step.take_signal("go") is not None
        step.set_attributes({"stage": "half"})
        raise RuntimeError("boom")
    assert store.load_events(run.run_id) == []
    assert dict(store.get_run(run.run_id).attributes) == {}
    with store.step(lease) as step:  # the signal was not consumed
        assert step.take_signal("go").payload == '"x"'


def test_set_attributes_merges(store: Store) -> None:
    run = start(store, attributes={"a": 1})
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.set_attributes({"b": "two"})
    with store.step(lease) as step:
        step.set_attributes({"a": 3})
    assert dict(store.get_run(run.run_id).attributes) == {"a": 3, "b": "two"}
    assert [r.run_id for r in store.list_runs(attributes={"b": "two"})] == [run.run_id]


# --- suspend and wake -------------------------------------------------------------------


def test_suspend_until_a_timer(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.suspend(lease, wake_at=future(), waiting_on="timer")
    record = store.get_run(run.run_id)
    assert record.status == SUSPENDED and record.waiting_on == "timer"
    assert not claimable(store, run.run_id)
    with pytest.raises(LeaseLostError), store.step(lease):
        pass  # suspending gave the lease up


def test_due_timer_is_claimable(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.suspend(lease, wake_at=past(), waiting_on="timer")
    again = claim_one(store, run.run_id)
    assert again.token > lease.token
    record = store.get_run(run.run_id)
    assert record.status == RUNNING and record.version_hash == HASH


def test_suspend_without_wake_time_waits_for_a_signal(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.suspend(lease, wake_at=None, waiting_on="signal:approve")
    assert not claimable(store, run.run_id)
    assert store.send_signal(run.run_id, "other", "1")
    assert not claimable(store, run.run_id)  # not the awaited signal
    assert store.send_signal(run.run_id, "approve", "true")
    assert claimable(store, run.run_id)


def test_suspend_sees_a_signal_that_arrived_while_running(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        assert step.take_signal("approve") is None  # the engine looked: nothing yet
    assert store.send_signal(run.run_id, "approve", "true")  # arrives before suspend
    store.suspend(lease, wake_at=None, waiting_on="signal:approve")
    assert claimable(store, run.run_id)  # the wake-up is not lost


# --- cancel -----------------------------------------------------------------------------


def test_cancel_wakes_a_suspended_run(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    store.suspend(lease, wake_at=future(), waiting_on="timer")
    assert store.request_cancel(run.run_id)
    assert store.get_run(run.run_id).cancel_requested
    lease = claim_one(store, run.run_id)
    store.finish(lease, status=CANCELLED)
    assert not store.request_cancel(run.run_id)  # terminal now
    assert store.get_run(run.run_id).status == CANCELLED


def test_cancel_while_running_wakes_at_suspend(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    assert store.request_cancel(run.run_id)
    store.suspend(lease, wake_at=future(), waiting_on="timer")
    assert claimable(store, run.run_id)


def test_cancel_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        store.request_cancel("missing")
    assert info.value.reason == "not_found"


def test_finish_needs_a_terminal_status(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with pytest.raises(StoreError) as info:
        store.finish(lease, status=SUSPENDED)
    assert info.value.reason == "not_terminal"
    store.finish(lease, status=COMPLETED, result="1")
    assert store.get_run(run.run_id).status == COMPLETED


# --- children ---------------------------------------------------------------------------


def test_finishing_child_wakes_its_waiting_parent(store: Store) -> None:
    parent = start(store)
    plead = claim_one(store, parent.run_id)
    child = start(store, parent_id=parent.run_id, correlation_id="corr-1")
    store.suspend(plead, wake_at=None, waiting_on=f"child:{child.run_id}")
    clead = claim_one(store, child.run_id)
    assert not claimable(store, parent.run_id)
    store.finish(clead, status=COMPLETED, result='"done"')
    assert claimable(store, parent.run_id)
    record = store.get_run(child.run_id)
    assert record.result == '"done"' and record.parent_id == parent.run_id
    assert record.correlation_id == "corr-1"


def test_parent_suspending_after_child_finished_wakes_at_once(store: Store) -> None:
    parent = start(store)
    plead = claim_one(store, parent.run_id)
    child = start(store, parent_id=parent.run_id)
    clead = claim_one(store, child.run_id)
    store.finish(clead, status=COMPLETED, result="1")
    store.suspend(plead, wake_at=None, waiting_on=f"child:{child.run_id}")
    assert claimable(store, parent.run_id)


def test_run_pinned_to_the_current_hash_needs_no_known_versions(store: Store) -> None:
    run = start(store, version_hash=HASH)
    assert claim(store, current_versions=CURRENT, known_versions=())[0][0].run_id == run.run_id


# --- fencing, model-checked ---------------------------------------------------------------

fencing_ops = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.sampled_from([0.0, 60.0])),
        st.tuples(st.just("step"), st.integers(0, 5)),
        st.tuples(st.just("release"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=fencing_ops)
def test_only_the_latest_lease_can_write(store: Store, script: list) -> None:
    """Claims, steps and releases in any order: a write succeeds iff its lease is current."""
    run = start(store)
    leases: list = []  # every lease handed out, oldest first
    current: int | None = None  # index of the lease that owns the run now
    current_expired = False
    journal = 0
    for op, arg in script:
        if op == "claim":
            claimed = claim(store, lease_seconds=arg, limit=1000)
            got = [lease for r, lease in claimed if r.run_id == run.run_id]
            claimable_now = current is None or current_expired
            assert bool(got) == claimable_now
            if got:
                assert not leases or got[0].token > leases[-1].token
                leases.append(got[0])
                current, current_expired = len(leases) - 1, arg == 0.0
            continue
        if not leases:
            continue
        index = arg % len(leases)
        if op == "step":
            try:
                with store.step(leases[index]) as step:
                    step.append(event(journal + 1))
                journal += 1
                assert index == current
            except LeaseLostError:
                assert index != current
        else:
            try:
                store.release(leases[index])
                assert index == current
                current = None
            except LeaseLostError:
                assert index != current
    assert [e.seq for e in store.load_events(run.run_id)] == list(range(1, journal + 1))


# --- the protocol itself -------------------------------------------------------------------


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def _shape(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_store_implements_every_protocol_method_with_its_signature(store: Store) -> None:
    for name, expected in _public_methods(Store).items():
        actual = inspect.signature(getattr(type(store), name))
        assert _shape(actual) == _shape(expected), f"{type(store).__name__}.{name}"


def test_step_implements_the_step_protocol(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        for name, expected in _public_methods(Step).items():
            actual = inspect.signature(getattr(type(step), name))
            assert _shape(actual) == _shape(expected), f"{type(step).__name__}.{name}"
