"""``continuum check``: run the determinism analyzer and render its report.

Parse options, make one library call (`continuum.analyzer.api.check_paths`), render
with one of `continuum.cli.formats`, exit 0 / 1 / 2 (see docs/check.md).
"""

from __future__ import annotations

import logging
import os
import sys
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from ..analyzer.config import (
    Config,
    ConfigError,
    load_config,
    load_config_file,
    validate_config,
    with_overrides,
)
from ..analyzer.diagnostics import CODES, Diagnostic
from ..analyzer.selection import Selection
from . import warm
from .formats import FORMAT_NAMES, render
from .formats._common import summary_line
from .formats.statistics import render_statistics

logger = logging.getLogger(__name__)

#: Exit status for usage and configuration errors (click uses it for bad options too).
USAGE_ERROR = 2


def _codes(value: str | None) -> list[str] | None:
    """``"CN101, CN2"`` → ``["CN101", "CN2"]``; None when the option was not given."""
    if value is None:
        return None
    return [part.strip().upper() for part in value.split(",") if part.strip()]


def _load(config_file: Path | None, overrides: dict[str, Any]) -> Config:
    """The configuration: the nearest ``[tool.continuum]`` (or ``config_file``) plus options."""
    if config_file is None:
        return load_config(None, overrides=overrides)
    return load_config_file(config_file, overrides=overrides)


def _extend(config: Config, extend_select: list[str] | None, ignore: list[str] | None) -> Config:
    """Add ``--extend-select``/``--ignore`` to the file's lists (they add; ``--select`` replaces)."""
    problems = validate_config({"extend-select": extend_select or [], "ignore": ignore or []})
    if problems:
        raise ConfigError(problems)
    return with_overrides(
        config,
        extend_select=(*config.extend_select, *(extend_select or ())),
        ignore=(*config.ignore, *(ignore or ())),
    )


def _read_sources(diagnostics: Iterable[Diagnostic]) -> dict[str, str]:
    """Text of each file that has a diagnostic, for the excerpts; unreadable files are skipped."""
    sources = {}
    for path in sorted({d.path for d in diagnostics}):
        try:
            with tokenize.open(path) as fh:  # honours PEP 263 coding lines
                sources[path] = fh.read()
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
    return sources


def _selected(config: Config, *, strict: bool) -> list[str]:
    """Codes the configuration reports, for SARIF's rule list."""
    selection = Selection(config, strict)
    return [code for code in CODES if selection.enabled(code)]


def _use_color(output_file: Path | None) -> bool:
    if output_file is not None or "NO_COLOR" in os.environ:
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def _emit(text: str, output_file: Path | None, *, color: bool) -> None:
    if output_file is not None:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8", newline="\n")
        return
    # A terminal that cannot show a character (LANG=C, a legacy code page) gets an
    # escape sequence rather than a UnicodeEncodeError halfway through the report.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    text = text.encode(encoding, errors="backslashreplace").decode(encoding)
    click.echo(text, nl=False, color=color)


@click.command("check")
@click.argument(
    "paths",
    nargs=-1,
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "-f",
    "--output-format",
    type=click.Choice(FORMAT_NAMES),
    envvar="CONTINUUM_OUTPUT_FORMAT",
    default="text",
    show_default=True,
    help="How to print diagnostics (env CONTINUUM_OUTPUT_FORMAT).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option("--strict", is_flag=True, help="Warnings fail too; report unused suppressions.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are found (not on 2).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0/1: none).")
@click.option("--select", metavar="CODES", help="Comma list of codes/prefixes to report.")
@click.option("--extend-select", metavar="CODES", help="Codes/prefixes to add to the selection.")
@click.option("--ignore", metavar="CODES", help="Codes/prefixes never to report.")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply the configured excludes even to paths named on the command line.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read settings from this TOML file ([tool.continuum] or [continuum]).",
)
@click.option("--statistics", is_flag=True, help="Print counts per code instead of each finding.")
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    output_format: str,
    output_file: Path | None,
    strict: bool,
    exit_zero: bool,
    no_cache: bool,
    jobs: int | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    force_exclude: bool,
    config_file: Path | None,
    statistics: bool,
) -> None:
    """Check workflow code in PATHS (default: .) for non-determinism.

    Exit status: 0 clean or only warnings, 1 errors (or warnings with --strict),
    2 usage or configuration error.
    """
    from ..analyzer.api import check_paths  # imports LibCST: only when a check runs

    targets = list(paths) or [Path(".")]
    try:
        config = _load(config_file, {"select": _codes(select)})
        config = _extend(config, _codes(extend_select), _codes(ignore))
    except ConfigError as exc:
        click.echo(f"continuum: error: {exc}", err=True)
        ctx.exit(USAGE_ERROR)
    strict = strict or config.strict
    if not no_cache:
        # Record the run for a warm replay; the roots and --config are resolved paths too.
        roots = [config.root / s for s in config.src]
        warm.begin(config.cache_path, targets, [*roots, *([config_file] if config_file else [])])
    try:
        report = check_paths(
            targets,
            config=config,
            strict=strict,
            use_cache=not no_cache,
            jobs=jobs,
            force_exclude=force_exclude,
        )
    except Exception as exc:
        # Failures inside one file are CN903 diagnostics; anything reaching here broke the
        # run as a whole. Say so in one line (the traceback is logged with -vv), exit 2.
        logger.debug("check_paths failed", exc_info=True)
        click.echo(
            f"continuum: internal error: {type(exc).__name__}: {exc} "
            "(run `continuum -vv check ...` for the traceback, and please report it)",
            err=True,
        )
        ctx.exit(USAGE_ERROR)
    diagnostics = report.diagnostics
    color = output_format == "text" and not statistics and _use_color(output_file)
    if statistics:
        text = render_statistics(diagnostics)
    else:
        text = render(
            output_format,
            diagnostics,
            sources=_read_sources(diagnostics) if output_format == "text" else None,
            color=color,
            rules=_selected(config, strict=strict),
        )
    try:
        _emit(text, output_file, color=color)
    except OSError as exc:
        target = output_file or "standard output"
        click.echo(f"continuum: error: cannot write {target}: {exc.strerror}", err=True)
        ctx.exit(USAGE_ERROR)
    if output_file is not None:
        warm.output_file(output_file)
        click.echo(f"{summary_line(diagnostics)} Report written to {output_file}.", err=True)
    code = 0 if exit_zero else report.exit_code(strict=strict)
    warm.complete(code)
    ctx.exit(code)


#: Collected by the ``continuum`` group.
COMMANDS = [check]
