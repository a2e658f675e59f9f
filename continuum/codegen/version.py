"""One workflow version: its closure, hash and options, computed from source without importing it."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .bindings import ModuleTable
from .closure import Closure, ModuleTables, workflow_closure
from .hashing import short_hash, version_hash
from .metadata import WorkflowOptions, workflow_options
from .normalize import SCHEME_VERSION
from .project import ModuleSource, Project


@dataclass(frozen=True, slots=True)
class WorkflowVersion:
    """The current version of one workflow class, as computed from its source."""

    #: Logical name ``"pkg.mod:Name"``.
    workflow: str
    #: Class name in the source (and in the generated module).
    class_name: str
    #: The workflow's module.
    source: ModuleSource
    #: Import root of the workflow's project.
    root: Path
    #: Full version hash.
    version_hash: str
    #: Evaluated class keywords.
    options: WorkflowOptions
    #: The closure the hash was computed from.
    closure: Closure

    @property
    def short_hash(self) -> str:
        """The 16 hex digits used in the module name."""
        return short_hash(self.version_hash)

    @property
    def module_file(self) -> str:
        """``V_<hash16>.py``."""
        return f"V_{self.short_hash}.py"

    @property
    def source_relpath(self) -> str:
        """The source file relative to its import root, POSIX-style."""
        return self.source.path.relative_to(self.root).as_posix()


def plan_version(
    project: Project, source: ModuleSource, class_name: str, *, extra_bases: Iterable[str] = ()
) -> WorkflowVersion:
    """Compute the closure, hash and options of workflow ``class_name`` in ``source``.

    ``extra_bases`` are the configured ``workflow-bases`` (see `workflow_closure`).

    Raises `CodegenError` when the class keywords cannot be evaluated statically.
    """
    closure = workflow_closure(project, source, class_name, extra_bases=extra_bases)
    # The last definition of the name is the class the module ends up with.
    cls = [s for s in source.tree.body if isinstance(s, ast.ClassDef) and s.name == class_name][-1]
    table = ModuleTables.of(project).get(source.name) or ModuleTable.build(source)
    options = workflow_options(table, cls)
    return WorkflowVersion(
        workflow=options.name,
        class_name=class_name,
        source=source,
        root=project.root,
        version_hash=version_hash(closure),
        options=options,
        closure=closure,
    )


def metadata(
    version: WorkflowVersion, patch_sites: tuple[str, ...]
) -> tuple[tuple[str, object], ...]:
    """The items of ``__continuum_workflow__``, in their documented order."""
    options = version.options
    return (
        ("workflow", version.workflow),
        ("source_module", version.source.name),
        ("entrypoint", version.class_name),
        ("version", options.version),
        ("retention", options.retention),
        ("snapshot_threshold", options.snapshot_threshold),
        ("signals", None if options.signals is None else list(options.signals)),
        ("patch_sites", list(patch_sites)),
        ("version_hash", version.version_hash),
        ("hash_scheme", SCHEME_VERSION),
        ("python", f"{sys.version_info.major}.{sys.version_info.minor}"),
    )
