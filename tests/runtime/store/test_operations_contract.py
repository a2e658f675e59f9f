"""The `OperationsStore` contract (schedules, retention, versions) over every store kind."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta

import pytest

from continuum.runtime.store.base import COMPLETED, FAILED, PENDING, Store
from continuum.runtime.store.operations import (
    SCHEDULE_ACTIVE,
    SCHEDULE_CANCELLED,
    SCHEDULE_DONE,
    NewSchedule,
    OperationsStore,
    ScheduleRecord,
    VersionRetention,
    schedule_run_id,
)

from .helpers import HASH, WORKFLOW, claim, claim_one, event, future, past, start


def _finish(store: Store, run_id: str, status: str = COMPLETED, events: int = 1) -> None:
    lease = claim_one(store, run_id)
    with store.step(lease) as step:
        for seq in range(1, events + 1):
            step.append(event(seq))
    store.finish(lease, status=status, result="1")


def _retain(store: Store, seconds: float | None, version: str = HASH) -> None:
    store.register_versions([VersionRetention(version, WORKFLOW, seconds)])


def test_store_implements_every_operations_method_with_its_signature(store: Store) -> None:
    for name, member in vars(OperationsStore).items():
        if callable(member) and not name.startswith("_"):
            expected = [
                (p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()
            ]
            actual = inspect.signature(getattr(type(store), name))
            assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == expected, (
                name
            )


# --- retention ----------------------------------------------------------------------------


def test_a_finished_run_gets_retention_until_from_its_registered_version(store: Store) -> None:
    _retain(store, 3600.0)
    run = start(store)
    _finish(store, run.run_id)
    done = store.get_run(run.run_id)
    assert done is not None and done.completed_at is not None
    assert done.retention_until == done.completed_at + timedelta(hours=1)


@pytest.mark.parametrize("registered", [False, True])
def test_unknown_or_forever_retention_keeps_the_run(store: Store, registered: bool) -> None:
    if registered:
        _retain(store, None)
    run = start(store)
    _finish(store, run.run_id, FAILED)
    assert store.get_run(run.run_id).retention_until is None  # type: ignore[union-attr]
    assert store.prune_expired(limit=10, execute=True) == []
    assert store.get_run(run.run_id) is not None


def test_prune_is_a_dry_run_unless_executed(store: Store) -> None:
    _retain(store, 0.0)
    run = start(store)
    _finish(store, run.run_id, events=3)
    preview = store.prune_expired(limit=10, execute=False)
    assert [r.run_id for r in preview] == [run.run_id]
    assert store.get_run(run.run_id) is not None
    assert len(store.load_events(run.run_id)) == 3
    gone = store.prune_expired(limit=10, execute=True)
    assert [r.run_id for r in gone] == [run.run_id]
    assert store.get_run(run.run_id) is None
    assert store.load_events(run.run_id) == []
    assert store.prune_expired(limit=10, execute=True) == []


def test_prune_removes_signals_and_tasks_with_the_run(store: Store) -> None:
    _retain(store, 0.0)
    run = start(store)
    store.send_signal(run.run_id, "late", "1")
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1))
        step.enqueue_task({"seq": 1, "queue": "q", "activity": "m:f", "args": "{}"})
    store.finish(lease, status=COMPLETED, result="1")
    assert store.get_task(run.run_id, 1) is not None
    assert len(store.prune_expired(limit=10, execute=True)) == 1
    assert store.get_task(run.run_id, 1) is None
    assert store.claim_tasks(owner="w", queues=["q"], limit=5, lease_seconds=5) == []


def test_prune_keeps_a_group_while_any_member_is_live_or_unexpired(store: Store) -> None:
    _retain(store, 0.0)
    parent = start(store)
    child = start(store, parent_id=parent.run_id, correlation_id=parent.run_id)
    leases = {record.run_id: lease for record, lease in claim(store, limit=10)}
    store.finish(leases[parent.run_id], status=COMPLETED, result="1")
    assert store.prune_expired(limit=10, execute=True) == []  # the child still runs
    store.finish(leases[child.run_id], status=COMPLETED, result="1")
    gone = {r.run_id for r in store.prune_expired(limit=10, execute=True)}
    assert gone == {parent.run_id, child.run_id}


def test_prune_takes_at_most_limit_groups(store: Store) -> None:
    _retain(store, 0.0)
    runs = []
    for _ in range(5):
        runs.append(start(store))
        _finish(store, runs[-1].run_id)
    first = store.prune_expired(limit=2, execute=True)
    assert len(first) == 2
    rest = store.prune_expired(limit=10, execute=True)
    assert {r.run_id for r in first} | {r.run_id for r in rest} == {r.run_id for r in runs}


def test_an_unexpired_run_is_not_pruned(store: Store) -> None:
    _retain(store, 3600.0)
    run = start(store)
    _finish(store, run.run_id)
    assert store.prune_expired(limit=10, execute=True) == []


# --- schedules ----------------------------------------------------------------------------


def _one_shot(record: ScheduleRecord, fired_at: datetime, now: datetime) -> datetime | None:
    return None


def _every_hour(record: ScheduleRecord, fired_at: datetime, now: datetime) -> datetime | None:
    return max(fired_at, now) + timedelta(hours=1)


def _schedule(store: Store, name: str, when: datetime, cron: str | None = None) -> ScheduleRecord:
    record, created = store.create_schedule(
        NewSchedule(
            name=name,
            workflow=WORKFLOW,
            input='{"n": 1}',
            next_fire_at=when,
            cron=cron,
            namespace="billing",
            attributes={"team": "ops"},
        )
    )
    assert created
    return record


def test_create_schedule_is_idempotent_on_its_name(store: Store) -> None:
    first = _schedule(store, "nightly", future())
    again, created = store.create_schedule(
        NewSchedule(name="nightly", workflow="other:Flow", input="{}", next_fire_at=future(60))
    )
    assert not created and again == first
    assert store.get_schedule("nightly") == first
    assert first.status == SCHEDULE_ACTIVE and first.fire_count == 0


def test_a_due_one_shot_starts_one_run_with_a_deterministic_id(store: Store) -> None:
    when = past(60).replace(microsecond=0)
    _schedule(store, "once", when)
    _schedule(store, "later", future())
    fired = store.fire_schedules(limit=10, next_fire=_one_shot)
    assert [(f.schedule, f.run_id, f.created) for f in fired] == [
        ("once", schedule_run_id("once", when), True)
    ]
    run = store.get_run(fired[0].run_id)
    assert run is not None and run.status == PENDING and run.workflow == WORKFLOW
    assert run.input == '{"n": 1}' and run.namespace == "billing"
    assert dict(run.attributes) == {"team": "ops"}
    done = store.get_schedule("once")
    assert done is not None and done.status == SCHEDULE_DONE and done.next_fire_at is None
    assert done.last_run_id == run.run_id and done.fire_count == 1
    assert store.fire_schedules(limit=10, next_fire=_one_shot) == []
    assert [s.name for s in store.list_schedules()] == ["later"]
    assert [s.name for s in store.list_schedules(include_finished=True)] == ["later", "once"]


def test_a_recurring_schedule_advances_past_now(store: Store) -> None:
    when = past(3 * 3600)
    _schedule(store, "hourly", when, cron="0 * * * *")
    fired = store.fire_schedules(limit=10, next_fire=_every_hour)
    assert len(fired) == 1 and fired[0].fire_at == when
    record = store.get_schedule("hourly")
    assert record is not None and record.status == SCHEDULE_ACTIVE
    assert record.next_fire_at is not None and record.next_fire_at > future(3000)
    assert store.fire_schedules(limit=10, next_fire=_every_hour) == []


def test_fire_schedules_respects_the_limit(store: Store) -> None:
    for i in range(3):
        _schedule(store, f"s{i}", past(100 - i))
    assert len(store.fire_schedules(limit=2, next_fire=_one_shot)) == 2
    assert len(store.fire_schedules(limit=2, next_fire=_one_shot)) == 1


def test_next_schedule_due_is_the_earliest_active_fire_time(store: Store) -> None:
    assert store.next_schedule_due() is None
    soon, later = future(60).replace(microsecond=0), future(7200).replace(microsecond=0)
    _schedule(store, "later", later)
    _schedule(store, "soon", soon)
    assert store.next_schedule_due() == soon
    store.cancel_schedule("soon")
    assert store.next_schedule_due() == later


def test_a_cancelled_schedule_never_fires(store: Store) -> None:
    _schedule(store, "stop-me", past(10))
    assert store.cancel_schedule("stop-me") is True
    assert store.cancel_schedule("stop-me") is False
    assert store.cancel_schedule("unknown") is False
    assert store.fire_schedules(limit=10, next_fire=_one_shot) == []
    record = store.get_schedule("stop-me")
    assert record is not None and record.status == SCHEDULE_CANCELLED


# --- versions -----------------------------------------------------------------------------


def test_version_usage_counts_live_runs_per_version(store: Store) -> None:
    _finish(store, start(store).run_id)
    claim_one(store, start(store).run_id)
    start(store)
    usage = {(u.version_hash, u.status): u.count for u in store.version_usage()}
    assert usage[(HASH, "running")] == 1
    assert usage[(None, PENDING)] == 1
    assert all(status != COMPLETED for _, status in usage)


def test_repin_run_moves_only_an_idle_unchanged_run(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1))
    assert store.repin_run(run.run_id, from_hash=HASH, to_hash="new", last_seq=1) == "leased"
    store.suspend(lease, wake_at=future(), waiting_on="timer")
    assert store.repin_run(run.run_id, from_hash="zzz", to_hash="new", last_seq=1) == (
        "other_version"
    )
    assert store.repin_run(run.run_id, from_hash=HASH, to_hash="new", last_seq=0) == "progressed"
    assert store.repin_run("nope", from_hash=HASH, to_hash="new", last_seq=0) == "not_found"
    assert store.repin_run(run.run_id, from_hash=HASH, to_hash="new", last_seq=1) == "moved"
    assert store.get_run(run.run_id).version_hash == "new"  # type: ignore[union-attr]
    done = start(store)
    _finish(store, done.run_id)
    assert store.repin_run(done.run_id, from_hash=HASH, to_hash="new", last_seq=1) == "terminal"


def test_repin_run_restamps_moved_call_sites(store: Store) -> None:
    run = start(store)
    lease = claim_one(store, run.run_id)
    with store.step(lease) as step:
        step.append(event(1))
        step.append(event(2))
    store.suspend(lease, wake_at=future(), waiting_on="timer")
    old = event(1).command
    assert old is not None
    new = (*old[:3], 99, old[4])
    moved = store.repin_run(
        run.run_id, from_hash=HASH, to_hash="new", last_seq=2, restamp={old: new}
    )
    assert moved == "moved"
    commands = [tuple(e.command or ()) for e in store.load_events(run.run_id)]
    assert commands == [new, tuple(event(2).command or ())]
