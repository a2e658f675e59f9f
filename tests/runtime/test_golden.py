"""Golden journals (tests/runtime/golden/*.json) replay on the current runtime.

Each file is a history recorded by an earlier build of the runtime (re-record only on
purpose: ``python -m tests.runtime.golden.record NAME``). Replaying it through
`continuum.testing.replay` must reach the recorded status and result without
journaling anything new: a change to event kinds, payload fields, child ids or
matching that would strand runs already in flight fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuum import ReplayDriftError
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, Event
from continuum.testing.replay import RecordedRun, replay_run
from tests.runtime.golden import frozen_v1, frozen_v2

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = sorted(GOLDEN_DIR.glob("*.json"))
V1 = Registry.from_classes(frozen_v1.Golden)
#: The current code of every v2 scenario (Patch, not PatchOld: old histories must fit it).
V2 = Registry.from_classes(*frozen_v2.ALL)
#: Scenarios the issue requires; each must have a checked-in journal.
REQUIRED = {
    "activity_retry_then_success",
    "activity_terminal_failure",
    "signal_then_activity",
    "signal_timeout",
    "timer",
    "child_fan_out",
    "continue_as_new_chain",
    "continued_child_awaited",
    "parallel_compensation",
    "lifo_compensation",
    "patched_new_history",
    "patched_old_history",
    "cancellation_cascade",
    "cancellation_cleanup",
    "deterministic_primitives",
    "namespaces_and_attributes",
    "child_outcomes",
}


def _events(run_id: str, rows: list[dict]) -> list[Event]:
    return [
        Event(
            run_id, e["seq"], e["kind"], tuple(e["command"]) if e["command"] else None, e["payload"]
        )
        for e in rows
    ]


def _recorded(data: dict) -> list[RecordedRun]:
    if data.get("format") != 2:  # v1: one run, no metadata
        return [
            RecordedRun(
                "golden-v1", data["workflow"], data["input"], _events("golden-v1", data["events"])
            )
        ]
    return [
        RecordedRun(
            run["run_id"],
            run["workflow"],
            run["input"],
            _events(run["run_id"], run["events"]),
            namespace=run["namespace"],
            attributes=run["attributes"],
            parent_id=run["parent_id"],
            correlation_id=run["correlation_id"],
            cancel_requested=run["cancel_requested"],
        )
        for run in data["runs"]
    ]


def _expected(data: dict) -> list[tuple[str, object]]:
    if data.get("format") != 2:
        return [(COMPLETED, json.loads(data["result"]))]
    return [(run["status"], run["result"] and json.loads(run["result"])) for run in data["runs"]]


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_journal_replays_to_its_result(store, path: Path):
    data = json.loads(path.read_text())
    registry = V2 if data.get("format") == 2 else V1
    for recorded, (status, result) in zip(_recorded(data), _expected(data), strict=True):
        replayed = replay_run(registry, recorded, store=store)
        assert replayed.status == status, (recorded.run_id, replayed.error)
        if status in (COMPLETED, "continued"):
            assert json.loads(replayed.result) == result
        assert replayed.new_events == (), f"{recorded.run_id} journaled past its history"


def test_every_required_scenario_is_checked_in():
    assert REQUIRED <= {p.stem for p in GOLDEN}
    assert len(GOLDEN) >= 15


def test_old_patch_history_has_no_marker_and_replays_the_old_branch():
    data = json.loads((GOLDEN_DIR / "patched_old_history.json").read_text())
    [run] = data["runs"]
    assert [e["kind"] for e in run["events"]] == ["activity_completed"]
    [recorded] = _recorded(data)
    assert json.loads(replay_run(V2, recorded).result) == "old"


def test_a_tampered_journal_is_drift_not_a_guess():
    data = json.loads((GOLDEN_DIR / "golden_v1_basic.json").read_text())
    data["events"][0]["command"][3] = 999  # the first call site moved
    [recorded] = _recorded(data)
    with pytest.raises(ReplayDriftError) as caught:
        replay_run(V1, recorded)
    assert caught.value.seq == 1


def test_a_golden_journal_with_an_unexpected_event_kind_drifts():
    """The check has teeth: a journal whose child result became a timer does not fit."""
    data = json.loads((GOLDEN_DIR / "child_fan_out.json").read_text())
    root = next(r for r in _recorded(data) if r.run_id == "root")
    first_await = root.events[3]
    assert first_await.kind == "child_completed"
    changed = [*root.events[:3], Event("root", 4, "timer_fired", first_await.command, "{}")]
    with pytest.raises(ReplayDriftError) as caught:
        replay_run(V2, RecordedRun(root.run_id, root.workflow, root.input, changed))
    assert caught.value.seq == 4
