"""The ``continuum`` command: a thin click shell over the library.

Each command group lives in its own module and exposes click commands in a
module-level ``COMMANDS`` list; this group collects them. Every command parses its
options, makes one library call, renders the result and exits with the report's code.
"""

from __future__ import annotations

import importlib
import logging

import click

from .. import __version__

#: Modules under ``continuum.cli`` that contribute commands, in help order.
COMMAND_MODULES = ("check", "build", "db", "worker", "client_commands", "runs")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="continuum")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
def cli(verbose: int) -> None:
    """Continuum: durable workflows, checked for determinism before deploy."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="continuum")
