"""Helpers for testing workflows fast, without Postgres or a worker.

- `InMemoryStore`: the store contract in memory (``clock=`` lets tests move time);
- `drain`: execute every due run and queued task in the calling thread;
- ``continuum.testing.pytest_plugin``: opt-in fixtures ``continuum_store`` and
  ``continuum_client`` (``pytest_plugins = ["continuum.testing.pytest_plugin"]``).
"""

from __future__ import annotations

from .drive import drain
from .memory_store import InMemoryStore

__all__ = ["InMemoryStore", "drain"]
