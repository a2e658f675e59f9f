"""``continuum inspect``: the current version of one workflow and all its generated versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analyzer.config import Config
from .closure import find_workflow_classes
from .errors import CodegenError
from .project import Project, locate, read_module
from .registry import OutputDir, default_output, explicit_output, read_current, scan_versions
from .version import WorkflowVersion, plan_version


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One generated version of the workflow."""

    version_hash: str
    #: Import name of the module.
    module: str
    path: Path
    #: Its ``__continuum_workflow__``.
    metadata: Mapping[str, Any]
    #: True for the version the source has now.
    current: bool
    #: False when the file was edited by hand.
    intact: bool


@dataclass(frozen=True, slots=True)
class WorkflowInventory:
    """What `inspect_workflow` found."""

    #: Logical name.
    workflow: str
    #: Source file of the workflow.
    source: Path
    #: Version hash of the current source.
    current_hash: str
    #: Import name the current version has (or would have once built).
    current_module: str
    #: The current version's metadata: from its module when built, computed otherwise.
    current_metadata: Mapping[str, Any]
    #: True when the current version has a generated module.
    built: bool
    #: Every generated version, current first, then by hash.
    versions: tuple[VersionInfo, ...] = field(default=())
    #: What the registry names as current ("" when unlisted).
    registry_current: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``continuum inspect --json``)."""
        return {
            "workflow": self.workflow,
            "source": str(self.source),
            "current": {
                "version_hash": self.current_hash,
                "module": self.current_module,
                "built": self.built,
                "registered": self.registry_current == self.current_hash,
                "metadata": dict(self.current_metadata),
            },
            "versions": [
                {
                    "version_hash": v.version_hash,
                    "module": v.module,
                    "path": str(v.path),
                    "current": v.current,
                    "intact": v.intact,
                    "metadata": dict(v.metadata),
                }
                for v in self.versions
            ],
        }


class WorkflowNotFound(CodegenError):
    """No (or more than one) workflow matches the requested name."""


def _matches(version: WorkflowVersion, name: str) -> bool:
    module_and_class = f"{version.source.name}:{version.class_name}"
    return name in (version.workflow, module_and_class, version.class_name)


def _computed_metadata(version: WorkflowVersion) -> dict[str, Any]:
    options = version.options
    return {
        "workflow": version.workflow,
        "source_module": version.source.name,
        "entrypoint": version.class_name,
        "version": options.version,
        "retention": options.retention,
        "snapshot_threshold": options.snapshot_threshold,
        "signals": None if options.signals is None else list(options.signals),
        "version_hash": version.version_hash,
    }


def inspect_workflow(
    name: str,
    files: Sequence[Path],
    *,
    config: Config,
    out: Path | None = None,
) -> WorkflowInventory:
    """Describe workflow ``name`` (logical name, ``module:Class`` or class name).

    ``files`` are the candidate source files (see `continuum.codegen.api.discover`).
    Raises `WorkflowNotFound` when no workflow, or several, match.
    """
    candidates: list[tuple[WorkflowVersion, OutputDir]] = []
    known: list[str] = []
    for path in files:
        try:
            name_of, root = locate(path, config.resolved_src())
            project = Project(root)
            source = read_module(path, root, name=name_of)
            bases = [b.replace(":", ".") for b in config.workflow_bases]
            for class_name in find_workflow_classes(project, source, extra_bases=bases):
                version = plan_version(project, source, class_name, extra_bases=bases)
                known.append(version.workflow)
                if _matches(version, name):
                    out_dir = _output(config, out, root, source.name)
                    candidates.append((version, out_dir))
        except CodegenError:
            continue
    if len(candidates) != 1:
        listed = ", ".join(sorted({c.workflow for c, _ in candidates} or set(known))) or "none"
        what = "several workflows match" if candidates else "no workflow matches"
        raise WorkflowNotFound(f"{what} {name!r} (workflows found: {listed})")
    version, out_dir = candidates[0]
    return _inventory(version, out_dir)


def _output(config: Config, out: Path | None, root: Path, module: str) -> OutputDir:
    if out is not None:
        return explicit_output(out)
    if config.out:
        return explicit_output(config.root / config.out)
    return default_output(root, module)


def _inventory(version: WorkflowVersion, out: OutputDir) -> WorkflowInventory:
    found = [f for f in scan_versions(out) if f.workflow == version.workflow]
    infos = sorted(
        (
            VersionInfo(
                f.version_hash,
                f.module,
                f.path,
                f.metadata,
                f.version_hash == version.version_hash,
                f.intact,
            )
            for f in found
        ),
        key=lambda info: (not info.current, info.version_hash),
    )
    current = next((info for info in infos if info.current), None)
    path = out.version_path(version.source.name, version.module_file)
    return WorkflowInventory(
        workflow=version.workflow,
        source=version.source.path,
        current_hash=version.version_hash,
        current_module=out.dotted(path),
        current_metadata=current.metadata if current else _computed_metadata(version),
        built=current is not None,
        versions=tuple(infos),
        registry_current=read_current(out).get(version.workflow, ""),
    )
