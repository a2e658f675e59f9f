"""``continuum build`` and ``continuum inspect``: frozen workflow versions.

Parse options, make one library call (`continuum.codegen.api.build` or
`continuum.codegen.inventory.inspect_workflow`), render, exit 0 / 1 / 2
(see docs/versioning.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..analyzer.config import Config, ConfigError, load_config
from ..codegen.api import BuildReport, Status, display_path
from ..codegen.api import build as build_versions
from ..codegen.discovery import discover
from ..codegen.errors import CodegenError
from . import warm

if TYPE_CHECKING:
    from ..codegen.inventory import WorkflowInventory

#: Exit status for usage and configuration errors.
USAGE_ERROR = 2
#: Show a progress bar from this many candidate files on (and only on a terminal).
PROGRESS_FROM = 20


def _load(paths: Sequence[Path]) -> Config:
    start = paths[0] if paths else None
    return load_config(start.resolve() if start else None)


def _progress(files: Sequence[Path]) -> Iterator[Path]:
    if len(files) < PROGRESS_FROM or not sys.stderr.isatty():
        yield from files
        return
    with click.progressbar(files, label="Building", file=sys.stderr) as bar:
        yield from bar


def _render_report(report: BuildReport) -> None:
    for diagnostic in report.diagnostics:
        click.echo(
            f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: "
            f"{diagnostic.code} {diagnostic.message}",
            err=True,
        )
    for result in report.workflows:
        if result.status is Status.CREATED:
            click.echo(f"wrote {display_path(result.path)}  ({result.workflow})")
    fixes: list[str] = []
    for problem in report.problems:
        click.echo(f"error: {display_path(problem.path)}: {problem.message}", err=True)
        if problem.fix not in fixes:
            fixes.append(problem.fix)
    for fix in fixes:
        click.echo(f"  to fix: {fix}", err=True)
    click.echo(_summary(report), err=bool(report.problems))


def _summary(report: BuildReport) -> str:
    counts: dict[Status, int] = {}
    for result in report.workflows:
        counts[result.status] = counts.get(result.status, 0) + 1
    total = len(report.workflows)
    parts = [f"{count} {status.value}" for status, count in sorted(counts.items())]
    noun = "workflow" if total == 1 else "workflows"
    detail = f" ({', '.join(parts)})" if parts else ""
    verdict = "failed" if report.problems else "ok"
    mode = "build --check" if report.check else "build"
    written = f", {len(report.written)} files written" if report.written else ""
    return f"{mode}: {verdict}, {total} {noun}{detail}{written}"


@click.command("build")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (default: _continuum inside each workflow's top-level package).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a build would change files.")
@click.pass_context
def build(ctx: click.Context, paths: tuple[Path, ...], out: Path | None, check: bool) -> None:
    """Freeze each workflow version into a V_<hash>.py module and update the registry."""
    try:
        config = _load(paths)
        if check and not sys.stderr.isatty():  # a progress bar shows times: never replayed
            roots = [config.root / s for s in config.src]  # resolved by the run, like paths
            warm.begin(config.cache_path, paths, roots)  # record the run for a warm replay
        report = build_versions(
            list(paths) or ["."], config=config, out=out, check=check, progress=_progress
        )
    except (ConfigError, CodegenError) as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(USAGE_ERROR)
    _render_report(report)
    warm.complete(report.exit_code)
    ctx.exit(report.exit_code)


def _text(inventory: WorkflowInventory) -> str:
    meta = inventory.current_metadata
    signals = meta.get("signals")
    lines = [
        f"{inventory.workflow}  ({display_path(inventory.source)})",
        f"current version: {inventory.current_hash[:16]}"
        + ("" if inventory.built else "  (not built: run continuum build)"),
        f"  module:             {inventory.current_module}",
        f"  version:            {meta.get('version')}",
        f"  retention:          {_seconds(meta.get('retention'))}",
        f"  snapshot_threshold: {meta.get('snapshot_threshold') or '-'}",
        f"  signals:            {', '.join(signals) if signals else 'any'}",
        f"  patch sites:        {', '.join(meta.get('patch_sites') or []) or '-'}",
        f"  version_hash:       {inventory.current_hash}",
        f"versions ({len(inventory.versions)}):",
    ]
    for info in inventory.versions:
        marks = [m for m, on in (("current", info.current), ("edited", not info.intact)) if on]
        suffix = f"  [{', '.join(marks)}]" if marks else ""
        lines.append(
            f"  {'*' if info.current else ' '} {info.version_hash[:16]}  "
            f"version={info.metadata.get('version')}  {info.module}{suffix}"
        )
    return "\n".join(lines)


def _seconds(value: Any) -> str:
    if value is None:
        return "forever"
    seconds = float(value)
    text = f"{seconds:.0f}s" if seconds.is_integer() else f"{seconds}s"
    days, rest = divmod(seconds, 86400)
    return f"{text} ({days:.0f} days)" if days and not rest else text


@click.command("inspect")
@click.argument("workflow")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Output directory of build."
)
@click.pass_context
def inspect(
    ctx: click.Context, workflow: str, paths: tuple[Path, ...], as_json: bool, out: Path | None
) -> None:
    """Show WORKFLOW's current version and every generated version of it."""
    try:
        config = _load(paths)
        files = discover(list(paths) or ["."], config)
        # Imported here: `build`, the frequent command, has no use for it.
        from ..codegen.inventory import inspect_workflow

        inventory = inspect_workflow(workflow, files, config=config, out=out)
    except (ConfigError, CodegenError) as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(USAGE_ERROR)
    if as_json:
        click.echo(json.dumps(inventory.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(_text(inventory))


COMMANDS = [build, inspect]
