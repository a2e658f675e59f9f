"""Module-level bindings and the global names a definition refers to (stdlib `ast`).

`ModuleTable` answers "what does the top-level name ``x`` of this module stand for"
(an import, a function, a class, an assignment); `references` lists the module-level
names a statement reads, scope-aware: parameters, locals, comprehension variables and
class attributes shadow globals exactly as Python resolves them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from ..analyzer.denylist import EFFECTS
from .project import ModuleSource

BindingKind = Literal["import", "future", "function", "class", "assign", "compound"]

#: Effect functions of the public API (the analyzer's `EFFECTS`), by the name they are
#: exported under → command kind. ``sleep`` is an alias of ``timer`` and journals the
#: same command; every other effect journals a command of its own name.
EFFECT_KINDS: dict[str, str] = {name: name for name in sorted(EFFECTS)} | {"sleep": "timer"}

#: Modules that export the effect functions (the public package and its internals).
EFFECT_MODULES = frozenset(
    {
        "continuum",
        "continuum.runtime.effects",
        *(
            f"continuum.runtime.effects.{sub}"
            for sub in (
                "activity",
                "children",
                "compensation",
                "control",
                "patches",
                "primitives",
                "signals",
                "timers",
            )
        ),
    }
)


def effect_kind(qualified: str | None) -> str | None:
    """The command kind of a fully qualified callee, or None if it is not an effect.

    >>> effect_kind("continuum.activity"), effect_kind("continuum.sleep"), effect_kind("x.activity")
    ('activity', 'timer', None)
    """
    if not qualified:
        return None
    module, _, name = qualified.rpartition(".")
    return EFFECT_KINDS.get(name) if module in EFFECT_MODULES else None


@dataclass(frozen=True, slots=True)
class Binding:
    """One statement that binds a top-level name."""

    #: The bound name.
    name: str
    #: What kind of statement binds it.
    kind: BindingKind
    #: Index of the statement in the module body.
    index: int
    #: For imports: the absolute dotted target the name stands for
    #: (``"shop.pricing"`` for ``from shop import pricing``, ``"a"`` for ``import a.b``).
    target: str = ""
    #: For imports: the module to import (``"a.b"`` for ``import a.b``; ``"shop"`` for
    #: ``from shop import pricing``).
    import_module: str = ""
    #: For ``from`` imports: the imported name (``"pricing"``); "" for plain imports.
    import_name: str = ""
    #: For imports: the ``as`` name, "" when there is none.
    alias: str = ""


@dataclass(slots=True)
class ModuleTable:
    """The top-level bindings of one module, by name, in source order."""

    source: ModuleSource
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    #: Indices of ``from __future__ import`` statements.
    future: list[int] = field(default_factory=list)
    #: Indices of star imports (their names cannot be resolved statically).
    star_imports: list[Binding] = field(default_factory=list)
    #: `references` of this module's statements, by ``id`` (the tree is held by
    #: ``source``): every workflow of a build that reaches a helper asks again.
    refs: dict[int, tuple[Ref, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, source: ModuleSource) -> ModuleTable:
        """Index the module's top-level statements."""
        table = cls(source)
        for index, stmt in enumerate(source.tree.body):
            for binding in _bindings_of(stmt, index, source):
                if binding.kind == "future":
                    table.future.append(index)
                elif binding.name == "*":
                    table.star_imports.append(binding)
                else:
                    table.bindings.setdefault(binding.name, []).append(binding)
        return table

    def qualify(self, chain: tuple[str, ...]) -> str | None:
        """The absolute dotted name a ``a.b.c`` chain denotes when ``a`` is an import."""
        found = self.bindings.get(chain[0])
        if not found or found[0].kind != "import":
            return None
        return ".".join((found[0].target, *chain[1:]))

    def stmt(self, index: int) -> ast.stmt:
        """The top-level statement at ``index``."""
        return self.source.tree.body[index]


def absolute_module(source: ModuleSource, module: str | None, level: int) -> str:
    """Resolve a (possibly relative) ``from`` import's module against ``source``.

    >>> from pathlib import Path
    >>> src = ModuleSource("shop.flows.orders", Path("x.py"), "", ast.Module([], []), False)
    >>> absolute_module(src, "payments", 2), absolute_module(src, None, 1)
    ('shop.payments', 'shop.flows')
    """
    if level == 0:
        return module or ""
    package = source.name if source.is_package else source.name.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if module:
        parts.append(module)
    return ".".join(parts)


_ASSIGNMENTS: tuple[type[ast.stmt], ...] = (ast.Assign, ast.AnnAssign, ast.AugAssign)
if hasattr(ast, "TypeAlias"):  # Python 3.12+: ``type X = ...``
    _ASSIGNMENTS = (*_ASSIGNMENTS, ast.TypeAlias)
_COMPOUND = (ast.If, ast.Try, ast.TryStar, ast.With, ast.For, ast.While, ast.Match)


