"""The click group behind the ``continuum`` command (imported once the warm replay declined).

Each command group lives in its own module and exposes click commands in a
module-level ``COMMANDS`` list; this group collects them, importing a command's module
only when that command is used.
"""

from __future__ import annotations

import importlib
import logging

import click

from .. import __version__
from . import COMMAND_HOMES, COMMAND_MODULES


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def _load(self, module_name: str) -> None:
        package = __name__.rpartition(".")[0]
        try:
            module = importlib.import_module(f"{package}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{module_name}":
                raise
            return
        for command in getattr(module, "COMMANDS", ()):
            self.add_command(command)

    def _load_all(self) -> None:
        for name in COMMAND_MODULES:
            self._load(name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            home = COMMAND_HOMES.get(cmd_name)
            if home is not None:
                self._load(home)
            if cmd_name not in self.commands:
                self._load_all()
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_all()
        return sorted(self.commands)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="continuum")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
def cli(verbose: int) -> None:
    """Continuum: durable workflows, checked for determinism before deploy."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
