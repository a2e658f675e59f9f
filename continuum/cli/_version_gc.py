"""Garbage-collecting generated versions: the file side of ``continuum versions gc``.

Lives outside ``continuum.runtime`` (the runtime never imports codegen) and uses the
codegen registry functions to scan the output tree and re-render the registry, so the
result is byte-identical to what ``continuum build`` would write for the same files.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from continuum.codegen.registry import (
    OutputDir,
    VersionFile,
    read_current,
    registry_text,
    scan_helpers,
    scan_versions,
)
from continuum.codegen.writer import write_if_changed


@dataclass(frozen=True, slots=True)
class GcPlan:
    """What `plan_gc` found in one output directory."""

    out: OutputDir
    #: Version modules with no live run that are not CURRENT.
    versions: tuple[VersionFile, ...]
    #: Helper modules no remaining version (or helper) imports any more.
    helpers: tuple[Path, ...]
    #: Versions kept, with why (``current`` / ``N live run(s)``).
    kept: tuple[tuple[VersionFile, str], ...]


def output_of(module: ModuleType) -> OutputDir:
    """The output directory a loaded registry module was generated into."""
    if module.__file__ is None:
        raise ValueError(f"{module.__name__} has no file on disk")
    return OutputDir(Path(module.__file__).resolve().parent, module.__name__)


def plan_gc(out: OutputDir, live: dict[str, int]) -> GcPlan:
    """Versions under ``out`` that are neither CURRENT nor pinned by a live run."""
    current = set(read_current(out).values())
    removable: list[VersionFile] = []
    kept: list[tuple[VersionFile, str]] = []
    for version in scan_versions(out):
        if not version.well_named:
            continue  # not ours to judge: `continuum build --check` reports it
        if version.version_hash in current:
            kept.append((version, "current"))
        elif live.get(version.version_hash, 0):
            kept.append((version, f"{live[version.version_hash]} live run(s)"))
        else:
            removable.append(version)
    gone = {v.path for v in removable}
    remaining = [v.path for v in scan_versions(out) if v.path not in gone]
    needed = _helpers_reached(out, remaining)
    orphans = tuple(h.path for h in scan_helpers(out) if h.path not in needed)
    return GcPlan(out, tuple(removable), orphans, tuple(kept))


def apply_gc(plan: GcPlan) -> None:
    """Delete the planned files and rewrite the registry without them."""
    for version in plan.versions:
        version.path.unlink(missing_ok=True)
    for helper in plan.helpers:
        helper.unlink(missing_ok=True)
    text = registry_text(scan_versions(plan.out), read_current(plan.out))
    write_if_changed(plan.out.registry_path, text)


def _helpers_reached(out: OutputDir, roots: Collection[Path]) -> set[Path]:
    """Helper files imported by ``roots``, transitively (helpers import helpers)."""
    seen: set[Path] = set()
    todo = list(roots)
    while todo:
        for helper in _helper_imports(out, todo.pop()):
            if helper not in seen and helper.is_file():
                seen.add(helper)
                todo.append(helper)
    return seen


def _helper_imports(out: OutputDir, path: Path) -> list[Path]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    prefix = out.package + "."
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith(prefix) and name.rpartition(".")[2].startswith("H_"):
                relative = name[len(prefix) :].split(".")
                found.append(out.path.joinpath(*relative).with_suffix(".py").resolve())
    return found