def _bindings_of(stmt: ast.stmt, index: int, source: ModuleSource) -> Iterator[Binding]:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield Binding(
                    alias.asname, "import", index, alias.name, alias.name, "", alias.asname
                )
            else:
                first = alias.name.split(".")[0]
                yield Binding(first, "import", index, first, alias.name)
    elif isinstance(stmt, ast.ImportFrom):
        module = absolute_module(source, stmt.module, stmt.level)
        kind: BindingKind = "future" if module == "__future__" else "import"
        for alias in stmt.names:
            bound = alias.asname or alias.name
            target = f"{module}.{alias.name}" if module else alias.name
            yield Binding(bound, kind, index, target, module, alias.name, alias.asname or "")
    elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        yield Binding(stmt.name, "function", index)
    elif isinstance(stmt, ast.ClassDef):
        yield Binding(stmt.name, "class", index)
    elif isinstance(stmt, _ASSIGNMENTS):
        bound, _ = bound_names([stmt])
        for name in sorted(bound):
            yield Binding(name, "assign", index)
    elif isinstance(stmt, _COMPOUND):
        bound, _ = bound_names([stmt])
        for name in sorted(bound):
            yield Binding(name, "compound", index)


#: Nodes that open a scope of their own (their bodies bind names there, not here).
NESTED_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def bound_names(body: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """Names a scope body binds (without entering nested scopes), and names it declares global."""
    bound: set[str] = set()
    declared_global: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            # Decorators, defaults and bases run in this scope; the body does not.
            stack.extend(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                stack.extend(node.bases)
                stack.extend(node.keywords)
            else:
                stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
            continue
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            bound.update(node.names)
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared_global, declared_global


def _parameters(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names


def dotted_chain(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ``("a", "b", "c")``; None for anything that is not a plain name chain.

    >>> dotted_chain(ast.parse("a.b.c", mode="eval").body), dotted_chain(ast.parse("f().x", mode="eval").body)
    (('a', 'b', 'c'), None)
    """
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


@dataclass(frozen=True, slots=True)
class Ref:
    """A read of a module-level name, with the attribute chain hanging off it."""

    #: ``("pricing", "grand_total")`` for ``pricing.grand_total``.
    chain: tuple[str, ...]
    #: True for an activity target: named, but its body is not part of the workflow.
    opaque: bool = False


class _RefCollector(ast.NodeVisitor):
    """Collects `Ref`s to module-level names, resolving Python's scoping rules."""

    def __init__(self, qualify: Callable[[tuple[str, ...]], str | None]) -> None:
        self.qualify = qualify
        self.scopes: list[tuple[str, set[str]]] = []
        self.refs: list[Ref] = []

    def _is_local(self, name: str) -> bool:
        for depth, (kind, names) in enumerate(reversed(self.scopes)):
            # A class body's names are visible to its own statements only, not to the
            # functions and comprehensions nested in it.
            if kind == "class" and depth > 0:
                continue
            if name in names:
                return True
        return False

    def _ref(self, chain: tuple[str, ...], *, opaque: bool = False) -> None:
        if not self._is_local(chain[0]):
            self.refs.append(Ref(chain, opaque))

    def visit_Name(self, node: ast.Name) -> None:
        self._ref((node.id,))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted_chain(node)
        if chain is None:
            self.generic_visit(node)
        else:
            self._ref(chain)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.refs.append(Ref((name,)))

    def visit_Call(self, node: ast.Call) -> None:
        chain = dotted_chain(node.func)
        kind = None
        if chain is not None and not self._is_local(chain[0]):
            kind = effect_kind(self.qualify(chain))
        if kind != "activity":
            self.generic_visit(node)
            return
        # An activity's target (and its compensation) is named, not followed: activities
        # may change without changing the workflow's version.
        self.visit(node.func)
        for position, arg in enumerate(node.args):
            target = dotted_chain(arg) if position == 0 else None
            if target is not None:
                self._ref(target, opaque=True)
            else:
                self.visit(arg)
        for keyword in node.keywords:
            target = dotted_chain(keyword.value) if keyword.arg == "compensate" else None
            if target is not None:
                self._ref(target, opaque=True)
            else:
                self.visit(keyword.value)

    def _visit_signature(self, args: ast.arguments) -> None:
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self.visit(default)
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_signature(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        bound, _ = bound_names(node.body)
        self.scopes.append(("function", bound | _parameters(node.args)))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_signature(node.args)
        self.scopes.append(("function", _parameters(node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(expr)
        bound, _ = bound_names(node.body)
        self.scopes.append(("class", bound))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    ) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        targets, _ = bound_names([g.target for g in node.generators])
        self.scopes.append(("comprehension", targets))
        for condition in first.ifs:
            self.visit(condition)
        for generator in rest:
            self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        elements = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
        for element in elements:
            self.visit(element)
        self.scopes.pop()

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_DictComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension


def references(stmt: ast.stmt, table: ModuleTable) -> tuple[Ref, ...]:
    """The module-level names ``stmt`` (a top-level statement of ``table``) refers to."""
    found = table.refs.get(id(stmt))
    if found is None:
        collector = _RefCollector(table.qualify)
        collector.visit(stmt)
        found = table.refs[id(stmt)] = tuple(collector.refs)
    return found
