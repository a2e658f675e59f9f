"""Postgres-only behaviour: concurrent claims, fencing under races, errors, LISTEN/NOTIFY."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from continuum.runtime.errors import LeaseLostError, StoreError
from continuum.runtime.store.base import NewEvent, Snapshot
from continuum.runtime.store.postgres import PostgresStore
from continuum.runtime.store.postgres.notify import Listener
from continuum.runtime.store.postgres.runs import _queries as runs_sql
from continuum.runtime.store.postgres.tasks import _queries as tasks_sql

from .helpers import CURRENT, WORKFLOW, claim, claim_one, claimable, event, start, wait_ends_on


def test_concurrent_claims_never_share_a_run(pg_store: PostgresStore, database_url: str) -> None:
    for _ in range(40):
        start(pg_store)
    stores = [PostgresStore(database_url, schema=pg_store.schema) for _ in range(4)]
    barrier = threading.Barrier(len(stores))

    def drain(index: int) -> list[str]:
        barrier.wait()
        got: list[str] = []
        while batch := claim(stores[index], owner=f"w{index}", limit=3):
            got += [record.run_id for record, _ in batch]
        return got

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(drain, range(len(stores))))
    finally:
        for store in stores:
            store.close()
    counts = Counter(run_id for got in results for run_id in got)
    assert len(counts) == 40 and set(counts.values()) == {1}


def test_concurrent_task_claims_never_share_a_task(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    with pg_store.step(lease) as step:
        for seq in range(1, 31):
            step.enqueue_task({"seq": seq, "queue": "q", "activity": "m:f", "args": "[]"})
    barrier = threading.Barrier(3)

    def drain(owner: str) -> list[int]:
        barrier.wait()
        got: list[int] = []
        while batch := pg_store.claim_tasks(owner=owner, queues=["q"], limit=2, lease_seconds=30):
            got += [task.task_id for task in batch]
        return got

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(drain, ["a", "b", "c"]))
    counts = Counter(task_id for got in results for task_id in got)
    assert len(counts) == 30 and set(counts.values()) == {1}


def test_tokens_come_from_one_sequence_and_grow(pg_store: PostgresStore) -> None:
    runs = [start(pg_store) for _ in range(3)]
    tokens = []
    for _ in range(3):
        for record, lease in claim(pg_store, lease_seconds=0):
            assert record.run_id in {r.run_id for r in runs}
            tokens.append(lease.token)
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens) == 9


def test_stale_step_fails_while_the_new_owner_writes(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    old = claim_one(pg_store, run.run_id, owner="old", lease_seconds=0)
    new = claim_one(pg_store, run.run_id, owner="new")
    with pg_store.step(new) as step:
        step.append(event(1))
        with pytest.raises(LeaseLostError) as info, pg_store.step(old) as stale_step:
            stale_step.append(event(1))
        assert info.value.reason == "lease_lost" and f"token {new.token}" in str(info.value)
    assert [(e.seq, e.payload) for e in pg_store.load_events(run.run_id)] == [(1, event(1).payload)]


def test_claim_skips_a_run_locked_by_an_open_step(pg_store: PostgresStore) -> None:
    """An expired lease whose step is still committing is not stolen mid-transaction."""
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id, owner="slow", lease_seconds=0)
    with pg_store.step(lease) as step:
        step.append(event(1))
        assert step.take_signal("nothing") is None  # opens the fenced transaction
        assert claim(pg_store, owner="fast") == []  # SKIP LOCKED: no wait, no steal
    again = claim_one(pg_store, run.run_id, owner="fast")
    assert again.token > lease.token
    assert [e.seq for e in pg_store.load_events(run.run_id)] == [1]


def test_single_event_step_refused_when_the_lease_moved_before_it_wrote(
    pg_store: PostgresStore,
) -> None:
    """The one-statement step checks the lease when it writes: a steal in between wins."""
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id, owner="slow", lease_seconds=0)
    with pytest.raises(LeaseLostError) as info, pg_store.step(lease) as step:
        step.append(event(1))
        again = claim_one(pg_store, run.run_id, owner="fast")
    assert info.value.reason == "lease_lost" and f"token {again.token}" in str(info.value)
    assert pg_store.load_events(run.run_id) == []


@pytest.mark.parametrize("seq", [1, 3])
def test_single_event_step_at_a_wrong_position_is_a_seq_conflict(
    pg_store: PostgresStore, seq: int
) -> None:
    """A duplicate or a gap writes nothing and says seq_conflict, lease still held."""
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id, owner="w")
    with pg_store.step(lease) as step:
        step.append(event(1))
    with pytest.raises(LeaseLostError) as info, pg_store.step(lease) as step:
        step.append(event(seq))
    assert info.value.reason == "seq_conflict"
    assert [e.seq for e in pg_store.load_events(run.run_id)] == [1]


def test_version_pinned_at_claim_is_recorded(pg_store: PostgresStore, database_url: str) -> None:
    start(pg_store)
    start(pg_store, workflow="m:B", version_hash="bbb")
    claim(pg_store, current_versions={**CURRENT, "m:B": "bbb"})
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            sql.SQL("SELECT version_hash, workflow FROM {} ORDER BY workflow").format(
                sql.Identifier(pg_store.schema, "workflow_versions")
            )
        ).fetchall()
    assert rows == [("bbb", "m:B"), (CURRENT[WORKFLOW], WORKFLOW)]


def test_unmigrated_schema_says_what_to_do(database_url: str, fresh_schema: str) -> None:
    store = PostgresStore(database_url, schema=fresh_schema)
    try:
        with pytest.raises(StoreError) as info:
            store.get_run("x")
        assert info.value.reason == "not_migrated"
        assert "continuum db migrate" in str(info.value)
    finally:
        store.close()


def test_naive_wake_time_is_utc(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    naive = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=2)
    pg_store.suspend(lease, wake_at=naive, waiting_on="timer")
    assert pg_store.get_run(run.run_id).next_wakeup_at == naive.replace(tzinfo=UTC)


# --- LISTEN/NOTIFY ----------------------------------------------------------------------


def test_idle_wait_issues_no_queries(pg_store: PostgresStore, monkeypatch) -> None:
    pg_store.wait_for_work(0)  # starts the listener and its LISTEN connection
    conn = pg_store._listener._conn
    checkouts, statements = [], []
    original = pg_store._db.pool.connection
    monkeypatch.setattr(
        pg_store._db.pool, "connection", lambda *a, **k: checkouts.append(1) or original(*a, **k)
    )
    monkeypatch.setattr(conn, "execute", lambda *a, **k: statements.append(a))
    for _ in range(3):
        pg_store.wait_for_work(0.4)  # spans the listener's 1 s inner timeout loop too
    assert checkouts == [] and statements == []
    assert pg_store._listener._conn is conn  # one long-lived connection


def test_announced_timer_ends_the_wait(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    due = datetime.now(UTC) + timedelta(milliseconds=500)
    assert wait_ends_on(pg_store, lambda: pg_store.suspend(lease, wake_at=due, waiting_on="timer"))
    assert claim_one(pg_store, run.run_id)


def test_listener_ignores_other_schemas_and_remembers_timers() -> None:
    listener = Listener("unused", "mine")
    assert listener._wakes("mine|signal|r1")
    assert not listener._wakes("theirs|signal|r1")
    assert not listener._wakes("garbage")
    later = time.time() + 3600
    assert not listener._wakes(f"mine|timer|r2|{later:.6f}")
    assert listener._timers == [pytest.approx(later, abs=1e-5)]
    assert listener._wakes(f"mine|timer|r3|{time.time() - 1:.6f}")  # already due


def _until(condition) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.01)


def test_claim_loop_wait_skips_finished_but_keeps_what_came_before(
    pg_store: PostgresStore,
) -> None:
    """A run's `finished` wakes result waiters, not the claim loop; a start is never lost."""
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    pg_store.wait_for_claimable(0)  # starts the listener; marks everything so far seen
    listener = pg_store._listener
    everything, claimable = listener._generation, listener._claimable
    pg_store.finish(lease, status="completed", result="1")
    _until(lambda: listener._generation > everything)
    assert listener._claimable == claimable  # the claim loop's wait goes on
    start(pg_store)  # announced before the claim loop waits again
    _until(lambda: listener._claimable > claimable)
    waiter = threading.Thread(target=pg_store.wait_for_claimable, args=(600,), daemon=True)
    waiter.start()
    waiter.join(30)
    assert not waiter.is_alive()  # returned on the start that came before it


