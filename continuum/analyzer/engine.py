"""Analyze one file into a `FileSummary`: decode, parse, one traversal, positions if needed.

`summarize` never raises: a file that does not decode, parse or analyze becomes a summary
carrying CN902, CN901 or CN903 (the LibCST codemod runner's result-not-exception rule).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tokenize
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from . import denylist
from .diagnostics import CODES, Diagnostic
from .project import ProjectIndex, display_path
from .resolve import Resolver, Settings
from .rule import FileContext, Frame, RawRecord, Rule
from .summary import (
    ClassSummary,
    EffectCall,
    Edge,
    FileSummary,
    Finding,
    FunctionSummary,
    GlobalInfo,
    Pos,
)
from .suppressions import parse_suppressions

logger = logging.getLogger(__name__)

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


def content_hash(data: bytes) -> str:
    """The cache identity of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def code_of(node: cst.CSTNode) -> str:
    """Source text of ``node`` on one line (for labels)."""
    text = cst.Module([]).code_for_node(node)
    return " ".join(text.split())


class _RefCollector(cst.CSTVisitor):
    """Maximal dotted names (``a.b.c`` but not its ``a.b``) inside an expression."""

    def __init__(self) -> None:
        self.refs: list[cst.Name | cst.Attribute] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.refs.append(node)
        return not isinstance(node.value, cst.Name | cst.Attribute)

    def visit_Name(self, node: cst.Name) -> None:
        self.refs.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def refs_in(node: cst.CSTNode) -> list[cst.Name | cst.Attribute]:
    """Maximal dotted names inside ``node``."""
    collector = _RefCollector()
    node.visit(collector)
    return collector.refs


def _target_names(target: cst.BaseExpression) -> Iterable[cst.Name]:
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


