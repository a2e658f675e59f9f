"""Freezing a workflow version: the code of its own module and the project helpers it calls.

The workflow class and the functions and constants it reaches in its module are
copied into the ``V_<hash>`` module. Helpers it calls in *other* project modules
(``pricing.grand_total(...)``) are copied as well, into a content-addressed
``H_<digest>.py`` module next to that module's path in the output tree, and the
import that named them is pointed at the copy (``import shop._continuum.shop.pricing.
H_… as pricing``). Copies keep their names, so nothing inside them is renamed.

What is *not* copied, and stays an import of the live module: classes (their
identity matters: ``except`` clauses, ``isinstance``, payload types), activity targets
(workers import activities by their real path), other workflows, third-party code,
and any module used as a plain object (``f(pricing)``) or through a dotted
``import a.b`` binding, where a redirect could not be made exact.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .bindings import ModuleTable, references
from .closure import ImportSpec, ModuleTables, frozen_set
from .errors import CodegenError
from .imports import format_imports
from .project import Project
from .registry import OutputDir
from .render import (
    HelperModule,
    VersionModule,
    digest,
    render_helper,
    render_version,
    split_header,
)
from .splice import freeze_statements
from .version import WorkflowVersion, metadata

#: Binding kinds copied into a helpers module (classes and imports are re-exported).
_COPIED_KINDS = frozenset({"function", "assign", "compound"})


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """A generated module to write."""

    path: Path
    #: Its import name.
    module: str
    text: str


@dataclass(frozen=True, slots=True)
class RenderedVersion:
    """A version module and the helper modules it imports."""

    #: The ``V_<hash>.py`` module.
    version: GeneratedFile
    #: ``H_<digest>.py`` modules, in the order they were made (dependencies first).
    helpers: tuple[GeneratedFile, ...] = ()


@dataclass(slots=True)
class _Freezer:
    version: WorkflowVersion
    project: Project
    out: OutputDir
    tables: ModuleTables
    helpers: dict[str, GeneratedFile] = field(default_factory=dict)
    #: Change ids of ``patched()`` calls in the frozen helpers.
    patch_sites: list[str] = field(default_factory=list)
    #: Modules being frozen right now: an import cycle back into one stays live.
    active: list[str] = field(default_factory=list)

    def redirect(self, table: ModuleTable, spec: ImportSpec, stmts: list[ast.stmt]) -> ImportSpec:
        """``spec``, or an import of a frozen copy of the helpers ``stmts`` use through it."""
        target = self._target(spec)
        if target is None:
            return spec
        module, name = target
        helper_table = self.tables.get(module)
        if helper_table is None or module in self.active:
            return spec
        refs = [
            ref for stmt in stmts for ref in references(stmt, table) if ref.chain[0] == spec.bound
        ]
        if name is None:
            if not refs or any(len(ref.chain) == 1 for ref in refs):
                return spec  # the module object itself is used: keep it live
            used = {ref.chain[1] for ref in refs}
            opaque = {ref.chain[1] for ref in refs if ref.opaque and len(ref.chain) == 2}
        else:
            used = {name}
            opaque = {name} if any(ref.opaque for ref in refs) else set()
        if not all(n in helper_table.bindings for n in used):
            return spec  # a submodule, or a name only a star import provides
        copied = sorted(n for n in used - opaque if self._copyable(helper_table, n))
        if not copied:
            return spec
        helper = self._helper(helper_table, copied, sorted(used - set(copied)))
        if name is None:
            return ImportSpec(helper.module, "", spec.bound)
        return ImportSpec(helper.module, spec.name, spec.alias)

    def _target(self, spec: ImportSpec) -> tuple[str, str | None] | None:
        """The project module (and member) an import names, if it names project code."""
        if spec.name:
            dotted = f"{spec.module}.{spec.name}"
            if self.project.is_module(dotted):
                return dotted, None
            if self.project.is_module(spec.module):
                return spec.module, spec.name
            return None
        # ``import a.b as x`` names module a.b; plain ``import a.b`` binds package ``a``.
        if spec.alias and self.project.is_module(spec.module):
            return spec.module, None
        return None

    def _copyable(self, table: ModuleTable, name: str) -> bool:
        bindings = table.bindings[name]
        return all(b.kind in _COPIED_KINDS for b in bindings)

    def _helper(
        self, table: ModuleTable, copied: list[str], reexported: list[str]
    ) -> GeneratedFile:
        module = table.source.name
        indices, imports = frozen_set(table, copied)
        imports.extend(ImportSpec(module, name) for name in reexported)
        ordered = sorted(indices)
        stmts = [table.stmt(i) for i in ordered]
        self.active.append(module)
        try:
            imports = [self.redirect(table, spec, stmts) for spec in imports]
        finally:
            self.active.pop()
        frozen = freeze_statements(
            table.source.text,
            indices=ordered,
            workflow=self.version.workflow,
            class_name="",
            function_prefix=module,
            tree=table.source.tree,
        )
        body_module = HelperModule(
            source_module=module,
            source=table.source.path.relative_to(self.project.root).as_posix(),
            workflow=self.version.workflow,
            future=_future(table),
            imports=format_imports(imports, first_party=self.project.is_module),
            frozen_code=frozen.code,
            exported=tuple(sorted({*copied, *reexported})),
            blank_lines=_blank_lines(stmts),
        )
        text = render_helper(body_module)
        self.patch_sites.extend(frozen.patch_sites)
        # Content-addressed: the same helpers for the same workflow are one file.
        name = f"H_{digest(split_header(text)[1])[:16]}.py"
        path = self.out.version_path(module, name)
        generated = GeneratedFile(path, self.out.dotted(path), text)
        self.helpers.setdefault(generated.module, generated)
        return generated


def _future(table: ModuleTable) -> tuple[str, ...]:
    features: list[str] = []
    for index in table.future:
        stmt = table.stmt(index)
        if isinstance(stmt, ast.ImportFrom):
            features.extend(alias.name for alias in stmt.names)
    return tuple(dict.fromkeys(features))


def _blank_lines(stmts: list[ast.stmt]) -> int:
    # ruff's isort: two blank lines after the imports before a def or class, else one.
    definitions = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return 2 if stmts and isinstance(stmts[0], definitions) else 1


def freeze_version(version: WorkflowVersion, project: Project, out: OutputDir) -> RenderedVersion:
    """Render the ``V_<hash>`` module of ``version`` and the helper modules it needs.

    Raises `CodegenError` if a name that would be placed into code is not an
    identifier (it always is for parsed source; this is the last guard).
    """
    if not version.class_name.isidentifier():
        raise CodegenError(f"refusing to generate a class named {version.class_name!r}")
    tables = ModuleTables.of(project)
    table = tables.get(version.source.name)
    if table is None:  # the caller parsed it already; only a vanished file gets here
        table = ModuleTable.build(version.source)
    freezer = _Freezer(version, project, out, tables)
    closure = version.closure
    stmts = [table.stmt(i) for i in closure.frozen]
    freezer.active.append(version.source.name)
    imports = [freezer.redirect(table, spec, stmts) for spec in closure.imports]
    frozen = freeze_statements(
        version.source.text,
        indices=closure.frozen,
        workflow=version.workflow,
        class_name=version.class_name,
        tree=version.source.tree,
    )
    text = render_version(
        VersionModule(
            workflow=version.workflow,
            source=version.source_relpath,
            version_hash=version.version_hash,
            future=_future(table),
            imports=format_imports(imports, first_party=project.is_module),
            frozen_code=frozen.code,
            metadata=metadata(
                version, tuple(dict.fromkeys((*frozen.patch_sites, *freezer.patch_sites)))
            ),
            blank_lines=_blank_lines(stmts),
        )
    )
    path = out.version_path(version.source.name, version.module_file)
    return RenderedVersion(
        GeneratedFile(path, out.dotted(path), text), tuple(freezer.helpers.values())
    )
