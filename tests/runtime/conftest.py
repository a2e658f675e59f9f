"""Fixtures for runtime tests: a Postgres store per test (and the in-memory one as well)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from continuum.runtime.client import Client
from continuum.runtime.engine import Outcome
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import TERMINAL, Store
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.app import flows

ALL_FLOWS = (
    flows.Steps,
    flows.Approval,
    flows.Sleeper,
    flows.Flaky,
    flows.Primitives,
    flows.Queued,
    flows.Timeouts,
    flows.Swallow,
    flows.BadArgs,
    flows.Saga,
    flows.Gate,
    flows.Chatty,
    flows.Parent,
    flows.Counter,
    flows.Relay,
    flows.QueuedGate,
)


@pytest.fixture
def pg_store(database_url: str, fresh_schema: str) -> Iterator[Store]:
    from continuum.runtime.store.postgres import PostgresStore

    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=["postgres", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each engine test runs on Postgres, and on the in-memory store users test with."""
    if request.param == "postgres":
        yield request.getfixturevalue("pg_store")
    else:
        yield InMemoryStore()


@pytest.fixture
def registry() -> Registry:
    return Registry.from_classes(*ALL_FLOWS)


@pytest.fixture
def client(store: Store) -> Client:
    return Client(store=store)


def _awaits_signal(record) -> bool:
    if record is None or record.status != "suspended" or not record.waiting_on:
        return False
    if not record.waiting_on.startswith("signal:"):
        return False
    wake = record.next_wakeup_at
    return wake is None or (wake - datetime.now(UTC)).total_seconds() > 5


Driver = Callable[..., list[Outcome]]


@pytest.fixture
def drive(store: Store, registry: Registry) -> Driver:
    """Execute due work until ``run_id`` is terminal, or (``until_idle``) nothing is due."""

    def run(
        run_id: str | None = None,
        *,
        queues: tuple[str, ...] = ("default", "remote"),
        reg: Registry | None = None,
        deadline: float = 30.0,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        give_up = time.monotonic() + deadline
        while True:
            outcomes += drain(store, reg or registry, queues=queues, short_wait=0.0)
            if run_id is None:
                return outcomes
            record = store.get_run(run_id)
            if record is not None and record.status in TERMINAL:
                return outcomes
            if _awaits_signal(record):
                return outcomes  # waits for a signal the test has not sent yet
            if time.monotonic() > give_up:
                raise AssertionError(f"run {run_id} still {record.status if record else None}")
            time.sleep(0.02)

    return run


class CountingStore:
    """Counts the store calls that reach the database (waiting on LISTEN does not)."""

    def __init__(self, store) -> None:
        self._store = store
        self.calls: list[tuple[float, str]] = []

    def __getattr__(self, name):
        target = getattr(self._store, name)
        if name in ("wait_for_work", "wait_for_claimable", "wake_waiters") or not callable(target):
            return target

        def counted(*args, **kwargs):
            self.calls.append((time.monotonic(), name))
            return target(*args, **kwargs)

        return counted
