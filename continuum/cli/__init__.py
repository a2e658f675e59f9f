"""The ``continuum`` command: a thin click shell over the library.

`main` first tries the warm replay (`continuum.cli.warm`: an unchanged re-run of a
check answered from its record, with the standard library only), and imports click
and the command group (`continuum.cli._app`) only when that declines. ``cli`` and
``LazyGroup`` are still importable from here; they load on first use.
"""

from __future__ import annotations

import sys

#: Modules under ``continuum.cli`` that contribute commands, in help order.
COMMAND_MODULES = (
    "check",
    "build",
    "db",
    "worker",
    "client_commands",
    "runs",
    "versions",
    "prune",
    "schedules",
)

#: Where the common commands live, so running one imports only its module (a warm
#: ``continuum check`` must not pay for codegen or psycopg). Commands missing here are
#: found by importing every module of `COMMAND_MODULES`.
COMMAND_HOMES = {
    "check": "check",
    "build": "build",
    "inspect": "build",
    "db": "db",
    "worker": "worker",
    "start": "client_commands",
    "signal": "client_commands",
    "cancel": "client_commands",
    "runs": "runs",
    "versions": "versions",
    "prune": "prune",
    "schedules": "schedules",
}


def main() -> None:
    """Console-script entry point."""
    from . import warm

    argv = sys.argv[1:]
    warm.replay(argv)  # exits here when a record of this exact invocation still holds
    warm.arm(argv)  # only an invocation that may be replayed (`warm.eligible`) is observed
    from ._app import cli

    try:
        cli(prog_name="continuum")
    except SystemExit as exc:
        warm.finish(exc.code)
        raise


def __getattr__(name: str) -> object:
    if name in ("cli", "LazyGroup"):
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
