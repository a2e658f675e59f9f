"""``continuum worker``: run workflows and queued activities until stopped."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import click

from ._store_options import store_options
from .versions import registry_modules


@click.command("worker")
@click.argument("target", required=False)
@click.option(
    "--registry",
    "registries",
    multiple=True,
    help="Registry module to load (repeatable), e.g. shop._continuum.",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Directory to put on sys.path first (repeatable), e.g. examples.",
)
@click.option(
    "--queues",
    default="default",
    show_default=True,
    help="Task queues to serve (comma-separated; '' for none).",
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Executor threads.",
)
@click.option(
    "--lease-seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Lease length.",
)
@click.option(
    "--poll-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Fallback poll.",
)
@click.option(
    "--drain-timeout", default=10.0, show_default=True, type=float, help="Grace period on SIGTERM."
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete expired runs in the background (one batch of 100 per minute).",
)
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Apply migrations first (default: only on the embedded server).",
)
@store_options
def worker(
    target: str | None,
    registries: tuple[str, ...],
    paths: tuple[str, ...],
    queues: str,
    concurrency: int,
    lease_seconds: float,
    poll_interval: float,
    drain_timeout: float,
    prune: bool,
    migrate: bool | None,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Run workflows (and activities of QUEUES) from generated registries until SIGTERM.

    TARGET is an app directory (``examples/shop``, or the import root ``examples``) or a
    registry module (``shop._continuum``); or name registries with --registry and
    --path.
    """
    from continuum.runtime.client import open_store
    from continuum.runtime.registry import Registry
    from continuum.runtime.worker import Worker, WorkerOptions

    registry = Registry.load(registry_modules(target, registries, paths))
    store = open_store(
        database_url, schema=schema, migrate=migrate, max_connections=concurrency + 2
    )
    options = WorkerOptions(
        queues=tuple(q for q in queues.split(",") if q),
        concurrency=concurrency,
        lease_seconds=lease_seconds,
        poll_interval=poll_interval,
        drain_timeout=drain_timeout,
        prune=prune,
    )
    runner = Worker(store, registry, options)

    def shutdown(signum: int, _frame: Any) -> None:
        runner.stop(wait=False)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    _report(as_json, "started", runner.owner, workflows=sorted(registry.current))
    try:
        runner.run()
    finally:
        store.close()
    _report(as_json, "stopped", runner.owner, abandoned=runner.abandoned, **runner.stats.outcomes)
    if runner.abandoned:
        # Threads still inside activities cannot be interrupted; their runs were released
        # (another worker replays them), so leave without waiting for those threads.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _report(as_json: bool, event: str, owner: str, **fields: Any) -> None:
    if as_json:
        click.echo(json.dumps({"event": event, "owner": owner, **fields}), err=True)
    else:
        click.echo(f"worker {owner} {event}", err=True)


COMMANDS = [worker]
