"""One workflow version: its hash and options (cheap), and its generated module (on demand)."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from .bindings import ModuleTable
from .closure import Closure, workflow_closure
from .errors import CodegenError
from .hashing import short_hash, version_hash
from .imports import format_imports
from .metadata import WorkflowOptions, workflow_options
from .normalize import SCHEME_VERSION
from .project import ModuleSource, Project
from .render import VersionModule, render_version
from .rewrite import FrozenCode, freeze_statements


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


def plan_version(project: Project, source: ModuleSource, class_name: str) -> WorkflowVersion:
    """Compute the closure, hash and options of workflow ``class_name`` in ``source``.

    Raises `CodegenError` when the class keywords cannot be evaluated statically.
    """
    closure = workflow_closure(project, source, class_name)
    cls = next(s for s in source.tree.body if isinstance(s, ast.ClassDef) and s.name == class_name)
    options = workflow_options(ModuleTable.build(source), cls)
    return WorkflowVersion(
        workflow=options.name,
        class_name=class_name,
        source=source,
        root=project.root,
        version_hash=version_hash(closure),
        options=options,
        closure=closure,
    )


def _future_features(version: WorkflowVersion) -> tuple[str, ...]:
    features: list[str] = []
    for index in version.closure.future:
        stmt = version.source.tree.body[index]
        if isinstance(stmt, ast.ImportFrom):
            features.extend(alias.name for alias in stmt.names)
    return tuple(dict.fromkeys(features))


def _starts_with_definition(version: WorkflowVersion) -> bool:
    first = version.source.tree.body[version.closure.frozen[0]]
    return isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def metadata(version: WorkflowVersion, frozen: FrozenCode) -> tuple[tuple[str, object], ...]:
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
        ("patch_sites", list(frozen.patch_sites)),
        ("version_hash", version.version_hash),
        ("hash_scheme", SCHEME_VERSION),
        ("python", f"{sys.version_info.major}.{sys.version_info.minor}"),
    )


def render_workflow_version(version: WorkflowVersion, project: Project) -> str:
    """The full text of the generated module for ``version``."""
    closure = version.closure
    if not version.class_name.isidentifier():
        raise CodegenError(f"refusing to generate a class named {version.class_name!r}")
    frozen = freeze_statements(
        version.source.text,
        indices=closure.frozen,
        workflow=version.workflow,
        class_name=version.class_name,
    )
    imports = format_imports(
        closure.imports,
        first_party=lambda top: project.is_module(top),
    )
    return render_version(
        VersionModule(
            workflow=version.workflow,
            source=version.source_relpath,
            version_hash=version.version_hash,
            future=_future_features(version),
            imports=imports,
            frozen_code=frozen.code,
            metadata=metadata(version, frozen),
            blank_lines=2 if _starts_with_definition(version) else 1,
        )
    )
