"""``continuum versions``: generated versions and their live runs; ``versions gc``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from ._store_options import emit_json, store_options


def registry_options(fn: Any, *, target: bool = True) -> Any:
    """``--registry`` and ``--path`` (and a TARGET argument), as ``continuum worker`` takes them."""
    fn = click.option(
        "--path",
        "paths",
        multiple=True,
        type=click.Path(exists=True, file_okay=False),
        help="Directory to put on sys.path first (repeatable), e.g. examples.",
    )(fn)
    fn = click.option(
        "--registry",
        "registries",
        multiple=True,
        help="Registry module to load (repeatable), e.g. shop._continuum.",
    )(fn)
    return click.argument("target", required=False)(fn) if target else fn


def registry_modules(
    target: str | None, registries: Sequence[str], paths: Sequence[str]
) -> list[str]:
    """Registry module names from TARGET/--registry, with --path (and TARGET's root) on sys.path."""
    from continuum.runtime.registry import locate_registries

    modules = list(registries)
    for entry in paths:
        sys.path.insert(0, entry)
    if target:
        root, found = locate_registries(target)
        if root is not None:
            sys.path.insert(0, root)
        modules += found
    if not modules:
        raise click.UsageError("name an app directory or a registry module (--registry)")
    return modules


def load_registry(target: str | None, registries: Sequence[str], paths: Sequence[str]) -> Any:
    """The merged `Registry` of TARGET/--registry."""
    from continuum.runtime.registry import Registry

    return Registry.load(registry_modules(target, registries, paths))


def _counts(live: dict[str, int]) -> str:
    total = sum(live.values())
    if not total:
        return "no live runs"
    detail = ", ".join(f"{n} {status}" for status, n in sorted(live.items()))
    return f"{total} live ({detail})"


def _group_options(fn: Any) -> Any:
    # A group cannot take a positional TARGET: it would swallow the subcommand name.
    return registry_options(fn, target=False)


@click.group("versions", invoke_without_command=True)
@_group_options
@store_options
@click.pass_context
def versions(
    ctx: click.Context,
    registries: tuple[str, ...],
    paths: tuple[str, ...],
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """List generated versions, the live runs pinned to each, and unknown_version runs."""
    if ctx.invoked_subcommand is not None:
        return
    from continuum.runtime.client import Client
    from continuum.runtime.versions import overview

    registry = load_registry(None, registries, paths)
    with Client(database_url, schema=schema) as client:
        view = overview(client.store, registry)
    if as_json:
        emit_json(
            {
                "versions": [
                    {
                        "workflow": row.workflow,
                        "version_hash": row.version_hash,
                        "module": row.module,
                        "current": row.current,
                        "live": row.live,
                    }
                    for row in view.versions
                ],
                "unknown_version": [
                    {"workflow": u.workflow, "version_hash": u.version_hash, "live": u.live}
                    for u in view.unknown
                ],
                "unpinned": view.unpinned,
            }
        )
        return
    workflow = None
    for row in view.versions:
        if row.workflow != workflow:
            workflow = row.workflow
            click.echo(workflow)
        mark = "current" if row.current else "       "
        click.echo(f"  {row.version_hash[:16]}  {mark}  {_counts(row.live)}")
    if not view.versions:
        click.echo("no versions in the loaded registries")
    for name, count in sorted(view.unpinned.items()):
        click.echo(f"{name}: {count} pending run(s) not pinned yet (they start on CURRENT)")
    if view.unknown:
        click.echo("\nunknown_version — pinned to a hash no loaded registry has (they wait):")
        for unknown in view.unknown:
            click.echo(
                f"  {unknown.workflow}  {unknown.version_hash[:16]}  {_counts(unknown.live)}"
            )


@versions.command("gc")
@registry_options
@click.option("--execute", is_flag=True, help="Delete (default: only show what would go).")
@store_options
def gc(
    target: str | None,
    registries: tuple[str, ...],
    paths: tuple[str, ...],
    execute: bool,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Remove generated versions that are not CURRENT and have no live runs.

    Dry run by default. With --execute the V_ modules (and H_ helper modules nothing
    imports any more) are deleted and the registry is rewritten without them.
    """
    from continuum.runtime.client import Client

    from ._version_gc import apply_gc, output_of, plan_gc

    modules = registry_modules(target, registries, paths)
    with Client(database_url, schema=schema) as client:
        usage = client.store.version_usage()
    live: dict[str, int] = {}
    for item in usage:
        if item.version_hash is not None:
            live[item.version_hash] = live.get(item.version_hash, 0) + item.count
    report = []
    for name in modules:
        plan = plan_gc(output_of(importlib.import_module(name)), live)
        if execute:
            apply_gc(plan)
        report.append(plan)
    if as_json:
        emit_json(
            [
                {
                    "registry": plan.out.package,
                    "executed": execute,
                    "removed": [
                        {
                            "workflow": v.workflow,
                            "version_hash": v.version_hash,
                            "path": str(v.path),
                        }
                        for v in plan.versions
                    ],
                    "helpers": [str(p) for p in plan.helpers],
                    "kept": [
                        {"version_hash": v.version_hash, "reason": why} for v, why in plan.kept
                    ],
                }
                for plan in report
            ]
        )
        return
    verb = "removed" if execute else "would remove"
    for plan in report:
        for version in plan.versions:
            click.echo(f"{verb} {version.workflow} {version.version_hash[:16]}  {version.path}")
        for helper in plan.helpers:
            click.echo(f"{verb} helper {helper}")
        for version, why in plan.kept:
            click.echo(f"kept {version.workflow} {version.version_hash[:16]} ({why})")
    count = sum(len(plan.versions) for plan in report)
    if not execute and count:
        click.echo(f"{count} version(s) can go; run again with --execute")
    elif not count:
        click.echo("nothing to remove")


COMMANDS = [versions]
