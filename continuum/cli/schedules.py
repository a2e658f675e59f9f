"""``continuum schedules list`` and ``schedules cancel NAME``."""

from __future__ import annotations

from typing import Any

import click

from ._store_options import emit_json, store_options


def schedule_to_dict(record: Any) -> dict[str, Any]:
    """A schedule as JSON-ready data."""
    return {
        "name": record.name,
        "workflow": record.workflow,
        "cron": record.cron,
        "timezone": record.timezone,
        "status": record.status,
        "next_fire_at": record.next_fire_at,
        "last_fire_at": record.last_fire_at,
        "last_run_id": record.last_run_id,
        "fire_count": record.fire_count,
        "namespace": record.namespace,
    }


@click.group("schedules")
def schedules() -> None:
    """Show and cancel one-shot and cron schedules."""


@schedules.command("list")
@click.option("--all", "include_finished", is_flag=True, help="Include done and cancelled ones.")
@store_options
def list_schedules(
    include_finished: bool, database_url: str | None, schema: str | None, as_json: bool
) -> None:
    """List schedules by name with their next fire time."""
    from continuum.runtime.client import Client

    with Client(database_url, schema=schema) as client:
        rows = [
            schedule_to_dict(s) for s in client.list_schedules(include_finished=include_finished)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        when = row["next_fire_at"].isoformat() if row["next_fire_at"] else "-"
        rule = f"cron {row['cron']!r} {row['timezone']}" if row["cron"] else "once"
        click.echo(
            f"{row['name']:<28} {row['status']:<10} next {when:<26} {rule:<32} "
            f"fired {row['fire_count']}x  {row['workflow']}"
        )
    if not rows:
        click.echo("no schedules")


@schedules.command("cancel")
@click.argument("name")
@store_options
def cancel(name: str, database_url: str | None, schema: str | None, as_json: bool) -> None:
    """Cancel schedule NAME (runs it already started are not touched)."""
    from continuum.runtime.client import Client

    with Client(database_url, schema=schema) as client:
        cancelled = client.cancel_schedule(name)
        record = client.store.get_schedule(name)
    if as_json:
        emit_json({"name": name, "cancelled": cancelled, "status": record and record.status})
    elif cancelled:
        click.echo(f"schedule {name} cancelled")
    elif record is None:
        raise click.ClickException(f"no schedule named {name!r}")
    else:
        click.echo(f"schedule {name} is already {record.status}")


COMMANDS = [schedules]
