"""``continuum runs list`` and ``runs show RUN``: what ran, and a readable journal timeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from ._store_options import emit_json, store_options


def run_to_dict(run: Any, status: str | None = None) -> dict[str, Any]:
    """A run as JSON-ready data (payloads decoded from their JSON text)."""
    return {
        "run_id": run.run_id,
        "workflow": run.workflow,
        "status": status or run.status,
        "version_hash": run.version_hash,
        "namespace": run.namespace,
        "attributes": dict(run.attributes),
        "input": _loads(run.input),
        "result": _loads(run.result),
        "error": _loads(run.error),
        "waiting_on": run.waiting_on,
        "next_wakeup_at": run.next_wakeup_at,
        "created_at": run.created_at,
        "completed_at": run.completed_at,
        "cancel_requested": run.cancel_requested,
    }


def event_to_dict(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "command": list(event.command) if event.command else None,
        "payload": _loads(event.payload),
        "created_at": event.created_at,
    }


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def describe_event(kind: str, payload: dict[str, Any]) -> str:
    """One human line for a journal event."""
    name = payload.get("activity") or payload.get("name") or ""
    if kind == "activity_completed":
        return f"{name} → {_short(payload.get('result'))} (attempt {payload.get('attempt')})"
    if kind == "activity_failed":
        return f"{name} failed after {payload.get('attempts')}: {payload.get('error_type')}: {payload.get('message')}"
    if kind == "activity_attempt_failed":
        return (
            f"{name} attempt {payload.get('attempt')} failed: {payload.get('error_type')}: "
            f"{payload.get('message')}; retry at {payload.get('retry_at')}"
        )
    if kind == "activity_scheduled":
        return f"{name} queued on {payload.get('queue')} (task {payload.get('task_id')}, attempt {payload.get('attempt')})"
    if kind == "signal_awaited":
        deadline = payload.get("deadline")
        return f"waiting for signal {name!r}" + (f" until {deadline}" if deadline else "")
    if kind == "signal_received":
        return f"signal {name!r} ← {_short(payload.get('payload'))}"
    if kind == "signal_timed_out":
        return f"signal {name!r} timed out"
    if kind == "timer_started":
        return f"timer {payload.get('seconds')}s, fires at {payload.get('fires_at')}"
    if kind == "timer_fired":
        return "timer fired"
    if kind == "side_effect":
        return f"{payload.get('kind')}() = {_short(payload.get('value'))}"
    if kind == "attributes_set":
        return f"attributes {_short(payload.get('attributes'))}"
    if kind == "patched":
        return f"patched({payload.get('change_id')!r})"
    return _short(payload)


def format_timeline(run: dict[str, Any], events: Sequence[dict[str, Any]]) -> str:
    """The text ``runs show`` prints: the run's header, then one line per journal event."""
    lines = [
        f"run        {run['run_id']}",
        f"workflow   {run['workflow']}  (version {str(run['version_hash'] or '-')[:16]})",
        f"status     {run['status']}"
        + (
            f"  waiting on {run['waiting_on']}"
            if run["waiting_on"] and run["status"] == "suspended"
            else ""
        ),
        f"input      {_short(run['input'], 100)}",
    ]
    if run["result"] is not None:
        lines.append(f"result     {_short(run['result'], 100)}")
    if run["error"] is not None:
        error = run["error"]
        summary = (
            f"{error.get('type')}: {error.get('message')}" if isinstance(error, dict) else error
        )
        lines.append(f"error      {summary}")
    lines.append("")
    for event in events:
        stamp = event["created_at"].strftime("%H:%M:%S.%f")[:-3] if event["created_at"] else ""
        payload = event["payload"] if isinstance(event["payload"], dict) else {}
        lines.append(
            f"{event['seq']:>4}  {stamp:<12}  {event['kind']:<24} {describe_event(event['kind'], payload)}"
        )
    if not events:
        lines.append("  (no events journaled yet)")
    return "\n".join(lines)


@click.group("runs")
def runs() -> None:
    """List runs and show a run's timeline."""


def _open(database_url: str | None, schema: str | None) -> Any:
    from continuum.runtime.client import Client

    return Client(database_url, schema=schema)


def _registry(modules: Sequence[str]) -> Any:
    if not modules:
        return None
    from continuum.runtime.registry import Registry

    return Registry.load(modules)