def test_waiters_in_several_threads_all_wake(pg_store: PostgresStore) -> None:
    pg_store.wait_for_work(0)
    woke = []
    ready = threading.Barrier(4)

    def waiter() -> None:
        pg_store.wait_for_work(0.3)
        ready.wait()
        pg_store.wait_for_work(120)
        woke.append(1)

    threads = [threading.Thread(target=waiter, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    ready.wait()
    start(pg_store)
    for thread in threads:
        thread.join(30)
    assert len(woke) == 3


def test_lost_listen_connection_is_reopened(pg_store: PostgresStore, database_url: str) -> None:
    pg_store.wait_for_work(0)
    first = pg_store._listener._conn
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first.info.backend_pid,))
    again = first
    for _ in range(100):  # the reconnect itself ends a wait: work may have been missed
        pg_store.wait_for_work(0.2)
        again = pg_store._listener._conn
        if again is not None and again is not first:
            break
    assert again is not None and again is not first and not again.closed
    assert wait_ends_on(pg_store, lambda: start(pg_store))


def test_unreachable_database_fails_at_construction() -> None:
    with pytest.raises(StoreError) as info:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none", timeout=0.5)
    assert info.value.op == "connect" and info.value.reason == "unavailable"
    assert "none on 127.0.0.1:1" in str(info.value) and "secret" not in str(info.value)


def test_deadlocks_are_retried(pg_store: PostgresStore) -> None:
    calls: list[int] = []

    def body(conn: psycopg.Connection) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return conn.execute("SELECT 7").fetchone()[0]

    assert pg_store._db.run("probe", body) == 7 and len(calls) == 2


