"""``continuum db migrate`` and ``continuum db status``: the schema's SQL migrations.

Both resolve the database like every other command (``--database-url`` >
``CONTINUUM_DATABASE_URL`` > ``[tool.continuum]`` > the embedded server) and the
schema likewise (``--schema``). Exit codes: 0 done / up to date, 1 (status only)
migrations pending or edited since applied, 2 the database could not be used.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..runtime.errors import ContinuumError
from ..runtime.settings import resolve_database, resolve_schema
from ..runtime.store.postgres.migrate import (
    Migration,
    MigrationState,
    database_status,
    migrate_database,
)
from ..runtime.store.postgres.pool import describe

#: Exit status when the database cannot be reached or used.
DB_ERROR = 2


def _resolve(database_url: str | None, schema: str | None) -> tuple[str, str, str]:
    location = resolve_database(database_url)
    return location.url, location.source, resolve_schema(schema)


def _fail(ctx: click.Context, exc: ContinuumError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": str(exc)}))
    else:
        click.echo(f"error: {exc}", err=True)
    ctx.exit(DB_ERROR)


def _name(m: Migration | MigrationState) -> str:
    return f"{m.version:04d}_{m.name}"


database_url_option = click.option(
    "--database-url",
    metavar="URL",
    help="Postgres URL (default: CONTINUUM_DATABASE_URL, [tool.continuum], embedded server).",
)
schema_option = click.option(
    "--schema",
    metavar="NAME",
    help="Schema holding Continuum's tables (default: CONTINUUM_SCHEMA, [tool.continuum], "
    "else continuum).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def db() -> None:
    """The Continuum schema in Postgres: apply and inspect migrations."""


@db.command()
@database_url_option
@schema_option
@json_option
@click.pass_context
def migrate(
    ctx: click.Context, database_url: str | None, schema: str | None, as_json: bool
) -> None:
    """Apply pending migrations (idempotent; safe while workers start)."""
    try:
        url, source, schema_name = _resolve(database_url, schema)
        applied = migrate_database(url, schema_name)
    except ContinuumError as exc:
        _fail(ctx, exc, as_json)
        return
    if as_json:
        payload: dict[str, Any] = {
            "schema": schema_name,
            "database": describe(url),
            "source": source,
            "applied": [{"version": m.version, "name": m.name} for m in applied],
        }
        click.echo(json.dumps(payload))
        return
    click.echo(f"database {describe(url)} ({source}), schema {schema_name}")
    for migration in applied:
        click.echo(f"applied {_name(migration)}")
    if applied:
        click.echo(f"{len(applied)} migration(s) applied; the schema is up to date.")
    else:
        click.echo("nothing to apply; the schema is up to date.")


@db.command()
@database_url_option
@schema_option
@json_option
@click.pass_context
def status(ctx: click.Context, database_url: str | None, schema: str | None, as_json: bool) -> None:
    """List applied and pending migrations; exit 1 when any is pending or edited."""
    try:
        url, source, schema_name = _resolve(database_url, schema)
        states = database_status(url, schema_name)
    except ContinuumError as exc:
        _fail(ctx, exc, as_json)
        return
    behind = [s for s in states if s.state != "applied"]
    if as_json:
        rows = [
            {
                "version": s.version,
                "name": s.name,
                "state": s.state,
                "applied_at": s.applied_at.isoformat() if s.applied_at else None,
            }
            for s in states
        ]
        payload = {
            "schema": schema_name,
            "database": describe(url),
            "source": source,
            "migrations": rows,
            "up_to_date": not behind,
        }
        click.echo(json.dumps(payload))
    else:
        click.echo(f"database {describe(url)} ({source}), schema {schema_name}")
        for s in states:
            when = f"  {s.applied_at:%Y-%m-%d %H:%M:%S %Z}" if s.applied_at else ""
            click.echo(f"{s.state:<8} {_name(s)}{when}")
        if any(s.state == "changed" for s in states):
            click.echo("a migration file changed after it was applied; restore the shipped file.")
        elif behind:
            click.echo(f"{len(behind)} pending: run `continuum db migrate`.")
        else:
            click.echo("up to date.")
    ctx.exit(1 if behind else 0)


COMMANDS = [db]
