"""The single traversal of a file: scope and context bookkeeping, dispatch to the rules.

The walker keeps the shared per-file state in the `FileContext` (current function,
statement, scopes, skipped regions), records references to project names (edges) and
effect calls, and calls every rule's ``visit_<Node>``/``leave_<Node>`` hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import libcst as cst

from . import denylist, scopes
from .cst_helpers import code_of, literal_strings, refs_in, target_names, traverse
from .resolve import Resolver, absolutize
from .rule import FileContext, Frame, Rule
from .scopes import ScopeStack
from .summary import ClassSummary, Edge, EffectCall, GlobalInfo

_MUTABLE_CALLS = frozenset(
    {
        "builtins.list",
        "builtins.dict",
        "builtins.set",
        "builtins.bytearray",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.deque",
        "collections.Counter",
    }
)
_MUTABLE_NODES = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp)


def _mark_call(not_refs: set[int], callees: set[int], node: cst.Call) -> None:
    callees.add(id(node.func))


def _mark_attribute(not_refs: set[int], callees: set[int], node: cst.Attribute) -> None:
    # Only the whole dotted name is a reference; its parts are not.
    not_refs.add(id(node.attr))
    if type(node.value) in (cst.Name, cst.Attribute):
        not_refs.add(id(node.value))


def _mark_name_attr(attr: str) -> Callable[[set[int], set[int], cst.CSTNode], None]:
    def mark(not_refs: set[int], callees: set[int], node: cst.CSTNode) -> None:
        value = getattr(node, attr)
        if value is not None:
            not_refs.update(id(n) for n in target_names(value))

    return mark


def _mark_keyword(not_refs: set[int], callees: set[int], node: cst.Arg) -> None:
    if node.keyword is not None:
        not_refs.add(id(node.keyword))


#: Per node type: how to mark the names it binds (not references). A dict lookup is much
#: cheaper than isinstance() against LibCST's abstract classes on every node.
_MARKERS: dict[type, Callable[..., None]] = {
    cst.Call: _mark_call,
    cst.Attribute: _mark_attribute,
    cst.Param: _mark_name_attr("name"),
    cst.Arg: _mark_keyword,
    cst.AsName: _mark_name_attr("name"),
    cst.AssignTarget: _mark_name_attr("target"),
    cst.AnnAssign: _mark_name_attr("target"),
    cst.AugAssign: _mark_name_attr("target"),
    cst.NamedExpr: _mark_name_attr("target"),
    cst.For: _mark_name_attr("target"),
    cst.CompFor: _mark_name_attr("target"),
}
_STATEMENTS: frozenset[type] = frozenset(
    {cst.SimpleStatementLine}
    | {
        c
        for c in vars(cst).values()
        if isinstance(c, type) and issubclass(c, cst.BaseCompoundStatement)
    }
)
_COMPREHENSIONS: frozenset[type] = frozenset(
    {cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp}
)
#: Not workflow code, or read directly by the engine: never descended into.
_OPAQUE: frozenset[type] = frozenset({cst.Annotation, cst.Decorator})
#: Visited (rules see them) but their children are not.
_LEAVES: frozenset[type] = frozenset({cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom})


class Walker(cst.CSTVisitor):
    """One traversal: maintains the `FileContext` and dispatches to every rule's hooks.

    It walks the tree itself (`walk`) instead of through ``CSTNode.visit``: LibCST's
    visitor rebuilds every node on the way back up, even for read-only visitors, which
    made that traversal the most expensive step of the analysis.
    """

    def __init__(self, ctx: FileContext, rules: Sequence[Rule]) -> None:
        super().__init__()
        self.ctx = ctx
        self._visit: dict[str, list] = {}
        self._leave: dict[str, list] = {}
        for rule in rules:
            for attr in dir(rule):
                if attr.startswith("visit_"):
                    self._visit.setdefault(attr[6:], []).append(getattr(rule, attr))
                elif attr.startswith("leave_"):
                    self._leave.setdefault(attr[6:], []).append(getattr(rule, attr))
        self.classes: dict[str, ClassSummary] = {}
        self.globals: dict[str, GlobalInfo] = {}
        self.imports: dict[str, str] = {}
        self.functions: list[Frame] = []
        self._class_stack: list[str] = []
        self._class_nodes: set[int] = set()
        self._pending: dict[int, scopes.Scope] = {}
        self._opened: set[int] = set()

    # -- traversal -------------------------------------------------------------------
    def walk(self, node: cst.CSTNode) -> None:
        """Visit ``node`` and its children in source order (same hooks as ``visit``).

        Iterative (`traverse`): deeply nested code must not hit the recursion limit.
        """
        traverse(node, self.on_visit, self.on_leave)

    def on_visit(self, node: cst.CSTNode) -> bool:
        ctx = self.ctx
        if id(node) in ctx.skipped:
            return False
        kind = type(node)
        if kind in _OPAQUE:
            return False
        resolver = ctx.resolver
        if kind is cst.Module:
            resolver.scopes = ScopeStack(
                scopes.module_scope(node, ctx.module, ctx.is_package),  # type: ignore[arg-type]
                ctx.module,
            )
            self._prepass(node)  # type: ignore[arg-type]
        elif kind is cst.ClassDef:
            qualname = self._enter_class(node)  # type: ignore[arg-type]
            self._open(node, scopes.class_scope(node, ctx.module, ctx.is_package, qualname))  # type: ignore[arg-type]
        elif kind is cst.FunctionDef or kind is cst.Lambda:
            if kind is cst.FunctionDef:
                self._enter_function(node)  # type: ignore[arg-type]
            # Defaults and decorators are evaluated outside the function: its scope
            # starts at its body.
            scope = scopes.function_scope(node, ctx.module, ctx.is_package)  # type: ignore[arg-type]
            self._pending[id(node.body)] = scope  # type: ignore[attr-defined]
        elif kind in _COMPREHENSIONS:
            self._open(node, scopes.comprehension_scope(node))
        pending = self._pending.pop(id(node), None)
        if pending is not None:
            self._open(node, pending)
        if kind in _STATEMENTS:
            ctx.statements.append(node)
        mark = _MARKERS.get(kind)
        if mark is not None:
            mark(ctx.not_refs, ctx.callees, node)
        for hook in self._visit.get(kind.__name__, ()):
            hook(node)
        if kind is cst.Call:
            self._call(node)  # type: ignore[arg-type]
        elif (kind is cst.Name or kind is cst.Attribute) and id(node) not in ctx.not_refs:
            self._reference(node)  # type: ignore[arg-type]
        return kind not in _LEAVES

    def on_leave(self, original_node: cst.CSTNode) -> None:
        node = original_node
        ctx = self.ctx
        kind = type(node)
        if kind in _OPAQUE or id(node) in ctx.skipped:
            return
        for hook in self._leave.get(kind.__name__, ()):
            hook(node)
        if kind in _STATEMENTS:
            ctx.statements.pop()
        if id(node) in self._opened:
            self._opened.discard(id(node))
            ctx.resolver.scopes.pop()
        if kind is cst.FunctionDef and ctx.frames and ctx.frames[-1].node is node:
            ctx.frames.pop()
        elif kind is cst.ClassDef and id(node) in self._class_nodes:
            self._class_stack.pop()

    # -- state -----------------------------------------------------------------------
    def _open(self, node: cst.CSTNode, scope: scopes.Scope) -> None:
        self.ctx.resolver.scopes.push(scope)  # type: ignore[union-attr]
        self._opened.add(id(node))

    def _enter_class(self, node: cst.ClassDef) -> str:
        """Record a module-level class; returns its qualname ("" inside a function)."""
        ctx = self.ctx
        ctx.not_refs.add(id(node.name))
        if ctx.frames:
            return ""
        qualname = ".".join([*self._class_stack, node.name.value])
        self._class_stack.append(node.name.value)
        self._class_nodes.add(id(node))
        bases = tuple(
            ctx.resolver.name(arg.value) or code_of(arg.value)
            for arg in node.bases
            if arg.keyword is None
        )
        signals = None
        for kw in node.keywords:
            if kw.keyword is not None and kw.keyword.value == "signals":
                signals = literal_strings(kw.value)
        methods: list[str] = []
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                methods.append(stmt.name.value)
        self.classes[qualname] = ClassSummary(
            qualname=qualname, bases=bases, methods=tuple(methods), signals=signals
        )
        # Class keywords and bases run at import time: not workflow code.
        for arg in (*node.bases, *node.keywords):
            ctx.skipped.add(id(arg))
        return qualname

    def _enter_function(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        ctx.not_refs.add(id(node.name))
        if ctx.frames:
            ctx.frames[-1].nested_defs.add(node.name.value)
            return
        qualname = ".".join([*self._class_stack, node.name.value])
        self_name = ""
        decorators = [self._decorator_name(d) for d in node.decorators]
        if self._class_stack and "builtins.staticmethod" not in decorators:
            params = [*node.params.posonly_params, *node.params.params]
            if params:
                self_name = params[0].name.value
        frame = Frame(qualname=qualname, node=node, self_name=self_name)
        frame.deterministic = self._deterministic(node)
        ctx.frames.append(frame)
        self.functions.append(frame)

    def _decorator_name(self, decorator: cst.Decorator) -> str:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        return self.ctx.resolver.name(expr)

    def _deterministic(self, node: cst.FunctionDef) -> tuple[str, ...] | None:
        for decorator in node.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            if (
                self.ctx.resolver.name(call.func if call else expr)
                in denylist.DETERMINISTIC_MARKERS
            ):
                allow: tuple[str, ...] = ()
                for arg in call.args if call else ():
                    if arg.keyword is not None and arg.keyword.value == "allow":
                        allow = literal_strings(arg.value) or ()
                return allow
        return None

    # -- module-level facts ----------------------------------------------------------------
    def _prepass(self, module: cst.Module) -> None:
        for stmt in self._module_statements(module.body):
            self._module_statement(stmt)

    def _module_statements(self, body: Sequence[cst.CSTNode]) -> Iterable[cst.BaseSmallStatement]:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            elif isinstance(stmt, cst.If | cst.Try | cst.With):
                yield from self._module_statements(stmt.body.body)
                if isinstance(stmt, cst.If) and stmt.orelse is not None:
                    yield from self._module_statements([stmt.orelse])
                if isinstance(stmt, cst.Try):
                    for handler in stmt.handlers:
                        yield from self._module_statements(handler.body.body)
            elif isinstance(stmt, cst.Else):
                yield from self._module_statements(stmt.body.body)

    def _module_statement(self, stmt: cst.BaseSmallStatement) -> None:
        resolver = self.ctx.resolver
        if isinstance(stmt, cst.Import):
            for alias in stmt.names:
                dotted = code_of(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.imports[alias.asname.name.value] = dotted
                else:
                    top = dotted.partition(".")[0]
                    self.imports[top] = top
        elif isinstance(stmt, cst.ImportFrom):
            dots = "." * len(stmt.relative)
            base = dots + (code_of(stmt.module) if stmt.module is not None else "")
            if isinstance(stmt.names, cst.ImportStar):
                return
            for alias in stmt.names:
                name = code_of(alias.name)
                local = (
                    alias.asname.name.value
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                    else name
                )
                joined = f"{base}.{name}" if not base.endswith(".") else base + name
                self.imports[local] = absolutize(joined, self.ctx.module, self.ctx.is_package)
        elif isinstance(stmt, cst.Assign | cst.AnnAssign):
            value = stmt.value
            if value is None:
                return
            targets = (
                [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
            )
            info = self._global_info(value, resolver)
            for target in targets:
                for name in target_names(target):
                    self.globals[name.value] = info

    def _global_info(self, value: cst.BaseExpression, resolver: Resolver) -> GlobalInfo:
        taint: list[tuple[str, str, str]] = []
        settings = resolver.settings
        for ref in refs_in(value):
            for dotted in resolver.names(ref):
                hit = settings.denied(dotted)
                if hit is not None:
                    taint.append((hit[1], code_of(ref), hit[2]))
                    break
        alias = ""
        if isinstance(value, cst.Name | cst.Attribute):
            alias = resolver.name(value)
        mutable = isinstance(value, _MUTABLE_NODES) or (
            isinstance(value, cst.Call) and resolver.name(value.func) in _MUTABLE_CALLS
        )
        return GlobalInfo(taint=tuple(dict.fromkeys(taint)), alias=alias, mutable=mutable)

    # -- references, edges and effects -----------------------------------------------------
    def _reference(self, node: cst.Name | cst.Attribute) -> None:
        ctx = self.ctx
        frame = ctx.frame
        if frame is None:
            return
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and frame.self_name
            and node.value.value == frame.self_name
        ):
            ctx.add(node, Edge(f"self:{node.attr.value}", code_of(node)), at_module=False)
            return
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Call)
            and isinstance(node.value.func, cst.Name)
            and node.value.func.value == "super"
        ):
            ctx.add(node, Edge(f"super:{node.attr.value}", code_of(node)), at_module=False)
            return
        for dotted in ctx.resolver.names(node):
            kind = ctx.resolver.kind(dotted)
            if kind in {"local", "project"}:
                ctx.add(node, Edge(dotted, code_of(node)), at_module=False)
                return

    def _call(self, node: cst.Call) -> None:
        ctx = self.ctx
        names = ctx.resolver.names(node.func)
        effect = next((e for e in map(denylist.effect_name, names) if e), None)
        if effect is None:
            return
        first = next((a for a in node.args if a.keyword is None and a.star == ""), None)
        compensate = "absent"
        signal = None
        target = target_label = ""
        if first is not None:
            target_label = code_of(first.value)
            if isinstance(first.value, cst.Name | cst.Attribute):
                target = ctx.resolver.name(first.value)
        if effect == "activity":
            if first is not None:
                ctx.skipped.add(id(first.value))
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "compensate":
                    ctx.skipped.add(id(arg.value))
                    is_none = isinstance(arg.value, cst.Name) and arg.value.value == "None"
                    compensate = "none" if is_none else "set"
        elif effect == "side_effect":
            for arg in node.args:
                ctx.skipped.add(id(arg.value))
        elif (
            effect == "await_signal"
            and first is not None
            and isinstance(first.value, cst.SimpleString)
        ):
            evaluated = first.value.evaluated_value
            signal = evaluated if isinstance(evaluated, str) else None
        call = EffectCall(
            name=effect,
            compensate=compensate,
            signal=signal,
            target=target,
            target_label=target_label,
        )
        ctx.add(node, call, at_module=True)