def test_broken_connection_retries_reads_but_not_writes(pg_store: PostgresStore) -> None:
    calls: list[int] = []

    def flaky(conn: psycopg.Connection) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return 1

    assert pg_store._db.run("read", flaky, read_only=True) == 1 and len(calls) == 2
    calls.clear()
    with pytest.raises(StoreError) as info:
        pg_store._db.run("write", flaky)
    assert info.value.reason == "unavailable" and len(calls) == 1


# --- lost wake-ups: a waker committing while the run suspends ----------------------------


def _suspend_against(store: PostgresStore, waker, lease, waiting_on: str) -> bool:
    """Run ``waker`` on its own connection, let `suspend` start, then commit the waker.

    Returns whether suspend was still waiting when the waker committed (it should be:
    the waker holds the run row lock).
    """
    with psycopg.connect(store.url) as conn:
        waker(conn)
        thread = threading.Thread(
            target=store.suspend, kwargs={"lease": lease, "wake_at": None, "waiting_on": waiting_on}
        )
        thread.start()
        thread.join(0.5)
        blocked = thread.is_alive()
        conn.commit()
    thread.join()
    return blocked


def test_task_completing_while_the_run_suspends_wakes_it(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    with pg_store.step(lease) as step:
        task_id = step.enqueue_task({"seq": 1, "queue": "q", "activity": "m:f", "args": "[]"})
    [task] = pg_store.claim_tasks(owner="t", queues=["q"], limit=1, lease_seconds=30)
    q = tasks_sql(pg_store.schema)

    def complete(conn: psycopg.Connection) -> None:  # what complete_task does, uncommitted
        params = {"task_id": task_id, "owner": "t", "attempt": task.attempt}
        conn.execute(q["complete"], {**params, "status": "completed", "result": "1", "error": None})
        conn.execute(q["wake_run"], {"run_id": run.run_id, "waiting_on": f"task:{task_id}"})

    assert _suspend_against(pg_store, complete, lease, f"task:{task_id}")
    assert claimable(pg_store, run.run_id)


def test_child_finishing_while_the_parent_suspends_wakes_it(pg_store: PostgresStore) -> None:
    parent = start(pg_store)
    plead = claim_one(pg_store, parent.run_id)
    child = start(pg_store, parent_id=parent.run_id)
    clease = claim_one(pg_store, child.run_id)
    q = runs_sql(pg_store.schema)

    def finish(conn: psycopg.Connection) -> None:  # the statement finish sends, uncommitted
        params = {
            "status": "completed",
            "result": "1",
            "error": None,
            "run_id": child.run_id,
            "owner": clease.owner,
            "token": clease.token,
            "waiting_on": f"child:{child.run_id}",
            "channel": "continuum_wake",
            "finished": f"{pg_store.schema}|finished|",
            "wake": f"{pg_store.schema}|wake|",
        }
        assert conn.execute(q["finish_fenced"], params).fetchone() == (1, 1, 0)

    assert _suspend_against(pg_store, finish, plead, f"child:{child.run_id}")
    assert claimable(pg_store, parent.run_id)


@pytest.mark.parametrize(
    "command",
    [
        ("activity", "W", "W.run", 7, "s1"),
        ("activity", "W", "W.run", "7", "s1"),
        ("activity", "W", "W.run", 7.5, "s1"),
        ("a", "b", "c"),
        ("a", "b", "c", 1, "d", "e"),
        None,
    ],
)
def test_load_events_gives_back_the_command_as_written(
    pg_store: PostgresStore, command: tuple | None
) -> None:
    """Commands come back from their columns; any shape the runtime never writes, whole."""
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    with pg_store.step(lease) as step:
        step.append(NewEvent(1, "side_effect", command, '{"value": 1}'))
    [loaded] = pg_store.load_events(run.run_id)
    _, [replayed] = pg_store.load_history(run.run_id)  # replay's leaner read
    for got in (loaded.command, replayed.command):
        assert got == command
        assert [type(part) for part in got or ()] == [type(part) for part in command or ()]


def test_load_history_is_the_snapshot_and_the_rows_after_it(pg_store: PostgresStore) -> None:
    run = start(pg_store)
    lease = claim_one(pg_store, run.run_id)
    assert pg_store.load_history(run.run_id) == (None, [])
    for seq in (1, 2, 3):
        with pg_store.step(lease) as step:
            step.append(event(seq))

    def rows(events):  # replay reads (seq, kind, command, payload) rows
        return [(e.seq, e.kind, e.command, e.payload) for e in events]

    none, journal = pg_store.load_history(run.run_id)
    assert none is None and rows(journal) == rows(pg_store.load_events(run.run_id))
    with pg_store.step(lease) as step:
        step.save_snapshot(Snapshot(run.run_id, 2, 1, "{}"))
    snapshot, after = pg_store.load_history(run.run_id)
    assert snapshot == Snapshot(run.run_id, 2, 1, "{}")
    assert rows(after) == rows(pg_store.load_events(run.run_id, after_seq=2))
    assert [e.seq for e in after] == [3]
