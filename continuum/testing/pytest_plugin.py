"""Opt-in pytest fixtures for workflow tests: ``pytest_plugins = ["continuum.testing.pytest_plugin"]``.

``continuum_store`` is a fresh `InMemoryStore` per test and ``continuum_client`` a
`Client` on it; run due work with ``drain(continuum_store, Registry.from_classes(Flow))``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from continuum.runtime.client import Client

from .memory_store import InMemoryStore


@pytest.fixture
def continuum_store() -> Iterator[InMemoryStore]:
    """A fresh in-memory store, closed after the test."""
    store = InMemoryStore()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def continuum_client(continuum_store: InMemoryStore) -> Client:
    """A `Client` talking to ``continuum_store``."""
    return Client(store=continuum_store)
