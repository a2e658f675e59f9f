"""Versions in operation: which runs are pinned where, and moving runs to another version.

`overview` joins the loaded registries with the store's live (non-terminal) runs: every
generated version with its live runs, and the runs pinned to a hash no loaded registry
has (``unknown_version``).

`migrate` moves live runs to another version of their workflow, but only after
`check_replay` replayed each run's recorded history through the new code without
drift. For this check, command identities are compared on kind, workflow, function
and shape — not on the source line — so code that only moved still matches; order is
checked by the replay itself. The replay is a dry run: it stops at the first effect
past the recorded history, before anything executes or is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from .codec import decode
from .command import CommandId
from .context import activate
from .effects._dispatch import RunContext
from .errors import ContinuumError, ReplayDriftError
from .lease import LeaseHandle
from .registry import Registry
from .store.base import PENDING, RUNNING, SUSPENDED, TERMINAL, Lease, RunRecord, Store

#: How many live runs of one version `migrate` looks at when given ``from_hash``.
MAX_RUNS = 10_000


# --- the overview -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A version from a loaded registry with its live runs."""

    workflow: str
    version_hash: str
    module: str
    current: bool
    #: Non-terminal runs pinned to it, by status.
    live: dict[str, int]

    @property
    def live_total(self) -> int:
        """All non-terminal runs pinned to this version."""
        return sum(self.live.values())


@dataclass(frozen=True, slots=True)
class UnknownVersion:
    """Live runs pinned to a hash that no loaded registry provides."""

    workflow: str
    version_hash: str
    live: dict[str, int]


@dataclass(frozen=True, slots=True)
class Overview:
    """`overview`'s result."""

    versions: tuple[VersionRow, ...]
    unknown: tuple[UnknownVersion, ...]
    #: Pending runs not pinned yet, per workflow (the first worker pins them to CURRENT).
    unpinned: dict[str, int]


def overview(store: Store, registry: Registry) -> Overview:
    """Every loaded version with its live runs, plus runs waiting as ``unknown_version``."""
    live: dict[tuple[str, str], dict[str, int]] = {}
    unpinned: dict[str, int] = {}
    for usage in store.version_usage():
        if usage.version_hash is None:
            unpinned[usage.workflow] = unpinned.get(usage.workflow, 0) + usage.count
            continue
        key = (usage.workflow, usage.version_hash)
        live.setdefault(key, {})[usage.status] = usage.count
    rows = tuple(
        VersionRow(
            info.workflow,
            info.version_hash,
            info.module,
            registry.current.get(info.workflow) == info.version_hash,
            live.pop((info.workflow, info.version_hash), {}),
        )
        for info in sorted(registry.versions.values(), key=lambda v: (v.workflow, v.version_hash))
    )
    unknown = tuple(
        UnknownVersion(workflow, version_hash, counts)
        for (workflow, version_hash), counts in sorted(live.items())
    )
    return Overview(rows, unknown, unpinned)


