"""Python name binding, just enough to resolve names to qualified names quickly.

LibCST's ``ScopeProvider`` answers the same questions, but it needs two extra full
traversals of every file through LibCST's node-rebuilding visitor and was about two
thirds of the analysis time. This module follows Python's rules directly: a name bound
anywhere in a function (parameter, assignment, ``for``/``with``/``except`` target,
import, ``def``/``class``, walrus) is local to the whole function unless declared
``global``/``nonlocal``; class bodies are skipped by the functions inside them;
comprehensions and lambdas have their own scopes; unbound names fall back to builtins.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from .cst_helpers import target_names, traverse
from .resolve import LOCAL, absolutize

_BUILTINS = frozenset(dir(builtins))
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(slots=True)
class Scope:
    """Names bound in one scope: name → qualified names (or `LOCAL`)."""

    kind: str  # module | class | function
    names: dict[str, list[str]] = field(default_factory=dict)
    #: Names declared ``global`` here (they resolve in the module scope).
    globals: set[str] = field(default_factory=set)

    def bind(self, name: str, value: str) -> None:
        values = self.names.setdefault(name, [])
        if value not in values:
            values.append(value)


class _Binder:
    """Collects the bindings of one scope without entering nested scopes."""

    def __init__(self, scope: Scope, module: str, is_package: bool, prefix: str = "") -> None:
        self.scope = scope
        self.module = module
        self.is_package = is_package
        #: For a module-level class body: ``"module:Class."`` (its names are attributes).
        self.prefix = prefix

    def local(self, name: str) -> str:
        if self.scope.kind == "module":
            return f"{self.module}:{name}"
        if self.scope.kind == "class" and self.prefix:
            return f"{self.prefix}{name}"
        return LOCAL

    def bind_target(self, target: cst.CSTNode) -> None:
        for name in target_names(target):
            self.scope.bind(name.value, self.local(name.value))

    def statements(self, body: Iterable[cst.CSTNode]) -> None:
        for node in body:
            self.node(node)

    def node(self, node: cst.CSTNode) -> None:
        """Bind the names ``node`` and its descendants bind in this scope."""
        traverse(node, self._bind)

    def _bind(self, node: cst.CSTNode) -> bool:
        """Record what ``node`` binds; True when its children belong to this scope too."""
        kind = type(node)
        if kind in (cst.FunctionDef, cst.ClassDef):
            self.scope.bind(node.name.value, self.local(node.name.value))  # type: ignore[attr-defined]
            return False  # decorators, defaults and bases only read names
        if kind is cst.Lambda or kind in _COMPREHENSIONS:
            self._walrus(node)
            return False
        if kind is cst.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                dotted = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.scope.bind(alias.asname.name.value, dotted)
                else:
                    top = dotted.partition(".")[0]
                    self.scope.bind(top, top)
            return False
        if kind is cst.ImportFrom:
            self._import_from(node)  # type: ignore[arg-type]
            return False
        if kind is cst.Global:
            for item in node.names:  # type: ignore[attr-defined]
                self.scope.globals.add(item.name.value)
            return False
        if kind is cst.Nonlocal:
            for item in node.names:  # type: ignore[attr-defined]
                self.scope.bind(item.name.value, LOCAL)
            return False
        if kind is cst.AssignTarget or kind in (
            cst.AugAssign,
            cst.AnnAssign,
            cst.NamedExpr,
            cst.For,
        ):
            self.bind_target(node.target)  # type: ignore[attr-defined]
        elif kind is cst.AsName:
            self.bind_target(node.name)  # type: ignore[attr-defined]
        elif kind is cst.Del:
            self.bind_target(node.target)  # type: ignore[attr-defined]
        return True

    def _walrus(self, root: cst.CSTNode) -> None:
        # A walrus inside a comprehension binds in the enclosing function scope.
        def visit(node: cst.CSTNode) -> bool:
            if node is root:
                return True
            if isinstance(node, cst.NamedExpr):
                self.bind_target(node.target)
            return not isinstance(node, cst.Lambda | cst.FunctionDef | cst.ClassDef)

        traverse(root, visit)

    def _import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        base = "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")
        for alias in node.names:
            name = _dotted(alias.name)
            local = (
                alias.asname.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                else name
            )
            joined = base + name if base.endswith(".") or not base else f"{base}.{name}"
            self.scope.bind(local, absolutize(joined, self.module, self.is_package))


def _dotted(node: cst.CSTNode) -> str:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return ""
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_scope(module: cst.Module, name: str, is_package: bool) -> Scope:
    """Bindings of a module's top level."""
    scope = Scope("module")
    _Binder(scope, name, is_package).statements(module.body)
    return scope


def class_scope(node: cst.ClassDef, module: str, is_package: bool, qualname: str = "") -> Scope:
    """Bindings of a class body (``qualname`` given for module-level classes)."""
    scope = Scope("class")
    prefix = f"{module}:{qualname}." if qualname else ""
    _Binder(scope, module, is_package, prefix).node(node.body)
    return scope


def function_scope(node: cst.FunctionDef | cst.Lambda, module: str, is_package: bool) -> Scope:
    """Bindings of a function or lambda: its parameters and everything bound in its body."""
    scope = Scope("function")
    binder = _Binder(scope, module, is_package)
    params = node.params
    for param in (
        *params.posonly_params,
        *params.params,
        *params.kwonly_params,
        *(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)),
    ):
        scope.bind(param.name.value, LOCAL)
    binder.node(node.body)
    return scope


def comprehension_scope(node: cst.CSTNode) -> Scope:
    """Bindings of a comprehension: the targets of its ``for`` clauses."""
    scope = Scope("function")
    comp = getattr(node, "for_in", None)
    while isinstance(comp, cst.CompFor):
        for name in target_names(comp.target):
            scope.bind(name.value, LOCAL)
        comp = comp.inner_for_in
    return scope


class ScopeStack:
    """The scopes enclosing the node being visited, innermost last."""

    def __init__(self, module: Scope, name: str) -> None:
        self.stack: list[Scope] = [module]
        self.module_name = name

    def push(self, scope: Scope) -> None:
        self.stack.append(scope)

    def pop(self) -> None:
        self.stack.pop()

    def lookup(self, name: str) -> Sequence[str]:
        """Qualified names ``name`` may refer to here ([`LOCAL`] for locals)."""
        innermost = self.stack[-1]
        module = self.stack[0]
        for i in range(len(self.stack) - 1, 0, -1):
            scope = self.stack[i]
            if scope.kind == "class" and scope is not innermost:
                continue  # functions do not see the class body's names
            if name in scope.globals:
                # ``global X`` then ``X = …`` in a function creates a module-level name.
                return module.names.get(name) or [f"{self.module_name}:{name}"]
            found = scope.names.get(name)
            if found is not None:
                return found
        found = module.names.get(name)
        if found is not None:
            return found
        if name in _BUILTINS:
            return [f"builtins.{name}"]
        # Unbound here: at run time Python looks it up in the module's globals (assigned
        # through ``global`` elsewhere, or brought in by a star import).
        return [f"{self.module_name}:{name}"]
