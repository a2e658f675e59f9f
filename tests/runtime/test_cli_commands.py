"""`continuum start/signal/cancel/runs` against Postgres, through click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from continuum.cli import cli
from continuum.cli.runs import describe_event, format_timeline
from continuum.runtime.registry import Registry
from continuum.testing.drive import drain
from tests.runtime.conftest import ALL_FLOWS

APPROVAL = "tests.runtime.app.flows:Approval"


def invoke(database_url, schema, *args):
    result = CliRunner().invoke(
        cli, [*args, "--database-url", database_url, "--schema", schema], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_start_signal_show_and_list(database_url, fresh_schema, pg_store):
    registry = Registry.from_classes(*ALL_FLOWS)
    out = invoke(
        database_url, fresh_schema, "start", APPROVAL, '{"timeout": null}', "--id", "ap-1", "--json"
    )
    assert json.loads(out) == {"run_id": "ap-1", "workflow": APPROVAL}
    # Idempotent on --id.
    assert (
        invoke(database_url, fresh_schema, "start", APPROVAL, "{}", "--id", "ap-1").strip()
        == "ap-1"
    )
    drain(pg_store, registry)
    out = invoke(
        database_url,
        fresh_schema,
        "signal",
        "ap-1",
        "decision",
        '"yes"',
        "--delivery-id",
        "d1",
        "--json",
    )
    assert json.loads(out)["delivered"] is True
    out = invoke(
        database_url,
        fresh_schema,
        "signal",
        "ap-1",
        "decision",
        '"yes"',
        "--delivery-id",
        "d1",
        "--json",
    )
    assert json.loads(out)["delivered"] is False
    invoke(database_url, fresh_schema, "signal", "ap-1", "decision", '{"n": 2}')
    drain(pg_store, registry)

    shown = json.loads(invoke(database_url, fresh_schema, "runs", "show", "ap-1", "--json"))
    assert shown["run"]["status"] == "completed"
    assert shown["run"]["result"] == ["yes", {"n": 2}]
    assert [e["kind"] for e in shown["events"]] == [
        "signal_awaited",
        "signal_received",
        "signal_received",
    ]
    text = invoke(database_url, fresh_schema, "runs", "show", "ap-1")
    assert "status     completed" in text
    assert "signal 'decision' ← \"yes\"" in text

    listed = json.loads(
        invoke(database_url, fresh_schema, "runs", "list", "--status", "completed", "--json")
    )
    assert [r["run_id"] for r in listed] == ["ap-1"]
    assert "ap-1" in invoke(database_url, fresh_schema, "runs", "list")


def test_cancel_and_unknown_version_marking(database_url, fresh_schema, pg_store):
    invoke(database_url, fresh_schema, "start", APPROVAL, "{}", "--id", "ap-2")
    out = json.loads(invoke(database_url, fresh_schema, "cancel", "ap-2", "--json"))
    assert out == {"run_id": "ap-2", "cancel_requested": True}
    invoke(
        database_url,
        fresh_schema,
        "start",
        "tests.runtime.app.flows:Primitives",
        "{}",
        "--id",
        "pr-1",
    )
    # Seen through the test registry: Approval can run, Primitives has no version there.
    listed = json.loads(
        invoke(
            database_url,
            fresh_schema,
            "runs",
            "list",
            "--registry",
            "tests.runtime.app._continuum",
            "--json",
        )
    )
    assert {r["run_id"]: r["status"] for r in listed} == {
        "ap-2": "pending",
        "pr-1": "unknown_version",
    }
    drain(pg_store, Registry.load(["tests.runtime.app._continuum"]))
    shown = json.loads(invoke(database_url, fresh_schema, "runs", "show", "ap-2", "--json"))
    assert shown["run"]["status"] == "cancelled"


def test_bad_json_input_is_a_usage_error(database_url, fresh_schema, pg_store):
    result = CliRunner().invoke(
        cli, ["start", APPROVAL, "{nope", "--database-url", database_url, "--schema", fresh_schema]
    )
    assert result.exit_code == 2
    assert "INPUT_JSON is not valid JSON" in result.output


def test_timeline_lines_are_readable():
    assert (
        describe_event("activity_completed", {"activity": "a:b", "result": 3, "attempt": 1})
        == "a:b → 3 (attempt 1)"
    )
    assert describe_event("timer_fired", {}) == "timer fired"
    text = format_timeline(
        {
            "run_id": "r",
            "workflow": "w:W",
            "version_hash": None,
            "status": "suspended",
            "waiting_on": "timer",
            "input": {},
            "result": None,
            "error": None,
        },
        [],
    )
    assert "waiting on timer" in text and "no events journaled yet" in text


def test_errors_are_one_line_messages(database_url, fresh_schema, pg_store):
    result = CliRunner().invoke(
        cli, ["runs", "show", "missing", "--database-url", database_url, "--schema", fresh_schema]
    )
    assert result.exit_code == 1
    assert "no run with id 'missing'" in result.output
    result = CliRunner().invoke(cli, ["worker", "/nonexistent-app-dir/x.y"])
    assert result.exit_code == 1
    assert "cannot import registry module '/nonexistent-app-dir/x.y'" in result.output