@runs.command("list")
@click.option("--status", default=None)
@click.option("--workflow", default=None, help="'pkg.mod:Class'")
@click.option("--namespace", default=None)
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Attribute filter (repeatable); VALUE is JSON if it parses, else a string.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--registry",
    "registries",
    multiple=True,
    help="Mark runs this registry cannot run as unknown_version.",
)
@store_options
def list_runs(
    status: str | None,
    workflow: str | None,
    namespace: str | None,
    attrs: tuple[str, ...],
    limit: int,
    registries: tuple[str, ...],
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """List runs, newest first; filters combine (--attr uses the attributes index)."""
    registry = _registry(registries)
    attributes = parse_attrs(attrs)
    with _open(database_url, schema) as client:
        found = client.query(
            workflow=workflow,
            status=status,
            namespace=namespace,
            attributes=attributes,
            limit=limit,
        )
    rows = [
        run_to_dict(
            run,
            registry.status_of(run.status, run.version_hash, run.workflow) if registry else None,
        )
        for run in found
    ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['run_id']:<38} {row['status']:<16} {row['workflow']}")
    if not rows:
        click.echo("no runs")


def parse_attrs(items: Sequence[str]) -> dict[str, Any]:
    """``["tier=3", "customer=ada"]`` → ``{"tier": 3, "customer": "ada"}`` (JSON if it parses)."""
    attributes: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--attr")
        try:
            attributes[key] = json.loads(text)
        except ValueError:
            attributes[key] = text
    return attributes


@runs.command("show")
@click.argument("run_id")
@click.option(
    "--registry",
    "registries",
    multiple=True,
    help="Mark the run unknown_version if this registry cannot run it.",
)
@store_options
def show(
    run_id: str,
    registries: tuple[str, ...],
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Show RUN_ID and its journal as a timeline."""
    registry = _registry(registries)
    with _open(database_url, schema) as client:
        run = client.get_run(run_id)
        if run is None:
            raise click.ClickException(f"no run with id {run_id!r}")
        events = [event_to_dict(e) for e in client.history(run_id)]
    data = run_to_dict(
        run, registry.status_of(run.status, run.version_hash, run.workflow) if registry else None
    )
    if as_json:
        emit_json({"run": data, "events": events})
    else:
        click.echo(format_timeline(data, events))


@runs.command("migrate")
@click.argument("run_ids", nargs=-1)
@click.option("--to", "to_hash", required=True, help="Version hash (or unique prefix) to move to.")
@click.option("--from", "from_hash", default=None, help="Move every live run on this version.")
@click.option(
    "--registry",
    "registries",
    multiple=True,
    required=True,
    help="Registry module holding both versions (repeatable).",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Directory to put on sys.path first (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Only check which runs would replay.")
@store_options
def migrate_runs(
    run_ids: tuple[str, ...],
    to_hash: str,
    from_hash: str | None,
    registries: tuple[str, ...],
    paths: tuple[str, ...],
    dry_run: bool,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Move live runs (RUN_IDS, or all on --from) to version --to.

    --from may name a version no registry has any more (unknown_version runs).

    Each run's history is first replayed through the new code (command identities
    compared without source lines); runs that would drift stay where they are and are
    reported. Exits 1 when any run was not moved.
    """
    from continuum.runtime.versions import live_hashes, migrate, resolve_hash

    from .versions import load_registry

    registry = load_registry(None, registries, paths)
    target = resolve_hash(registry, to_hash)
    with _open(database_url, schema) as client:
        source = None
        if from_hash is not None:
            source = resolve_hash(registry, from_hash, also=live_hashes(client.store))
        results = migrate(
            client.store,
            registry,
            to_hash=target,
            run_ids=run_ids,
            from_hash=source,
            execute=not dry_run,
        )
    if as_json:
        emit_json(
            [
                {"run_id": r.run_id, "outcome": r.outcome, "detail": r.detail, "from": r.from_hash}
                for r in results
            ]
        )
    else:
        for r in results:
            click.echo(f"{r.run_id:<40} {r.outcome:<10} {r.detail}")
        moved = sum(r.outcome in ("moved", "compatible") for r in results)
        verb = "would move" if dry_run else "moved"
        click.echo(f"{verb} {moved} of {len(results)} run(s) to {target[:16]}")
    if any(r.outcome not in ("moved", "compatible") for r in results):
        raise SystemExit(1)


COMMANDS = [runs]
