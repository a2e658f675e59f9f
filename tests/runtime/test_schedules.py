"""Schedules: one-shot and cron, fired exactly once by racing workers, visible in the CLI."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from continuum import Client
from continuum.cli import cli
from continuum.runtime.cron import CronError
from continuum.runtime.errors import ContinuumError
from continuum.runtime.registry import Registry
from continuum.runtime.schedules import fire_due
from continuum.runtime.store.operations import ScheduleRecord, schedule_run_id
from continuum.runtime.store.postgres import PostgresStore
from continuum.runtime.worker import Worker, WorkerOptions
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.ops_app.versions import Hello

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_schedule_at_starts_one_run_when_due() -> None:
    now = [T0]
    store = InMemoryStore(clock=lambda: now[0])
    client = Client(store=store)
    when = T0 + timedelta(minutes=5)
    name = client.schedule_at(Hello, {"name": "ada"}, when, id="greet")
    assert client.schedule_at(Hello, {"name": "other"}, when, id="greet") == name
    assert fire_due(store) == []
    now[0] = when
    fired = fire_due(store)
    assert [(f.run_id, f.created) for f in fired] == [(schedule_run_id("greet", when), True)]
    assert fired[0].run_id == "schedule:greet:2026-03-01T12:05:00Z"
    assert fire_due(store) == []
    assert client.list_schedules() == []
    assert client.list_schedules(include_finished=True)[0].status == "done"


def test_schedule_at_accepts_a_delay() -> None:
    store = InMemoryStore()
    client = Client(store=store)
    before = datetime.now(UTC)
    client.schedule_at(Hello, {}, timedelta(hours=2), id="later")
    record = store.get_schedule("later")
    assert record is not None and record.next_fire_at is not None
    assert (
        before + timedelta(hours=2) <= record.next_fire_at <= datetime.now(UTC) + timedelta(hours=2)
    )


def test_schedule_at_requires_an_aware_time() -> None:
    client = Client(store=InMemoryStore())
    with pytest.raises(ContinuumError, match="timezone-aware"):
        client.schedule_at(Hello, {}, datetime(2026, 1, 1))


def test_schedule_cron_validates_its_expression_and_zone() -> None:
    client = Client(store=InMemoryStore())
    with pytest.raises(CronError, match="day of week"):
        client.schedule_cron("bad", Hello, {}, "0 9 * * FUNDAY")
    with pytest.raises(ContinuumError, match="unknown time zone"):
        client.schedule_cron("bad", Hello, {}, "0 9 * * MON", tz="Mars/Olympus")


def test_a_cron_schedule_fires_in_its_zone_and_moves_on() -> None:
    now = [datetime(2026, 11, 24, 7, 0, tzinfo=UTC)]
    store = InMemoryStore(clock=lambda: now[0])
    client = Client(store=store)
    client.schedule_cron("weekly", Hello, {"name": "team"}, "0 9 * * MON", tz="Europe/Paris")
    record = store.get_schedule("weekly")
    assert record is not None and record.next_fire_at is not None
    # The first fire time is computed from the real clock: always a Monday 09:00 in Paris.
    local = record.next_fire_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert (local.isoweekday(), local.hour, local.minute) == (1, 9, 0)
    now[0] = record.next_fire_at + timedelta(days=15)  # two weeks of downtime
    fired = fire_due(store)
    assert len(fired) == 1  # the backlog collapses into one run
    after = store.get_schedule("weekly")
    assert after is not None and after.next_fire_at is not None and after.next_fire_at > now[0]
    assert client.cancel_schedule("weekly") and not client.cancel_schedule("weekly")


def _every_minute(record: ScheduleRecord, fired_at: datetime, now: datetime) -> datetime | None:
    # Unlike the runtime's policy, walk every missed minute: many fire times to race on.
    nxt = fired_at + timedelta(minutes=1)
    return nxt if nxt <= now else None


def test_racing_workers_start_each_fire_time_exactly_once(
    database_url: str, fresh_schema: str
) -> None:
    stores = [
        PostgresStore(database_url, schema=fresh_schema, migrate=True, max_size=2) for _ in range(4)
    ]
    try:
        client = Client(store=stores[0])
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
        for i in range(12):
            client.schedule_at(Hello, {"name": i}, start + timedelta(seconds=i), id=f"once-{i}")
        client._schedule("minutely", Hello, {}, start, "* * * * *", "UTC", "default", None)
        barrier = threading.Barrier(len(stores))
        results: list[list] = [[] for _ in stores]

        def race(index: int) -> None:
            barrier.wait()
            idle = 0
            while idle < 5:  # a locked row is skipped, so "nothing" may mean "busy"
                got = stores[index].fire_schedules(limit=3, next_fire=_every_minute)
                results[index] += got
                idle = 0 if got else idle + 1

        threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fired = [f for batch in results for f in batch]
        fired += fire_due(stores[0])  # whatever the racers left, if anything
        assert fire_due(stores[0]) == []
        assert sum(1 for batch in results if batch) >= 2  # it really was a race
        created = [f.run_id for f in fired if f.created]
        assert len(created) == len(set(created)) == len(fired)
        minutely = [f for f in fired if f.schedule == "minutely"]
        assert len(minutely) >= 30  # every minute from start to now, each once
        assert len({f.fire_at for f in minutely}) == len(minutely)
        runs = client.query(workflow=Hello, limit=1000)
        assert sorted(r.run_id for r in runs) == sorted(created)
    finally:
        for store in stores:
            store.close()


def test_a_worker_fires_schedules_and_runs_them(pg_store: PostgresStore) -> None:
    client = Client(store=pg_store)
    name = client.schedule_at(Hello, {"name": "ada"}, datetime.now(UTC) - timedelta(seconds=1))
    record = pg_store.get_schedule(name)
    assert record is not None and record.next_fire_at is not None
    run_id = schedule_run_id(name, record.next_fire_at)
    options = WorkerOptions(poll_interval=0.05, concurrency=2)
    with Worker(pg_store, Registry.from_classes(Hello), options):
        deadline = time.monotonic() + 20
        while pg_store.get_run(run_id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.result(run_id, timeout=20) == {"hello": "ada"}
    assert pg_store.get_schedule(name).status == "done"  # type: ignore[union-attr]


def test_schedules_cli_lists_and_cancels(database_url: str, fresh_schema: str) -> None:
    with Client(database_url, schema=fresh_schema, migrate=True) as client:
        client.schedule_cron("nightly", Hello, {}, "0 3 * * *", tz="America/New_York")
    args = ["--database-url", database_url, "--schema", fresh_schema]
    runner = CliRunner()
    listed = runner.invoke(cli, ["schedules", "list", *args])
    assert listed.exit_code == 0, listed.output
    assert "nightly" in listed.output and "cron '0 3 * * *' America/New_York" in listed.output
    cancelled = runner.invoke(cli, ["schedules", "cancel", "nightly", *args])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    again = runner.invoke(cli, ["schedules", "cancel", "nightly", *args])
    assert "already cancelled" in again.output
    missing = runner.invoke(cli, ["schedules", "cancel", "nope", *args])
    assert missing.exit_code == 1 and "no schedule named" in missing.output
    assert "no schedules" in runner.invoke(cli, ["schedules", "list", *args]).output


def test_several_workers_run_each_scheduled_run_once(database_url: str, fresh_schema: str) -> None:
    stores = [
        PostgresStore(database_url, schema=fresh_schema, migrate=True, max_size=4) for _ in range(3)
    ]
    try:
        client = Client(store=stores[0])
        due = datetime.now(UTC) - timedelta(seconds=1)
        names = [client.schedule_at(Hello, {"name": i}, due, id=f"job-{i}") for i in range(8)]
        options = WorkerOptions(poll_interval=0.05, concurrency=2)
        workers = [Worker(store, Registry.from_classes(Hello), options) for store in stores]
        for worker in workers:
            worker.start()
        try:
            run_ids = [schedule_run_id(name, due) for name in names]
            deadline = time.monotonic() + 30
            while any(stores[0].get_run(r) is None for r in run_ids):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            results = [client.result(r, timeout=30) for r in run_ids]
        finally:
            for worker in workers:
                worker.stop()
        assert results == [{"hello": i} for i in range(8)]
        assert len(client.query(workflow=Hello, limit=100)) == 8
        assert sum(w.stats.runs_executed for w in workers) == 8
    finally:
        for store in stores:
            store.close()
