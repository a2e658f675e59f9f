"""``continuum prune``: delete finished runs past their workflow's retention."""

from __future__ import annotations

import click

from ._store_options import emit_json, store_options


@click.command("prune")
@click.option("--execute", is_flag=True, help="Delete (default: only show what would go).")
@click.option(
    "--batch-size",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Correlation groups (a run with its children and continuations) per batch.",
)
@click.option(
    "--max-batches", default=None, type=click.IntRange(min=1), help="Stop after this many batches."
)
@click.option(
    "--pause",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds between batches.",
)
@store_options
def prune(
    execute: bool,
    batch_size: int,
    max_batches: int | None,
    pause: float,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Remove runs (with journal, signals, tasks) whose retention has passed.

    A dry run by default: it lists the first batch that would be deleted. A run is
    removed only with its whole correlation group (continue-as-new chain, children),
    once every member finished and passed its retention_until.
    """
    from continuum.runtime.client import Client
    from continuum.runtime.retention import prune as run_prune

    with Client(database_url, schema=schema) as client:
        report = run_prune(
            client.store,
            execute=execute,
            batch_size=batch_size,
            max_batches=max_batches,
            pause=pause,
        )
    rows = [
        {
            "run_id": run.run_id,
            "workflow": run.workflow,
            "status": run.status,
            "completed_at": run.completed_at,
            "retention_until": run.retention_until,
        }
        for run in report.runs
    ]
    if as_json:
        emit_json({"executed": execute, "batches": report.batches, "runs": rows})
        return
    for row in rows:
        click.echo(
            f"{row['run_id']:<40} {row['status']:<10} expired {row['retention_until']:%Y-%m-%d %H:%M}"
            f"  {row['workflow']}"
        )
    if execute:
        click.echo(f"deleted {len(rows)} run(s) in {report.groups} group(s)")
    elif rows:
        click.echo(
            f"would delete {len(rows)} run(s) in {report.groups} group(s) (first batch); "
            "run again with --execute"
        )
    else:
        click.echo("nothing has expired")


COMMANDS = [prune]
