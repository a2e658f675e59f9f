"""Options shared by the commands that talk to the store (worker, client commands, runs)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def store_options(fn: F) -> F:
    """Add ``--database-url``, ``--schema`` and ``--json`` to a command.

    A `ContinuumError` (bad registry, unreachable or unmigrated database, unknown run…)
    becomes a one-line error and exit code 1 instead of a traceback.
    """
    fn = _friendly_errors(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(fn)
    fn = click.option(
        "--schema", default=None, help="Database schema (default: settings, else 'continuum')."
    )(fn)
    return click.option(
        "--database-url",
        default=None,
        help="Postgres URL (default: CONTINUUM_DATABASE_URL, [tool.continuum], else embedded).",
    )(fn)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _friendly_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from continuum.runtime.errors import ContinuumError

        try:
            return fn(*args, **kwargs)
        except ContinuumError as err:
            raise click.ClickException(str(err)) from err

    return wrapper  # type: ignore[return-value]
