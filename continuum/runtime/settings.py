"""Where the database is: the URL and schema every command and the `Client` use.

Resolution order for the URL, first match wins:

1. an explicit value (``--database-url``, ``Client(url)``);
2. the ``CONTINUUM_DATABASE_URL`` environment variable;
3. ``database-url`` in ``[tool.continuum]`` of the nearest ``pyproject.toml``;
4. the embedded server in ``<project root>/.continuum/pg`` (started on demand), database
   ``continuum`` (created when missing). The project root is the directory of the
   nearest ``pyproject.toml``, else the current directory.

The schema: ``--schema`` > ``CONTINUUM_SCHEMA`` > ``schema`` in ``[tool.continuum]`` >
``"continuum"``. The runtime reads ``pyproject.toml`` itself with ``tomllib``: it must not
import the analyzer (and with it LibCST) to find its database.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ContinuumError

__all__ = [
    "DEFAULT_SCHEMA",
    "EMBEDDED_DATABASE",
    "ENV_DATABASE_URL",
    "ENV_SCHEMA",
    "DatabaseLocation",
    "embedded_data_dir",
    "find_project_root",
    "read_tool_settings",
    "resolve_database",
    "resolve_database_url",
    "resolve_schema",
]

ENV_DATABASE_URL = "CONTINUUM_DATABASE_URL"
ENV_SCHEMA = "CONTINUUM_SCHEMA"
DEFAULT_SCHEMA = "continuum"
#: Database created on the embedded server for the project.
EMBEDDED_DATABASE = "continuum"
_PYPROJECT = "pyproject.toml"
# Unquoted-style identifier, at most 63 bytes (Postgres truncates longer names silently).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """A resolved database URL and where it came from (for ``continuum db status``)."""

    #: The connection URL (or libpq key=value string) to hand to psycopg.
    url: str
    #: ``"explicit"``, ``"environment"``, ``"pyproject"`` or ``"embedded"``.
    source: str
    #: The pyproject.toml or the embedded data directory, when relevant.
    origin: Path | None = None


def resolve_database_url(explicit: str | None = None, *, start: Path | None = None) -> str:
    """Return the database URL to use; see the module docstring for the order.

    ``start`` is where the search for ``pyproject.toml`` begins (default: the current
    directory). Falling through to the embedded server starts it if needed, which
    takes about a second the first time. Raises `continuum.ContinuumError` for an
    unreadable ``pyproject.toml`` or a ``database-url`` that is not a string, and
    `continuum.StoreError` when the embedded server cannot start.
    """
    return resolve_database(explicit, start=start).url


def resolve_database(explicit: str | None = None, *, start: Path | None = None) -> DatabaseLocation:
    """Like `resolve_database_url`, also saying which source gave the URL."""
    if explicit:
        return DatabaseLocation(explicit, "explicit")
    from_env = os.environ.get(ENV_DATABASE_URL)
    if from_env:
        return DatabaseLocation(from_env, "environment")
    here = _start_dir(start)
    pyproject = _nearest_pyproject(here)
    table = read_tool_settings(start=here)
    configured = table.get("database-url")
    if configured is not None:
        if not isinstance(configured, str) or not configured:
            raise ContinuumError(
                f"{pyproject}: [tool.continuum] database-url must be a non-empty string, "
                f"got {configured!r}"
            )
        return DatabaseLocation(configured, "pyproject", pyproject)
    # Imported here: only this fallback needs the embedded server's machinery.
    from .store.embedded import ensure_database, ensure_embedded_server

    data_dir = embedded_data_dir(start=here)
    maintenance = ensure_embedded_server(data_dir)
    return DatabaseLocation(ensure_database(maintenance, EMBEDDED_DATABASE), "embedded", data_dir)


def resolve_schema(explicit: str | None = None, *, start: Path | None = None) -> str:
    """Return the schema name: ``explicit`` > ``CONTINUUM_SCHEMA`` > pyproject > ``continuum``.

    Raises `continuum.ContinuumError` when the name is not a plain identifier (letters,
    digits and underscores, not starting with a digit or ``pg_``, at most 63 characters).
    """
    name: Any = explicit or os.environ.get(ENV_SCHEMA)
    if not name:
        name = read_tool_settings(start=start).get("schema") or DEFAULT_SCHEMA
    if (
        not isinstance(name, str)
        or not _IDENTIFIER.fullmatch(name)
        or name.lower().startswith("pg_")
    ):
        raise ContinuumError(
            f"invalid schema name {name!r}: use letters, digits and underscores, start with a "
            "letter or underscore, at most 63 characters, and not the reserved pg_ prefix"
        )
    return name


def find_project_root(start: Path | None = None) -> Path | None:
    """The directory of the nearest ``pyproject.toml`` at or above ``start``, or None."""
    pyproject = _nearest_pyproject(_start_dir(start))
    return pyproject.parent if pyproject is not None else None


def embedded_data_dir(*, start: Path | None = None) -> Path:
    """Where the embedded server keeps its state: ``<project root or cwd>/.continuum/pg``."""
    here = _start_dir(start)
    return (find_project_root(here) or here) / ".continuum" / "pg"


def read_tool_settings(*, start: Path | None = None) -> dict[str, Any]:
    """The ``[tool.continuum]`` table of the nearest ``pyproject.toml`` ({} when none).

    Only the nearest file counts: it marks the project root, like Fixit and ruff do.
    """
    pyproject = _nearest_pyproject(_start_dir(start))
    if pyproject is None:
        return {}
    try:
        with open(pyproject, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ContinuumError(f"cannot read {pyproject}: {err}") from None
    table = data.get("tool", {}).get("continuum", {})
    if not isinstance(table, dict):
        raise ContinuumError(f"{pyproject}: [tool.continuum] must be a table")
    return table


def _start_dir(start: Path | None) -> Path:
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    return here.parent if here.is_file() else here


def _nearest_pyproject(here: Path) -> Path | None:
    for directory in (here, *here.parents):
        candidate = directory / _PYPROJECT
        if candidate.is_file():
            return candidate
    return None
