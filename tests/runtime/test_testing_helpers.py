"""`continuum.testing`: the in-memory store's clock and `drain` let users skip time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.app import flows


def test_an_hour_long_timer_fires_when_the_clock_moves():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    store = InMemoryStore(clock=lambda: start)
    client = Client(store=store)
    registry = Registry.from_classes(flows.Sleeper)
    run_id = client.start(flows.Sleeper, {"seconds": 3600})
    [outcome] = drain(store, registry)
    assert outcome.status == "suspended" and outcome.wake_at == start + timedelta(hours=1)
    store.clock = lambda: start + timedelta(minutes=59)
    assert drain(store, registry) == []  # not due yet
    store.clock = lambda: start + timedelta(hours=1, seconds=1)
    [outcome] = drain(store, registry)
    assert outcome.status == "completed"
    assert client.result(run_id) == "woke"


def test_signal_timeout_follows_the_clock():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    store = InMemoryStore(clock=lambda: start)
    client = Client(store=store)
    registry = Registry.from_classes(flows.Approval)
    run_id = client.start(flows.Approval, {"timeout": 86400})
    drain(store, registry)
    client.signal(run_id, "decision", "yes")
    drain(store, registry)
    store.clock = lambda: start + timedelta(days=2)
    drain(store, registry)
    assert client.result(run_id) == ["yes", "timeout"]


pytest_plugins = ["continuum.testing.pytest_plugin"]


def test_plugin_fixtures_run_a_workflow(continuum_store, continuum_client):
    from continuum.testing import drain as exported_drain

    run_id = continuum_client.start(flows.Approval, {"timeout": None})
    continuum_client.signal(run_id, "decision", 1)
    continuum_client.signal(run_id, "decision", 2)
    exported_drain(continuum_store, Registry.from_classes(flows.Approval))
    assert continuum_client.result(run_id) == [1, 2]