def literal_strings(node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """The strings of a literal list/tuple/set of plain strings, else None."""
    if not isinstance(node, cst.List | cst.Tuple | cst.Set):
        return None
    values: list[str] = []
    for element in node.elements:
        value = element.value
        if not isinstance(value, cst.SimpleString):
            return None
        evaluated = value.evaluated_value
        if not isinstance(evaluated, str):
            return None
        values.append(evaluated)
    return tuple(values)



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
            not_refs.update(id(n) for n in _target_names(value))

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
#: Not workflow code, or read directly by the engine: never descended into.
_OPAQUE: frozenset[type] = frozenset({cst.Annotation, cst.Decorator})
#: Visited (rules see them) but their children are not.
_LEAVES: frozenset[type] = frozenset({cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom})


class _Walker(cst.CSTVisitor):
    """One traversal: maintains the `FileContext` and dispatches to every rule's hooks."""

    # ScopeProvider directly: QualifiedNameProvider only wraps scope lookups and costs
    # one more traversal of the whole tree.
    METADATA_DEPENDENCIES = (ScopeProvider,)

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

    # -- traversal -------------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        ctx = self.ctx
        if id(node) in ctx.skipped:
            return False
        kind = type(node)
        if kind in _OPAQUE:
            return False
        if kind is cst.Module:
            self._prepass(node)  # type: ignore[arg-type]
        elif kind is cst.ClassDef:
            self._enter_class(node)  # type: ignore[arg-type]
        elif kind is cst.FunctionDef:
            self._enter_function(node)  # type: ignore[arg-type]
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
        if kind is cst.FunctionDef and ctx.frames and ctx.frames[-1].node is node:
            ctx.frames.pop()
        elif kind is cst.ClassDef and id(node) in self._class_nodes:
            self._class_stack.pop()

    # -- state -----------------------------------------------------------------------
    def _enter_class(self, node: cst.ClassDef) -> None:
        ctx = self.ctx
        ctx.not_refs.add(id(node.name))
        if ctx.frames:
            return
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
            if self.ctx.resolver.name(call.func if call else expr) in denylist.DETERMINISTIC_MARKERS:
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
            from .resolve import absolutize

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
                for name in _target_names(target):
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
        elif effect == "await_signal" and first is not None:
            if isinstance(first.value, cst.SimpleString):
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


def _pos(positions: dict, node: cst.CSTNode, stmt: cst.CSTNode | None) -> Pos:
    rng: CodeRange = positions[node]
    stmt_line = positions[stmt].start.line if stmt is not None and stmt in positions else 0
    return Pos(
        line=rng.start.line,
        column=rng.start.column + 1,
        end_line=rng.end.line,
        end_column=rng.end.column + 1,
        stmt_line=stmt_line or rng.start.line,
    )


def _split(records: list[RawRecord], positions: dict | None) -> tuple[tuple, tuple, tuple]:
    findings: list[Finding] = []
    edges: list[Edge] = []
    effects: list[EffectCall] = []
    for record in records:
        item = record.item
        if positions is not None:
            pos = _pos(positions, record.node, record.stmt)
            item = _with_pos(item, pos)
        if isinstance(item, Finding):
            findings.append(item)
        elif isinstance(item, Edge):
            edges.append(item)
        else:
            effects.append(item)
    return tuple(findings), tuple(edges), tuple(effects)


def _with_pos(item: Finding | Edge | EffectCall, pos: Pos) -> Finding | Edge | EffectCall:
    from dataclasses import replace

    return replace(item, pos=pos)


def _error(path: str, code: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        code=code,
        message=message,
        severity=CODES[code].severity,
    )


def _decode(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def summarize(
    path: Path,
    data: bytes,
    *,
    settings: Settings,
    index: ProjectIndex,
    rules: Sequence[type[Rule]] | None = None,
) -> FileSummary:
    """Analyze one file. Never raises: failures become CN901–CN903 in ``errors``."""
    shown = display_path(path)
    digest = content_hash(data)
    module, _root = index.module_for_path(path)
    is_package = path.name == "__init__.py"
    try:
        text = _decode(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return FileSummary(
            shown, module, digest, errors=(_error(shown, "CN902", f"cannot decode file: {exc}"),)
        )
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        message = f"syntax error: {exc.message}"
        return FileSummary(
            shown,
            module,
            digest,
            errors=(_error(shown, "CN901", message, exc.raw_line, exc.raw_column + 1),),
        )
    except Exception as exc:  # the native parser can fail in other ways on odd input
        return FileSummary(
            shown,
            module,
            digest,
            errors=(_error(shown, "CN901", f"syntax error: {type(exc).__name__}: {exc}"),),
        )
    try:
        return _analyze(shown, module, is_package, digest, tree, text, settings, index, rules)
    except Exception as exc:  # CN903: one file's failure must not stop the run
        logger.debug("analyzer crashed on %s", shown, exc_info=True)
        summary = f"{type(exc).__name__}: {exc}".strip()
        return FileSummary(
            shown,
            module,
            digest,
            errors=(_error(shown, "CN903", f"analyzer failed on {shown}: {summary[:300]}"),),
        )


def _analyze(
    shown: str,
    module: str,
    is_package: bool,
    digest: str,
    tree: cst.Module,
    text: str,
    settings: Settings,
    index: ProjectIndex,
    rules: Sequence[type[Rule]] | None,
) -> FileSummary:
    from .rules import ALL_RULES

    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    walker_holder: list[_Walker] = []

    def lookup(node: cst.CSTNode) -> Iterable:
        scope = walker_holder[0].get_metadata(ScopeProvider, node, None)
        return scope.get_qualified_names_for(node) if scope is not None else ()

    resolver = Resolver(module, is_package, settings, index, lookup)
    ctx = FileContext(module=module, is_package=is_package, resolver=resolver)
    instances = [rule(ctx) for rule in (ALL_RULES if rules is None else rules)]
    walker = _Walker(ctx, instances)
    walker_holder.append(walker)
    wrapper.visit(walker)

    records = [r for frame in walker.functions for r in frame.records] + ctx.module_records
    positions = dict(wrapper.resolve(PositionProvider)) if records else None
    functions: dict[str, FunctionSummary] = {}
    for frame in walker.functions:
        findings, edges, effects = _split(frame.records, positions)
        functions[frame.qualname] = FunctionSummary(
            qualname=frame.qualname,
            is_async=frame.node.asynchronous is not None,
            deterministic=frame.deterministic,
            findings=findings,
            edges=edges,
            effects=effects,
        )
    module_findings, _, module_effects = _split(ctx.module_records, positions)
    return FileSummary(
        path=shown,
        module=module,
        content_hash=digest,
        functions=functions,
        classes=walker.classes,
        imports=walker.imports,
        globals=walker.globals,
        module_findings=module_findings
        + tuple(
            Finding(
                code="CN302",
                label=f"{e.name}()",
                message=f"`{e.name}()` runs at import time, outside any workflow",
                hint="call effects only from workflow code (the workflow class and its helpers)",
                pos=e.pos,
            )
            for e in module_effects
        ),
        suppressions=parse_suppressions(text),
    )