def resolve_hash(registry: Registry, text: str, *, also: Iterable[str] = ()) -> str:
    """The full hash of a loaded version (or one of ``also``) from a unique prefix.

    ``also`` lets `continuum runs migrate --from` name a hash only live runs still
    use (``unknown_version`` runs: their code is gone, but they can move to new code).
    A ``V_`` prefix, as in the module names, is accepted.
    """
    prefix = text.removeprefix("V_")
    matches = sorted({h for h in (*registry.versions, *also) if h.startswith(prefix)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ContinuumError(f"no known version starts with {text!r}; check --registry")
    raise ContinuumError(f"{text!r} matches {len(matches)} versions; give more of the hash")


def live_hashes(store: Store) -> set[str]:
    """Every version hash a live run is pinned to."""
    return {u.version_hash for u in store.version_usage() if u.version_hash is not None}


# --- the replay check ----------------------------------------------------------------------


class _ReachedTail(BaseException):
    """The dry replay consumed the whole history (BaseException: workflows cannot catch it)."""


class _ReadOnlyStore:
    """Lets a dry replay read (child runs, tasks) but turns any write into the end of it."""

    _READS = frozenset({"get_run", "load_events", "get_task", "list_runs", "load_snapshot"})

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in self._READS:
            return getattr(self._store, name)
        raise _ReachedTail


class _CheckContext(RunContext):
    """A `RunContext` that replays only: line-insensitive matching, stops at the tail."""

    #: Recorded identity -> the new code's identity, where they differ (by line only).
    restamp: dict[tuple[Any, ...], tuple[Any, ...]]
    #: Recorded identities that two different new call sites claimed.
    ambiguous: set[tuple[Any, ...]]
    __slots__ = ("ambiguous", "restamp")

    def command(self, kind: str, given: Any, source: str) -> CommandId:
        # Adopt the recorded identity when it is the same call site but for its line,
        # so every later comparison (kind, order, payload checks) runs unchanged; the
        # journal is re-stamped with the new identities when the run is moved.
        call = RunContext.command(self, kind, given, source)
        event = self.cursor.peek()
        if event is not None and event.command is not None:
            recorded = CommandId.coerce(event.command)
            if recorded.workflow == call.workflow and recorded.matches(call, ignore_line=True):
                if recorded != call:
                    old, new = tuple(recorded), tuple(call)
                    if self.restamp.setdefault(old, new) != new:
                        self.ambiguous.add(old)
                return recorded
        return call

    def enter(self) -> None:
        if self.cursor.at_tail:
            raise _ReachedTail
        RunContext.enter(self)

    def suspend(self, waiting_on: str, wake_at: datetime | None) -> NoReturn:
        raise _ReachedTail

    @contextmanager
    def step(self) -> Iterator[Any]:
        raise _ReachedTail
        yield  # pragma: no cover - makes this a generator


@dataclass(frozen=True, slots=True)
class ReplayCheck:
    """Whether a run's history replays through another version."""

    run_id: str
    ok: bool
    #: "replayed" when ok; else what went wrong (drift details, an exception).
    detail: str
    #: The journal's last seq when checked (the move is refused if it grew since).
    last_seq: int
    #: (recorded identity, new identity) pairs for call sites that only moved.
    restamp: tuple[tuple[tuple[Any, ...], tuple[Any, ...]], ...] = ()


def check_replay(
    store: Store, run: RunRecord, registry: Registry, version_hash: str
) -> ReplayCheck:
    """Replay ``run``'s recorded history through ``version_hash`` without executing anything."""
    events = store.load_events(run.run_id)
    last_seq = events[-1].seq if events else 0
    flow = registry.entrypoint(version_hash)
    lease = Lease(run.run_id, "continuum-versions-check", 0, datetime.now(UTC))
    ctx = _CheckContext.for_run(
        _ReadOnlyStore(store),  # type: ignore[arg-type]
        LeaseHandle(lease),
        run,
        events,
        clock=lambda: datetime.now(UTC),
        short_wait=0.0,
    )
    ctx.restamp, ctx.ambiguous = {}, set()
    try:
        with activate(ctx):
            flow().run(decode(run.input))
    except _ReachedTail:
        pass
    except ReplayDriftError as drift:
        return ReplayCheck(run.run_id, False, f"drift: {drift}", last_seq)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # any other failure means "do not move it"
        if ctx.drift is not None:
            return ReplayCheck(run.run_id, False, f"drift: {ctx.drift}", last_seq)
        return ReplayCheck(
            run.run_id, False, f"replay raised {type(error).__name__}: {error}", last_seq
        )
    if ctx.drift is not None:
        return ReplayCheck(run.run_id, False, f"drift: {ctx.drift}", last_seq)
    if ctx.ambiguous:
        return ReplayCheck(
            run.run_id,
            False,
            f"ambiguous: {len(ctx.ambiguous)} recorded call site(s) match several new ones",
            last_seq,
        )
    if ctx.cursor.remaining:
        event = ctx.cursor.peek()
        assert event is not None
        return ReplayCheck(
            run.run_id,
            False,
            f"drift: the new code ends before event {event.seq} ({event.kind})",
            last_seq,
        )
    return ReplayCheck(run.run_id, True, "replayed", last_seq, tuple(ctx.restamp.items()))


# --- migrating -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What `migrate` did with one run."""

    run_id: str
    #: "moved", "compatible" (dry run), "drift", "error" or "skipped".
    outcome: str
    detail: str
    from_hash: str | None = None


def live_runs_of(store: Store, workflow: str, version_hash: str) -> list[RunRecord]:
    """Non-terminal runs of ``workflow`` pinned to ``version_hash`` (at most `MAX_RUNS`)."""
    found: list[RunRecord] = []
    for status in (PENDING, SUSPENDED, RUNNING):
        for run in store.list_runs(workflow=workflow, status=status, limit=MAX_RUNS):
            if run.version_hash == version_hash:
                found.append(run)
    return found


def migrate(
    store: Store,
    registry: Registry,
    *,
    to_hash: str,
    run_ids: Sequence[str] = (),
    from_hash: str | None = None,
    execute: bool = True,
) -> list[MigrationResult]:
    """Move the given runs (or every live run on ``from_hash``) to ``to_hash``.

    Each run is moved only when its history replays through ``to_hash`` without drift
    and it did not progress (or get leased) since the check. ``execute=False`` only
    checks. ``to_hash`` must be loaded in ``registry``; ``from_hash`` need not be (runs
    waiting as ``unknown_version`` can move to loaded code).
    """
    target = registry.versions.get(to_hash)
    if target is None:
        raise ContinuumError(f"version {to_hash[:16]} is not in a loaded registry")
    if bool(run_ids) == (from_hash is not None):
        raise ContinuumError("give either run ids or a version to migrate from (--from)")
    runs: list[RunRecord | str]
    if from_hash is not None:
        runs = list(live_runs_of(store, target.workflow, from_hash))
    else:
        runs = [store.get_run(run_id) or run_id for run_id in run_ids]
    return [_migrate_one(store, registry, run, to_hash, execute) for run in runs]


def _migrate_one(
    store: Store, registry: Registry, run: RunRecord | str, to_hash: str, execute: bool
) -> MigrationResult:
    if isinstance(run, str):
        return MigrationResult(run, "skipped", "no such run")
    target = registry.versions[to_hash]

    def skipped(detail: str) -> MigrationResult:
        return MigrationResult(run.run_id, "skipped", detail, run.version_hash)

    if run.status in TERMINAL:
        return skipped(f"run is {run.status}")
    if run.workflow != target.workflow:
        return skipped(f"run is a {run.workflow}, the version is of {target.workflow}")
    if run.version_hash is None:
        return skipped("not pinned yet: it starts on CURRENT")
    if run.version_hash == to_hash:
        return skipped("already on that version")
    try:
        check = check_replay(store, run, registry, to_hash)
    except ContinuumError as err:
        return MigrationResult(run.run_id, "error", str(err), run.version_hash)
    if not check.ok:
        outcome = "drift" if check.detail.startswith("drift") else "error"
        return MigrationResult(run.run_id, outcome, check.detail, run.version_hash)
    if not execute:
        return MigrationResult(run.run_id, "compatible", "history replays", run.version_hash)
    moved = store.repin_run(
        run.run_id,
        from_hash=run.version_hash,
        to_hash=to_hash,
        last_seq=check.last_seq,
        restamp=dict(check.restamp),
    )
    if moved == "moved":
        return MigrationResult(run.run_id, "moved", "history replays", run.version_hash)
    return skipped(f"not moved: {moved.replace('_', ' ')} (retry)")
