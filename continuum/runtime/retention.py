"""Retention: how long finished runs are kept, and pruning the expired ones.

A workflow declares ``retention=`` (default 30 days, None = forever). A worker
registers the retention of each version it runs (`register_retention`); when a run of
that version becomes terminal the store stamps ``retention_until = finished + retention``.
`prune` deletes whole correlation groups (a run, its continue-as-new chain and its
children) once every member is past its ``retention_until``, in small batches.
Runs whose version no worker registered are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ContinuumError
from .registry import Registry
from .store.base import RunRecord, Store
from .store.operations import VersionRetention

logger = logging.getLogger(__name__)

#: Correlation groups per prune batch (default and upper bound).
DEFAULT_BATCH = 100
MAX_BATCH = 1000


def version_retention(registry: Registry, version_hash: str) -> VersionRetention | None:
    """The retention declared by ``version_hash``'s workflow class; None if it cannot load."""
    info = registry.versions.get(version_hash)
    if info is None:
        return None
    try:
        flow = registry.entrypoint(version_hash)
    except ContinuumError as err:
        logger.warning("retention of %s unknown: %s", version_hash[:16], err)
        return None
    seconds = getattr(flow, "__continuum_retention__", None)
    return VersionRetention(
        version_hash, info.workflow, None if seconds is None else float(seconds)
    )


@dataclass(slots=True)
class RetentionRegistrar:
    """Registers each version's retention once per process, the first time it runs."""

    store: Store
    registry: Registry
    _done: set[str] = field(default_factory=set)

    def ensure(self, version_hash: str | None) -> None:
        """Register ``version_hash`` unless this process already did."""
        if version_hash is None or version_hash in self._done:
            return
        found = version_retention(self.registry, version_hash)
        if found is not None:
            self.store.register_versions([found])
        self._done.add(version_hash)


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one `prune` call removed (or, in a dry run, would remove)."""

    runs: tuple[RunRecord, ...]
    executed: bool
    batches: int

    @property
    def groups(self) -> int:
        """Distinct correlation groups among `runs`."""
        return len({run.correlation_id for run in self.runs})


def prune(
    store: Store,
    *,
    execute: bool = False,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    pause: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> PruneReport:
    """Remove expired runs in batches of ``batch_size`` groups; a dry run unless ``execute``.

    A dry run looks at one batch only (it deletes nothing, so the next batch would be
    the same rows). ``pause`` seconds between batches keeps the load on a busy database
    small.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise ContinuumError(f"batch size must be between 1 and {MAX_BATCH}, got {batch_size}")
    removed: list[RunRecord] = []
    batches = 0
    while max_batches is None or batches < max_batches:
        found = store.prune_expired(limit=batch_size, execute=execute)
        batches += 1
        removed.extend(found)
        if not execute or not found:
            break
        if pause > 0:
            sleep(pause)
    if execute and removed:
        logger.info("pruned %d expired run(s)", len(removed))
    return PruneReport(tuple(removed), execute, batches)


@dataclass(slots=True)
class PruneTicker:
    """A worker's background pruning: one small batch at most every ``interval`` seconds."""

    store: Store
    interval: float = 60.0
    batch_size: int = 100
    _next: float = 0.0

    def tick(self) -> int:
        """Prune one batch if the interval has passed; returns the runs removed."""
        now = time.monotonic()
        if now < self._next:
            return 0
        self._next = now + self.interval
        report = prune(self.store, execute=True, batch_size=self.batch_size, max_batches=1)
        return len(report.runs)
