"""Each effect's journaling and replay, on Postgres and on the in-memory store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuum import PayloadError, WorkflowFailedError
from continuum.runtime import journal
from continuum.runtime.store.base import CANCELLED, COMPLETED, FAILED
from tests.runtime.app import flows


def kinds(client, run_id):
    return [event.kind for event in client.history(run_id)]


def payloads(client, run_id, kind):
    return [json.loads(e.payload) for e in client.history(run_id) if e.kind == kind]


def test_inline_activities_journal_one_event_each(client, drive, tmp_path: Path):
    log = tmp_path / "log"
    run_id = client.start(flows.Steps, {"steps": 4, "log": str(log)})
    outcomes = drive(run_id)
    assert [o.status for o in outcomes] == [COMPLETED]  # one execution, no replay
    assert client.result(run_id) == 0 + 10 + 20 + 30
    events = client.history(run_id)
    assert [e.kind for e in events] == [journal.ACTIVITY_COMPLETED] * 4
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [json.loads(e.payload)["result"] for e in events] == [0, 10, 20, 30]
    assert len(log.read_text().splitlines()) == 4


def test_signal_sent_before_await_is_kept(client, drive):
    run_id = client.start(flows.Approval, {"timeout": None})
    client.signal(run_id, "decision", "first")
    client.signal(run_id, "decision", {"second": [1, 2]})
    drive(run_id)
    assert client.result(run_id) == ["first", {"second": [1, 2]}]
    assert kinds(client, run_id) == [journal.SIGNAL_RECEIVED, journal.SIGNAL_RECEIVED]


def test_signal_after_await_wakes_the_run_and_replays(client, drive):
    run_id = client.start(flows.Approval, {"timeout": None})
    drive(run_id)
    run = client.get_run(run_id)
    assert run.status == "suspended" and run.waiting_on == "signal:decision"
    client.signal(run_id, "decision", "a")
    drive(run_id)
    client.signal(run_id, "decision", "b")
    drive(run_id)
    assert client.result(run_id) == ["a", "b"]
    assert kinds(client, run_id) == [
        journal.SIGNAL_AWAITED,
        journal.SIGNAL_RECEIVED,
        journal.SIGNAL_AWAITED,
        journal.SIGNAL_RECEIVED,
    ]


def test_signal_timeout_returns_timeout_and_journals_deadline(client, drive):
    run_id = client.start(flows.Approval, {"timeout": 0.2})
    drive(run_id)
    assert client.result(run_id, timeout=30) == "timeout"
    awaited = payloads(client, run_id, journal.SIGNAL_AWAITED)
    assert awaited[0]["deadline"] is not None
    assert kinds(client, run_id)[-1] == journal.SIGNAL_TIMED_OUT


def test_signal_within_timeout_wins(client, drive):
    run_id = client.start(flows.Approval, {"timeout": 60})
    drive(run_id)
    client.signal(run_id, "decision", "yes")
    drive(run_id)
    client.signal(run_id, "decision", "again")
    drive(run_id)
    assert client.result(run_id) == ["yes", "again"]


def test_signal_delivery_id_is_idempotent(client, drive):
    run_id = client.start(flows.Approval, {"timeout": None})
    assert client.signal(run_id, "decision", "one", delivery_id="d1") is True
    assert client.signal(run_id, "decision", "one", delivery_id="d1") is False
    client.signal(run_id, "decision", "two", delivery_id="d2")
    drive(run_id)
    assert client.result(run_id) == ["one", "two"]


def test_timer_suspends_then_fires(client, drive):
    run_id = client.start(flows.Sleeper, {"seconds": 0.3})
    outcomes = drive(run_id)
    assert outcomes[0].status == "suspended" and outcomes[0].waiting_on == "timer"
    assert client.result(run_id) == "woke"
    assert kinds(client, run_id) == [
        journal.TIMER_STARTED,
        journal.TIMER_FIRED,
        journal.ACTIVITY_COMPLETED,
    ]


def test_primitives_are_journaled_and_replayed(client, drive, store):
    run_id = client.start(flows.Primitives, {"seed": 4, "customer": "ada"})
    outcomes = drive(run_id)
    # The timer at the end suspends the run: the result is computed by a replay.
    assert [o.status for o in outcomes] == ["suspended", COMPLETED]
    result = client.result(run_id)
    values = {p["kind"]: p["value"] for p in payloads(client, run_id, journal.SIDE_EFFECT)}
    assert result["now"] == values["now"]
    assert result["uuid"] == values["uuid4"]
    assert result["extra"] == 8 and result["patched"] is True and result["echoed"] == 4
    import random as stdlib_random

    seeds = [
        p["value"] for p in payloads(client, run_id, journal.SIDE_EFFECT) if p["kind"] == "random"
    ]
    assert result["rolls"] == [stdlib_random.Random(seed).random() for seed in seeds]
    assert store.get_run(run_id).attributes == {"customer": "ada"}
    assert journal.PATCHED in kinds(client, run_id)


def test_replay_returns_recorded_values(client, drive, store, registry):
    """Re-running a finished history on the same code reproduces the same result."""
    from continuum.runtime.engine import execute_run
    from continuum.runtime.lease import LeaseHandle
    from continuum.runtime.store.base import Lease
    from continuum.testing.memory_store import InMemoryStore

    run_id = client.start(flows.Primitives, {"seed": 1, "customer": "bo"})
    drive(run_id)
    first = client.result(run_id)
    # Copy the journal into a fresh in-memory run and replay it to the end.
    replica = InMemoryStore()
    replica.create_run(
        __import__("continuum.runtime.store.base", fromlist=["NewRun"]).NewRun(
            run_id=run_id,
            workflow=flows.Primitives.__continuum_name__,
            input=store.get_run(run_id).input,
        )
    )
    [(claimed, lease)] = replica.claim_runs(
        owner="t",
        current_versions=registry.current,
        known_versions=registry.known_versions,
        limit=1,
        lease_seconds=30,
    )
    replica._runs[run_id].events = list(client.history(run_id))
    outcome = execute_run(replica, claimed, LeaseHandle(lease), registry)
    assert outcome.status == COMPLETED
    assert json.loads(replica.get_run(run_id).result) == first
    assert len(replica.load_events(run_id)) == len(client.history(run_id))  # nothing new journaled
    assert isinstance(lease, Lease)


def test_retries_then_success_keep_one_idempotency_key(client, drive):
    run_id = client.start(flows.Flaky, {"max_attempts": 4, "fail_times": 2})
    drive(run_id)
    result = client.result(run_id)
    assert result["attempt"] == 3
    failed = payloads(client, run_id, journal.ACTIVITY_ATTEMPT_FAILED)
    assert [f["attempt"] for f in failed] == [1, 2]
    assert all(f["error_type"] == "ValueError" for f in failed)
    assert result["key"] == f"{run_id}:1"
    assert kinds(client, run_id)[-1] == journal.ACTIVITY_COMPLETED


def test_long_backoff_suspends_until_retry_time(client, drive):
    run_id = client.start(flows.Flaky, {"max_attempts": 2, "fail_times": 1, "delay": 0.3})
    outcomes = drive(run_id)
    assert outcomes[0].status == "suspended" and outcomes[0].waiting_on == "retry"
    assert outcomes[0].wake_at is not None
    assert client.result(run_id)["attempt"] == 2


def test_retries_exhausted_raise_activity_error(client, drive):
    run_id = client.start(flows.Flaky, {"max_attempts": 3, "fail_times": 5})
    drive(run_id)
    assert client.result(run_id) == {
        "error": "ActivityError",
        "error_type": "ValueError",
        "attempts": 3,
    }
    assert kinds(client, run_id)[-1] == journal.ACTIVITY_FAILED


def test_non_retryable_error_fails_at_once(client, drive):
    run_id = client.start(
        flows.Flaky,
        {"max_attempts": 5, "fail_times": 5, "error": "KeyError", "non_retryable": ["KeyError"]},
    )
    drive(run_id)
    assert client.result(run_id)["attempts"] == 1
    assert kinds(client, run_id) == [journal.ACTIVITY_FAILED]


def test_queued_activity_runs_on_queue_worker(client, drive):
    run_id = client.start(flows.Queued, {"x": 21})
    outcomes = drive(run_id)
    assert outcomes[0].waiting_on.startswith("task:")
    assert client.result(run_id) == ["local", 42]
    assert kinds(client, run_id) == [
        journal.ACTIVITY_COMPLETED,
        journal.ACTIVITY_SCHEDULED,
        journal.ACTIVITY_COMPLETED,
    ]


def test_queued_activity_retries_through_new_tasks(client, drive):
    run_id = client.start(flows.Flaky, {"max_attempts": 3, "fail_times": 2, "queue": "remote"})
    drive(run_id)
    assert client.result(run_id)["attempt"] == 3
    assert kinds(client, run_id) == [
        journal.ACTIVITY_SCHEDULED,
        journal.ACTIVITY_ATTEMPT_FAILED,
        journal.ACTIVITY_SCHEDULED,
        journal.ACTIVITY_ATTEMPT_FAILED,
        journal.ACTIVITY_SCHEDULED,
        journal.ACTIVITY_COMPLETED,
    ]


@pytest.mark.parametrize("queue", [None, "remote"])
def test_activity_timeout_and_heartbeat(client, drive, queue):
    calls = [
        ["slow", [2.0], {"timeout": 0.1, "queue": queue}],
        ["beating", [0.4, 0.05], {"heartbeat": 0.3, "queue": queue}],
        ["slow", [2.0], {"heartbeat": 0.1, "queue": queue}],
        ["async_double", [5], {"timeout": 5, "queue": queue}],
    ]
    run_id = client.start(flows.Timeouts, {"calls": calls})
    drive(run_id)
    assert client.result(run_id) == [
        "continuum.ActivityTimeoutError",
        "beat",
        "continuum.ActivityTimeoutError",
        10,
    ]


def test_swallowed_suspend_fails_the_run(client, drive):
    run_id = client.start(flows.Swallow, {})
    drive(run_id)
    with pytest.raises(WorkflowFailedError) as info:
        client.result(run_id)
    assert info.value.status == FAILED
    assert info.value.error["type"] == "SuspendLeakError"
    assert client.history(run_id)[-1].kind == journal.SIGNAL_AWAITED  # nothing after it


def test_unencodable_activity_argument_is_rejected_at_the_call_site(client, drive):
    run_id = client.start(flows.BadArgs, {})
    drive(run_id)
    message = client.result(run_id)
    assert "argument 1 of activity tests.runtime.app.acts:echo" in message
    assert "args[0]['bad']" in message
    assert client.history(run_id) == []


def test_unencodable_start_input_and_signal_payload(client, drive):
    with pytest.raises(PayloadError, match="input"):
        client.start(flows.Approval, {"when": object()})
    run_id = client.start(flows.Approval, {"timeout": None})
    with pytest.raises(PayloadError, match="signal 'decision'"):
        client.signal(run_id, "decision", {1, object})


def test_idempotent_start_returns_the_same_run(client, drive):
    a = client.start(flows.Approval, {"timeout": None}, id="order-1")
    b = client.start(flows.Approval, {"timeout": 5}, id="order-1")
    assert a == b == "order-1"
    assert len(client.list_runs(workflow=flows.Approval)) == 1


def test_cancel_stops_a_waiting_run(client, drive):
    run_id = client.start(flows.Approval, {"timeout": None})
    drive(run_id)
    assert client.cancel(run_id) is True
    drive(run_id)
    with pytest.raises(WorkflowFailedError) as info:
        client.result(run_id)
    assert info.value.status == CANCELLED
    assert client.cancel(run_id) is False


def test_saga_compensation_runs_once(client, drive):
    run_id = client.start(flows.Saga, {"order": "o9"})
    drive(run_id)
    client.signal(run_id, "decision", "rejected")
    drive(run_id)
    assert client.result(run_id) == "refunded"
    completed = payloads(client, run_id, journal.ACTIVITY_COMPLETED)
    assert [c["result"] for c in completed] == [{"id": "ch-o9"}, "refunded ch-o9"]


def test_child_workflows_start_wait_and_fail(client, drive, tmp_path, store):
    run_id = client.start(flows.Parent, {"log": str(tmp_path / "log")})
    drive()
    children = [r for r in client.list_runs() if r.parent_id == run_id]
    assert {r.workflow for r in children} == {
        flows.Approval.__continuum_name__,
        flows.Steps.__continuum_name__,
        flows.Swallow.__continuum_name__,
    }
    approval = next(r for r in children if r.workflow == flows.Approval.__continuum_name__)
    assert store.get_run(run_id).waiting_on == f"child:{approval.run_id}"
    client.signal(approval.run_id, "decision", "x")
    client.signal(approval.run_id, "decision", "y")
    drive(run_id)
    assert client.result(run_id) == [10, ["x", "y"], ["ChildError", "SuspendLeakError"]]
    assert {r.correlation_id for r in children} == {store.get_run(run_id).correlation_id}
    kinds_seen = kinds(client, run_id)
    assert kinds_seen.count(journal.CHILD_STARTED) == 3
    assert kinds_seen.count(journal.CHILD_FAILED) == 1


def test_cancel_cascades_to_children(client, drive, tmp_path):
    run_id = client.start(flows.Parent, {"log": str(tmp_path / "log")})
    drive()
    [approval] = [r for r in client.list_runs(workflow=flows.Approval) if r.parent_id == run_id]
    client.cancel(run_id)
    drive(run_id)
    assert client.get_run(run_id).status == CANCELLED
    assert client.get_run(approval.run_id).cancel_requested
    drive(approval.run_id)
    assert client.get_run(approval.run_id).status == CANCELLED


def test_continue_as_new_chains_runs(client, drive):
    first = client.start(flows.Counter, 0, attributes={"k": "v"})
    drive()
    assert client.result(first) == 3  # followed through the chain
    chain = [r for r in client.list_runs(workflow=flows.Counter)]
    assert sorted(r.status for r in chain) == ["completed", "continued", "continued", "continued"]
    assert {r.correlation_id for r in chain} == {first}
    assert all(r.attributes == {"k": "v"} for r in chain)
    assert len(client.history(first)) == 1  # the successor starts a fresh journal


def test_logger_is_silent_while_replaying(client, drive, caplog):
    caplog.set_level("INFO", logger="continuum.workflow")
    run_id = client.start(flows.Chatty, {})
    outcomes = drive(run_id)
    assert [o.status for o in outcomes] == ["suspended", COMPLETED]  # ran twice
    messages = [r.getMessage() for r in caplog.records if r.name == "continuum.workflow"]
    assert messages == ["before the timer", "after the timer"]


def test_unencodable_activity_result_fails_without_retry(client, drive):
    run_id = client.start(flows.Timeouts, {"calls": [["unencodable", [], {}]]})
    drive(run_id)
    assert client.result(run_id) == ["continuum.PayloadError"]
    [failed] = payloads(client, run_id, journal.ACTIVITY_FAILED)
    assert failed["attempts"] == 1 and "the result of activity" in failed["message"]


def test_signal_to_a_continued_run_reaches_its_successor(client, drive):
    first = client.start(flows.Relay, [])
    drive()
    client.signal(first, "go", "a")
    drive()
    assert client.get_run(first).status == "continued"
    assert client.signal(first, "go", "b") is True  # forwarded to the successor
    drive()
    assert client.result(first) == ["a", "b"]
