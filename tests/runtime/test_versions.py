"""`continuum.runtime.versions`: the live-runs overview, the replay check and migration."""

from __future__ import annotations

import pytest

from continuum import Client
from continuum.runtime.registry import UNKNOWN_VERSION, Registry
from continuum.runtime.store.base import Store
from continuum.runtime.versions import (
    check_replay,
    live_hashes,
    migrate,
    overview,
    resolve_hash,
)
from continuum.testing.drive import drain
from tests.runtime.ops_app import acts
from tests.runtime.ops_app.versions import HASH_V1, HASH_V2, HASH_V3, W, registry_data


def _registry(current: str = HASH_V1, drop: tuple[str, ...] = ()) -> Registry:
    versions, cur = registry_data(current)
    registry = Registry()
    registry.add({h: v for h, v in versions.items() if h not in drop}, cur)
    return registry


def _waiting_run(store: Store, run_id: str = "order-1") -> str:
    """A run on V1, suspended at its signal after one activity."""
    client = Client(store=store)
    client.start(W, {"customer": "ada"}, id=run_id)
    drain(store, _registry())
    record = store.get_run(run_id)
    assert record is not None and record.status == "suspended" and record.version_hash == HASH_V1
    return run_id


def test_overview_lists_versions_with_their_live_runs(store: Store) -> None:
    _waiting_run(store)
    Client(store=store).start(W, {"customer": "bob"}, id="order-2")  # pending, unpinned
    view = overview(store, _registry())
    rows = {row.version_hash: row for row in view.versions}
    assert rows[HASH_V1].current and rows[HASH_V1].live == {"suspended": 1}
    assert rows[HASH_V2].live_total == 0 and not rows[HASH_V2].current
    assert view.unknown == () and view.unpinned == {W: 1}


def test_runs_pinned_to_an_unloaded_version_show_as_unknown(store: Store) -> None:
    _waiting_run(store)
    registry = _registry(current=HASH_V2, drop=(HASH_V1,))
    view = overview(store, registry)
    assert [(u.version_hash, u.live) for u in view.unknown] == [(HASH_V1, {"suspended": 1})]
    assert registry.status_of("suspended", HASH_V1, W) == UNKNOWN_VERSION


def test_moved_code_replays_and_changed_code_drifts(store: Store) -> None:
    run = store.get_run(_waiting_run(store))
    assert run is not None
    calls = len(acts.CALLS)
    moved = check_replay(store, run, _registry(), HASH_V2)
    changed = check_replay(store, run, _registry(), HASH_V3)
    assert moved.ok and moved.last_seq == len(store.load_events(run.run_id))
    assert not changed.ok and changed.detail.startswith("drift")
    assert len(acts.CALLS) == calls  # the dry replay never runs an activity


def test_migrate_dry_run_changes_nothing(store: Store) -> None:
    run_id = _waiting_run(store)
    results = migrate(store, _registry(), to_hash=HASH_V2, from_hash=HASH_V1, execute=False)
    assert [(r.run_id, r.outcome) for r in results] == [(run_id, "compatible")]
    assert store.get_run(run_id).version_hash == HASH_V1  # type: ignore[union-attr]


def test_a_migrated_run_continues_on_the_new_version(store: Store) -> None:
    run_id = _waiting_run(store)
    results = migrate(store, _registry(), to_hash=HASH_V2, run_ids=[run_id])
    assert [(r.outcome, r.from_hash) for r in results] == [("moved", HASH_V1)]
    client = Client(store=store)
    client.signal(run_id, "go", "yes")
    drain(store, _registry(current=HASH_V2, drop=(HASH_V1,)))
    assert client.result(run_id, timeout=5) == {
        "first": 10,
        "answer": "yes",
        "second": 20,
        "version": 2,
    }


def test_runs_that_would_drift_stay_and_are_reported(store: Store) -> None:
    run_id = _waiting_run(store)
    other = _waiting_run(store, "order-2")
    results = migrate(store, _registry(), to_hash=HASH_V3, run_ids=[run_id, other, "nope"])
    assert [r.outcome for r in results] == ["drift", "drift", "skipped"]
    assert store.get_run(run_id).version_hash == HASH_V1  # type: ignore[union-attr]


def test_migrate_refuses_unknown_targets_and_ambiguous_requests(store: Store) -> None:
    from continuum.runtime.errors import ContinuumError

    with pytest.raises(ContinuumError, match="not in a loaded registry"):
        migrate(store, _registry(), to_hash="f" * 64, run_ids=["x"])
    with pytest.raises(ContinuumError, match="either run ids or"):
        migrate(store, _registry(), to_hash=HASH_V2, run_ids=["x"], from_hash=HASH_V1)
    assert resolve_hash(_registry(), "V_2222") == HASH_V2
    with pytest.raises(ContinuumError, match="no known version"):
        resolve_hash(_registry(), "abc")


def test_unknown_version_runs_can_move_to_loaded_code(store: Store) -> None:
    run_id = _waiting_run(store)
    registry = _registry(current=HASH_V2, drop=(HASH_V1,))  # V1's code is gone
    source = resolve_hash(registry, HASH_V1[:10], also=live_hashes(store))
    assert source == HASH_V1
    results = migrate(store, registry, to_hash=HASH_V2, from_hash=source)
    assert [(r.run_id, r.outcome) for r in results] == [(run_id, "moved")]
    assert overview(store, registry).unknown == ()
