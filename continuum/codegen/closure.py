"""The workflow closure: every definition a workflow class depends on.

Two views of the same walk:

- the *hashed* closure follows references transitively, within the workflow's module
  and into other modules of the same project; activity targets and other workflow
  classes are named but not entered (they are versioned on their own);
- the *frozen* set is the part of the workflow's own module that is copied into the
  generated module: the class, the functions, constants and compound statements it
  reaches there. Everything else it uses is imported (see `ImportSpec`).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..analyzer.denylist import WORKFLOW_BASES
from .bindings import Binding, ModuleTable, dotted_chain, references
from .errors import CodegenError
from .project import ModuleSource, Project

#: Binding kinds whose statements are copied into the generated module.
_COPIED_KINDS = frozenset({"function", "assign", "compound"})


@dataclass(frozen=True, slots=True)
class ClosureEntry:
    """One definition of the hashed closure."""

    #: ``"module:name"``; entries are hashed in this order.
    key: str
    #: ``"import"``, ``"function"``, ``"class"``, ``"assign"``, ``"compound"``, ``"future"``,
    #: or ``"opaque"`` for a definition named but not entered (activity, other workflow).
    kind: str
    #: The statements that bind it (empty for imports and opaque entries).
    nodes: tuple[ast.stmt, ...] = ()
    #: For imports: ``(module to import, imported name)``.
    target: tuple[str, str] = ("", "")


@dataclass(frozen=True, slots=True, order=True)
class ImportSpec:
    """An import statement the generated module needs (absolute, one name per spec)."""

    #: Module to import (``"shop"`` in ``from shop import payments``).
    module: str
    #: Imported name for ``from`` imports; "" for ``import module``.
    name: str = ""
    #: ``as`` name; "" when there is none.
    alias: str = ""

    @property
    def bound(self) -> str:
        """The name this import binds in the generated module."""
        return self.alias or self.name or self.module.split(".")[0]


@dataclass(frozen=True, slots=True)
class Closure:
    """What a workflow class depends on, for hashing and for freezing."""

    #: The workflow's module.
    module: ModuleSource
    #: The workflow class name (in ``module``).
    class_name: str
    #: Hashed definitions, sorted by key.
    entries: tuple[ClosureEntry, ...]
    #: Indices (into ``module``'s body) of the statements copied into the generated
    #: module, in source order.
    frozen: tuple[int, ...]
    #: Imports the frozen copy needs, in source order of first use.
    imports: tuple[ImportSpec, ...]
    #: Indices of ``from __future__`` statements of the workflow module.
    future: tuple[int, ...] = field(default=())


class ModuleTables:
    """Lazily built `ModuleTable`s of a project (one per module, built at most once)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._tables: dict[str, ModuleTable | None] = {}

    @classmethod
    def of(cls, project: Project) -> ModuleTables:
        """The tables of ``project``, shared by every workflow of one build."""
        if project.tables is None:
            project.tables = cls(project)
        return project.tables

    def get(self, module: str) -> ModuleTable | None:
        """The table of project module ``module``; None when it is not one (or does not parse)."""
        source = self.project.load(module)
        table = self._tables.get(module)
        # Rebuilt when the project's source changed (a workflow module read again).
        if module not in self._tables or (table.source if table else None) is not source:
            table = self._tables[module] = ModuleTable.build(source) if source else None
        return table

    def split(self, dotted: str) -> tuple[str, str] | None:
        """``"shop.pricing.grand_total"`` → ``("shop.pricing", "grand_total")`` for project code."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if self.project.is_module(module):
                return module, parts[cut]
        return None


def find_workflow_classes(
    project: Project, source: ModuleSource, *, extra_bases: Iterable[str] = ()
) -> list[str]:
    """Names of the top-level classes of ``source`` that subclass `continuum.Workflow`.

    ``extra_bases`` are further qualified base names that mark a workflow (the
    ``workflow-bases`` setting).
    """
    project.add(source)
    tables = ModuleTables.of(project)
    markers = WORKFLOW_BASES | set(extra_bases)
    names = [stmt.name for stmt in source.tree.body if isinstance(stmt, ast.ClassDef)]
    # A name defined twice is one class at run time (the last definition).
    return [
        name
        for name in dict.fromkeys(names)
        if _marked(_bases(tables, source.name, name, set()), markers)
    ]


def _is_workflow(tables: ModuleTables, module: str, name: str, markers: frozenset[str]) -> bool:
    return _marked(_bases(tables, module, name, set()), markers)


def _marked(bases: Iterable[str], markers: Iterable[str]) -> bool:
    """Whether one of ``bases`` is a marker; project classes (``"module:name"``) match the
    dotted spelling the ``workflow-bases`` setting uses."""
    found = set(markers)
    return any(base.replace(":", ".") in found for base in bases)


def _bases(tables: ModuleTables, module: str, name: str, seen: set[tuple[str, str]]) -> list[str]:
    """Qualified names of the classes ``module:name`` derives from, transitively.

    Project classes appear as ``"module:name"``, others (``continuum.Workflow``) by
    their dotted name. Cycle-safe through ``seen``.
    """
    if (module, name) in seen:
        return []
    seen.add((module, name))
    table = tables.get(module)
    if table is None:
        return []
    found: list[str] = []
    for binding in table.bindings.get(name, ()):
        if binding.kind == "import":
            target = tables.split(binding.target)
            if target:
                found.extend(_bases(tables, *target, seen))
            continue
        stmt = table.stmt(binding.index)
        if binding.kind != "class" or not isinstance(stmt, ast.ClassDef):
            continue
        for base in stmt.bases:
            chain = dotted_chain(base)
            if chain is None:
                continue
            qualified = table.qualify(chain)
            target = tables.split(qualified) if qualified else (module, chain[0])
            if target:
                found.append(f"{target[0]}:{target[1]}")
                found.extend(_bases(tables, *target, seen))
            elif qualified:
                found.append(qualified)
    return found


def workflow_closure(
    project: Project, source: ModuleSource, class_name: str, *, extra_bases: Iterable[str] = ()
) -> Closure:
    """Compute the hashed closure and the frozen set of workflow ``class_name``.

    ``extra_bases`` are the configured ``workflow-bases`` (as for
    `find_workflow_classes`): a referenced class built on one is another workflow,
    named in the hash but not entered (it is versioned on its own).
    Raises `CodegenError` when ``class_name`` is not a top-level class of ``source``.
    """
    project.add(source)
    tables = ModuleTables.of(project)
    table = tables.get(source.name)
    if table is None or not any(b.kind == "class" for b in table.bindings.get(class_name, ())):
        raise CodegenError(f"no top-level class {class_name!r}", path=str(source.path))
    markers = WORKFLOW_BASES | frozenset(extra_bases)
    entries = _hashed_entries(tables, source.name, class_name, markers)
    frozen, imports = frozen_set(table, [class_name], root_class=class_name)
    return Closure(
        module=source,
        class_name=class_name,
        entries=tuple(sorted(entries.values(), key=lambda e: e.key)),
        frozen=tuple(sorted(frozen)),
        imports=tuple(imports),
        future=tuple(table.future),
    )


def _hashed_entries(
    tables: ModuleTables, module: str, class_name: str, markers: frozenset[str]
) -> dict[str, ClosureEntry]:
    entries: dict[str, ClosureEntry] = {}
    root_table = tables.get(module)
    if root_table is not None and root_table.future:
        # Future imports change how the frozen copy is compiled: part of the version.
        key = f"{module}:__future__"
        future = tuple(root_table.stmt(index) for index in root_table.future)
        entries[key] = ClosureEntry(key, "future", future)
    # Base classes of the workflow are part of it, even when they are workflows too.
    ancestors = set(_bases(tables, module, class_name, set()))
    full: set[str] = set()
    queue: list[tuple[str, str, bool]] = [(module, class_name, False)]
    while queue:
        mod, name, opaque = queue.pop()
        key = f"{mod}:{name}"
        if key in full or (opaque and key in entries):
            continue
        table = tables.get(mod)
        bindings = table.bindings.get(name) if table else None
        if not table or not bindings:
            continue  # a builtin, or a name only a star import could provide
        if any(b.kind == "import" for b in bindings):
            _reach_import(tables, entries, full, queue, key, bindings, opaque)
            continue
        is_other_workflow = (
            (mod, name) != (module, class_name)
            and key not in ancestors
            and _is_workflow(tables, mod, name, markers)
        )
        if opaque or is_other_workflow:
            entries[key] = ClosureEntry(key, "opaque")
            continue
        full.add(key)
        stmts = tuple(table.stmt(b.index) for b in bindings)
        entries[key] = ClosureEntry(key, bindings[0].kind, stmts)
        for stmt in dict.fromkeys(stmts):
            for ref in references(stmt, table):
                queue.extend(_resolve(tables, table, mod, ref.chain, ref.opaque))
    return entries


def _reach_import(
    tables: ModuleTables,
    entries: dict[str, ClosureEntry],
    full: set[str],
    queue: list[tuple[str, str, bool]],
    key: str,
    bindings: list[Binding],
    opaque: bool,
) -> None:
    binding = next(b for b in bindings if b.kind == "import")
    entries[key] = ClosureEntry(key, "import", target=(binding.import_module, binding.import_name))
    if not opaque:
        full.add(key)
    # ``from shop.pricing import grand_total`` reaches the function itself.
    target = tables.split(binding.target) if binding.import_name else None
    if target:
        queue.append((*target, opaque))


def _resolve(
    tables: ModuleTables, table: ModuleTable, module: str, chain: tuple[str, ...], opaque: bool
) -> list[tuple[str, str, bool]]:
    """What a reference ``a.b.c`` in ``module`` reaches: its binding, and project code."""
    head = chain[0]
    found = table.bindings.get(head)
    if not found:
        return []
    if found[0].kind != "import":
        return [(module, head, opaque)]
    # A bare imported name used as an activity target stays opaque through the import.
    reached = [(module, head, opaque and len(chain) == 1)]
    qualified = table.qualify(chain)
    target = tables.split(qualified) if qualified and len(chain) > 1 else None
    if target:
        reached.append((*target, opaque))
    return reached


def frozen_set(
    table: ModuleTable, roots: Iterable[str], *, root_class: str = ""
) -> tuple[set[int], list[ImportSpec]]:
    """Statements of ``table`` to copy, and imports to emit, for a frozen copy of ``roots``.

    Functions, constants and compound statements reached from ``roots`` (within the
    module) are copied, as is ``root_class``; other classes, every import, and every
    function used as an activity target (workers import activities by their real
    path) are emitted as imports of the live code.
    """
    live: set[str] = set()
    while True:
        frozen, imports, targets = _walk_frozen(table, list(roots), root_class, live)
        if targets <= live:
            return frozen, imports
        live |= targets  # an activity target seen late: walk again without copying it


def _walk_frozen(
    table: ModuleTable, roots: list[str], root_class: str, live: set[str]
) -> tuple[set[int], list[ImportSpec], set[str]]:
    module = table.source.name
    frozen: set[int] = set()
    imports: dict[ImportSpec, None] = {}
    targets: set[str] = set()
    seen: set[str] = set()
    queue = roots
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        bindings = table.bindings.get(name)
        if not bindings:
            if name not in vars(builtins) and table.star_imports:
                imports.update((_spec(b), None) for b in table.star_imports)
            continue
        if name in live and name != root_class:
            imports[ImportSpec(module, name)] = None
            continue
        if any(b.kind == "import" for b in bindings):
            for binding in bindings:
                if binding.kind == "import":
                    imports[_spec(binding)] = None
            bindings = [b for b in bindings if b.kind != "import"]
        if name == root_class:
            # Only the definition that wins at import time is the workflow.
            bindings = [b for b in bindings if b.kind == "class"][-1:]
        for binding in bindings:
            is_root = binding.kind == "class" and name == root_class
            if binding.kind in _COPIED_KINDS or is_root:
                if binding.index not in frozen:
                    frozen.add(binding.index)
                    for ref in references(table.stmt(binding.index), table):
                        queue.append(ref.chain[0])
                        if ref.opaque and len(ref.chain) == 1:
                            targets.add(ref.chain[0])
            elif binding.kind == "class":
                # Other classes keep their identity (exceptions raised by activities,
                # payload types, child workflows): imported from the source module.
                imports[ImportSpec(module, name)] = None
    # Only same-module functions need to stay live; imported targets are imports anyway.
    targets = {t for t in targets if any(b.kind == "function" for b in table.bindings.get(t, []))}
    return frozen, list(imports), targets


def _spec(binding: Binding) -> ImportSpec:
    if binding.import_name:
        alias = binding.alias if binding.alias != binding.import_name else ""
        return ImportSpec(binding.import_module, binding.import_name, alias)
    return ImportSpec(binding.import_module, "", binding.alias)
