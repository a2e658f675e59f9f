"""From workflow classes to everything they reach, and the findings along the way.

For each workflow class, every method visible through its (project) base classes is an
entry. A breadth-first walk from each entry over the call graph (``self.`` methods resolved
on the workflow class, module-level helpers, functions of other project modules) visits
every reachable function exactly once, so recursion and cycles cannot hide a finding; the
walk records the first edge that reached each function, which gives the shortest chain.
Activity targets and ``side_effect`` arguments never appear as edges (the engine skips
them); trusted (``@deterministic``) functions are not entered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from .denylist import REASONS
from .diagnostics import CODES, ChainHop, Diagnostic
from .project import ProjectIndex
from .resolve import Settings
from .summary import (
    ClassSummary,
    Edge,
    EffectCall,
    FileSummary,
    Finding,
    FunctionSummary,
    GlobalInfo,
    Pos,
)

FuncKey = tuple[str, str]  # (module, qualname)
ClassKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class RawDiagnostic:
    """A diagnostic before selection and suppression, with where it really comes from."""

    diagnostic: Diagnostic
    #: Position the suppression is looked up at first (the primary location).
    pos: Pos
    #: For chains: the file and position of the bad call itself ("" when direct).
    origin_path: str = ""
    origin_pos: Pos = field(default_factory=Pos)


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str  # function | class | global
    module: str
    qualname: str
    info: GlobalInfo | None = None


class Project:
    """Summaries by module, loaded on demand; records which files an analysis touched."""

    def __init__(
        self,
        index: ProjectIndex,
        settings: Settings,
        load: Callable[[str], FileSummary | None],
        reload_positioned: Callable[[FileSummary], FileSummary] | None = None,
    ) -> None:
        self.index = index
        self.settings = settings
        self._load = load
        self._reload = reload_positioned
        self._by_module: dict[str, FileSummary | None] = {}
        self.touched: set[str] = set()
        #: id(edge of a position-less summary) → its real position (see `edge_pos`).
        self._edge_pos: dict[int, Pos] = {}
        #: Replaced summaries, kept alive so the ids in ``_edge_pos`` stay unique.
        self._retired: list[FileSummary] = []

    def add(self, summary: FileSummary) -> None:
        """Register an already computed summary."""
        self._by_module.setdefault(summary.module, summary)

    def edge_pos(self, module: str, edge: Edge) -> Pos:
        """The position of ``edge`` (of a function of ``module``), computing it if needed.

        Files that only reference other code are summarized without positions; the first
        time a reported chain runs through one, it is analyzed again with positions.
        """
        known = self._edge_pos.get(id(edge))
        if known is not None:
            return known
        summary = self._by_module.get(module)
        if summary is None or summary.positioned or self._reload is None:
            return edge.pos
        fresh = self._reload(summary)
        self._retired.append(summary)
        self._by_module[module] = fresh
        for qual, old_fn in summary.functions.items():
            new_fn = fresh.functions.get(qual)
            if new_fn is not None and len(new_fn.edges) == len(old_fn.edges):
                for old, new in zip(old_fn.edges, new_fn.edges, strict=True):
                    self._edge_pos[id(old)] = new.pos
        return self._edge_pos.get(id(edge), edge.pos)

    def get(self, module: str) -> FileSummary | None:
        """The summary of a project module, or None when it is not in the project."""
        if module not in self._by_module:
            self._by_module[module] = self._load(module)
        summary = self._by_module[module]
        if summary is not None:
            self.touched.add(summary.path)
        return summary

    # -- resolution ----------------------------------------------------------------------
    def resolve(self, ref: str, depth: int = 0) -> list[_Target]:
        """What a reference (``"module:qualname"`` or dotted) points at in the project."""
        if depth > 8:
            return []
        if ":" in ref:
            module, _, qual = ref.partition(":")
        else:
            split = self.index.split(ref)
            if split is None:
                return []
            module, qual = split
        summary = self.get(module)
        if summary is None or summary.errors or not qual:
            return []
        if qual in summary.functions:
            return [_Target("function", module, qual)]
        parts = qual.split(".")
        for i in range(len(parts), 0, -1):
            head, rest = ".".join(parts[:i]), parts[i:]
            if head in summary.classes:
                if not rest:
                    return [_Target("class", module, head)]
                if len(rest) == 1:
                    found = self.find_method((module, head), rest[0])
                    return [_Target("function", *found)] if found else []
                return []
        head, rest = parts[0], parts[1:]
        if head in summary.globals:
            return [_Target("global", module, head, summary.globals[head])]
        if head in summary.imports:
            return self.resolve(".".join([summary.imports[head], *rest]), depth + 1)
        return []

    def class_summary(self, key: ClassKey) -> ClassSummary | None:
        summary = self.get(key[0])
        return summary.classes.get(key[1]) if summary else None

    def bases(self, key: ClassKey) -> list[ClassKey]:
        cls = self.class_summary(key)
        out: list[ClassKey] = []
        for base in cls.bases if cls else ():
            for target in self.resolve(base):
                if target.kind == "class":
                    out.append((target.module, target.qualname))
        return out

    def mro(self, key: ClassKey) -> list[ClassKey]:
        """Project classes in method-lookup order (depth-first, left to right, no repeats)."""
        order: list[ClassKey] = []
        stack = [key]
        while stack:
            current = stack.pop(0)
            if current in order:
                continue
            order.append(current)
            stack[:0] = self.bases(current)
        return order

    def find_method(
        self, key: ClassKey, name: str, after: ClassKey | None = None
    ) -> FuncKey | None:
        """Where ``name`` is defined for class ``key`` (optionally only after ``after``)."""
        mro = self.mro(key)
        if after is not None and after in mro:
            mro = mro[mro.index(after) + 1 :]
        for module, cls in mro:
            summary = self.get(module)
            qual = f"{cls}.{name}"
            if summary and qual in summary.functions:
                return module, qual
        return None

    def is_workflow(self, key: ClassKey, seen: frozenset[ClassKey] = frozenset()) -> bool:
        """Whether the class derives (through project classes) from a workflow base."""
        cls = self.class_summary(key)
        if cls is None or key in seen:
            return False
        if any(base in self.settings.workflow_bases for base in cls.bases):
            return True
        return any(self.is_workflow(base, seen | {key}) for base in self.bases(key))

    def function(self, key: FuncKey) -> FunctionSummary | None:
        summary = self.get(key[0])
        return summary.functions.get(key[1]) if summary else None

    def path(self, module: str) -> str:
        summary = self.get(module)
        return summary.path if summary else ""


@dataclass(slots=True)
class _Walk:
    """One breadth-first walk from an entry method."""

    entry: FuncKey
    pred: dict[FuncKey, tuple[FuncKey, Edge] | None]
    order: list[FuncKey]
    #: Findings synthesized from edges (import-time values, aliases), per function.
    extra: dict[FuncKey, list[Finding]]


class WorkflowChecker:
    """Finds the workflows of one file and everything wrong in what they reach."""

    def __init__(self, project: Project, deterministic: frozenset[str]) -> None:
        self.project = project
        self.deterministic = deterministic
        self.reached: set[FuncKey] = set()

    # -- walking -----------------------------------------------------------------------
    def _trusted(self, key: FuncKey, fn: FunctionSummary) -> bool:
        return fn.deterministic == () or f"{key[0]}:{key[1]}" in self.deterministic

    def _self_class(self, workflow: ClassKey, key: FuncKey) -> ClassKey | None:
        """The class ``self`` stands for inside function ``key`` reached from ``workflow``."""
        owner = (key[0], key[1].rpartition(".")[0])
        if not owner[1]:
            return None
        if owner in self.project.mro(workflow):
            return workflow
        return owner if self.project.class_summary(owner) else None

    def _targets(self, workflow: ClassKey, key: FuncKey, edge: Edge) -> Iterator[_Target]:
        project = self.project
        kind, _, name = edge.target.partition(":")
        if kind in {"self", "super"} and "." not in kind:
            cls = self._self_class(workflow, key)
            if cls is None:
                return
            after = (key[0], key[1].rpartition(".")[0]) if kind == "super" else None
            found = project.find_method(cls, name, after=after)
            if found:
                yield _Target("function", *found)
            return
        yield from project.resolve(edge.target)

    def walk(self, workflow: ClassKey, entry: FuncKey, entries: set[FuncKey]) -> _Walk:
        """Visit every function reachable from ``entry`` (other entries are not entered)."""
        project = self.project
        pred: dict[FuncKey, tuple[FuncKey, Edge] | None] = {entry: None}
        order: list[FuncKey] = []
        extra: dict[FuncKey, list[Finding]] = {}
        queue = deque([entry])
        while queue:
            key = queue.popleft()
            fn = project.function(key)
            if fn is None or self._trusted(key, fn):
                continue
            order.append(key)
            for edge in fn.edges:
                for target in self._targets(workflow, key, edge):
                    callees: list[FuncKey] = []
                    if target.kind == "function":
                        callees = [(target.module, target.qualname)]
                    elif target.kind == "class":
                        callees = [
                            found
                            for method in ("__new__", "__init__", "__post_init__")
                            if (
                                found := project.find_method(
                                    (target.module, target.qualname), method
                                )
                            )
                        ]
                    elif target.info is not None:
                        finding = self._global_finding(key, target, edge)
                        if finding is not None and not finding.pos.line:
                            finding = replace(finding, pos=project.edge_pos(key[0], edge))
                        if finding is not None:
                            extra.setdefault(key, []).append(finding)
                        if target.info.alias:
                            callees = [
                                (t.module, t.qualname)
                                for t in project.resolve(target.info.alias)
                                if t.kind == "function"
                            ]
                    for callee in callees:
                        if callee in pred or (callee in entries and callee != entry):
                            continue
                        pred[callee] = (key, edge)
                        queue.append(callee)
        self.reached.update(order)
        return _Walk(entry, pred, order, extra)

    def _global_finding(self, reader: FuncKey, target: _Target, edge: Edge) -> Finding | None:
        """A finding for reading a module-level name: an alias of a forbidden function, or a
        value computed at import by a forbidden call."""
        info = target.info
        if info is None:
            return None
        settings = self.project.settings
        if info.alias and ":" not in info.alias:
            hit = settings.denied(info.alias)
            if hit is not None:
                _key, code, hint = hit
                message = (
                    f"`{edge.label}` is `{info.alias}`, which {REASONS.get(code, 'is forbidden')}"
                )
                return Finding(code, edge.label, message, hint, edge.pos, target=info.alias)
        if info.taint:
            code, label, hint = info.taint[0]
            # Name the defining module only when it is not the reader's own.
            where = "" if target.module == reader[0] else f" in `{target.module}`"
            if code in {"CN106", "CN107"}:
                message = (
                    f"`{edge.label}` is created at import by `{label}`{where}; using it "
                    f"{REASONS[code]}"
                )
                return Finding(code, edge.label, message, hint, edge.pos)
            message = (
                f"`{edge.label}` is computed at import by `{label}`{where}: its value differs "
                "between workers"
            )
            return Finding(
                "CN110",
                edge.label,
                message,
                "pass the value as workflow input, or read it in an activity",
                edge.pos,
            )
        return None

    # -- reporting ---------------------------------------------------------------------
    def check_workflow(self, workflow: ClassKey) -> list[RawDiagnostic]:
        """All raw diagnostics of one workflow class."""
        project = self.project
        name = f"{workflow[0]}:{workflow[1]}"
        entries: dict[str, FuncKey] = {}
        for module, cls in project.mro(workflow):
            summary = project.get(module)
            for method in (
                summary.classes[cls].methods if summary and cls in summary.classes else ()
            ):
                if f"{cls}.{method}" in summary.functions:
                    entries.setdefault(method, (module, f"{cls}.{method}"))
        entry_set = set(entries.values())
        out: list[RawDiagnostic] = []
        seen_keys: set[tuple[str, str]] = set()
        reached: dict[FuncKey, None] = {}
        for method, entry in sorted(entries.items()):
            walk = self.walk(workflow, entry, entry_set)
            label = f"{workflow[1]}.{method}"
            for key in walk.order:
                reached.setdefault(key)
                fn = project.function(key)
                if fn is None:  # walk() only yields known functions
                    continue
                repeats: set[tuple[str, str]] = set()
                for finding in (*fn.findings, *walk.extra.get(key, ())):
                    if fn.deterministic and _allowed(finding, fn.deterministic):
                        continue
                    if key != entry:
                        # One diagnostic per problem and helper at the call site, not one
                        # per occurrence inside the helper.
                        if (finding.code, finding.label) in repeats:
                            continue
                        repeats.add((finding.code, finding.label))
                    if finding.key:
                        if (finding.code, finding.key) in seen_keys:
                            continue
                        seen_keys.add((finding.code, finding.key))
                    out.append(self._emit(name, label, walk, key, finding))
        out.extend(self._effects(workflow, name, list(reached)))
        return out

    def _emit(
        self, name: str, label: str, walk: _Walk, key: FuncKey, finding: Finding
    ) -> RawDiagnostic:
        project = self.project
        info = CODES[finding.code]
        path = project.path(key[0])
        if key == walk.entry:
            diagnostic = Diagnostic(
                path=path,
                line=finding.pos.line,
                column=finding.pos.column,
                code=finding.code,
                message=finding.message,
                severity=info.severity,
                hint=finding.hint,
                end_line=finding.pos.end_line,
                end_column=finding.pos.end_column,
                workflow=name,
            )
            return RawDiagnostic(diagnostic, finding.pos)
        # Rebuild the chain: entry → … → key, each hop with the line of its next call.
        steps: list[tuple[FuncKey, Edge]] = []
        current = key
        while (link := walk.pred.get(current)) is not None:
            steps.append(link)
            current = link[0]
        steps.reverse()
        lines = [project.edge_pos(caller[0], edge) for caller, edge in steps]
        primary = lines[0]
        hops = [ChainHop(label, project.path(walk.entry[0]), primary.line)]
        for i in range(len(steps)):
            callee = steps[i + 1][0] if i + 1 < len(steps) else key
            line = lines[i + 1].line if i + 1 < len(steps) else finding.pos.line
            hops.append(ChainHop(f"{callee[0]}.{callee[1]}", project.path(callee[0]), line))
        hops.append(ChainHop(finding.label, path, finding.pos.line))
        text = " → ".join([hops[0].label, *(str(h) for h in hops[1:-1]), hops[-1].label])
        diagnostic = Diagnostic(
            path=project.path(walk.entry[0]),
            line=primary.line,
            column=primary.column,
            code=finding.code,
            message=f"{finding.message}: {text}",
            severity=info.severity,
            hint=finding.hint,
            chain=tuple(hops),
            end_line=primary.end_line,
            end_column=primary.end_column,
            workflow=name,
        )
        return RawDiagnostic(diagnostic, primary, origin_path=path, origin_pos=finding.pos)

    def _effects(
        self, workflow: ClassKey, name: str, reached: list[FuncKey]
    ) -> list[RawDiagnostic]:
        """CN204, CN302 (activity targets calling effects), CN303 and CN304 over reached code."""
        project = self.project
        calls = [
            (key, call)
            for key in reached
            if (fn := project.function(key)) is not None
            for call in fn.effects
        ]
        names = {call.name for _, call in calls}
        signals = self._declared_signals(workflow)
        out: list[RawDiagnostic] = []
        for key, call in calls:
            if call.name == "activity":
                problems = self._activity_problems(call, names)
            elif call.name in {"start_child", "run_child"}:
                problems = self._child_problems(call)
            elif call.name == "await_signal":
                problems = _signal_problems(call, workflow, signals)
            else:
                continue
            for code, message, hint in problems:
                diagnostic = Diagnostic(
                    path=project.path(key[0]),
                    line=call.pos.line,
                    column=call.pos.column,
                    code=code,
                    message=message,
                    severity=CODES[code].severity,
                    hint=hint,
                    end_line=call.pos.end_line,
                    end_column=call.pos.end_column,
                    workflow=name,
                )
                out.append(RawDiagnostic(diagnostic, call.pos))
        return out

    def _declared_signals(self, workflow: ClassKey) -> tuple[str, ...] | None:
        """The ``signals=`` of the workflow or its nearest base that declares them."""
        for cls in self.project.mro(workflow):
            summary = self.project.class_summary(cls)
            if summary is not None and summary.signals is not None:
                return summary.signals
        return None

    def _activity_problems(self, call: EffectCall, names: set[str]) -> Iterator[_Problem]:
        """CN204 (compensation coverage) and CN302 (an activity target calling effects)."""
        if "compensate_all" in names and call.compensate == "absent":
            yield (
                "CN204",
                f"activity `{call.target_label}` has no `compensate=` but the workflow "
                "calls `compensate_all()`",
                "declare compensate=undo_fn, or compensate=None when there is nothing to undo",
            )
        elif call.compensate == "set" and not names & {"compensate", "compensate_all"}:
            yield (
                "CN204",
                f"activity `{call.target_label}` declares `compensate=` but nothing in "
                "the workflow calls `compensate()` or `compensate_all()`",
                "call compensate(ref) or compensate_all() on the failure path, or drop compensate=",
            )
        for target in self.project.resolve(call.target) if call.target else ():
            fn = self.project.function((target.module, target.qualname))
            if target.kind == "function" and fn is not None and fn.effects:
                yield (
                    "CN302",
                    f"activity target `{call.target_label}` calls `{fn.effects[0].name}()`; "
                    "effects only work in workflow code",
                    "call the effect from the workflow and pass results to the activity",
                )

    def _child_problems(self, call: EffectCall) -> Iterator[_Problem]:
        """CN304: a child that is not a Workflow class."""
        for target in self.project.resolve(call.target) if call.target else ():
            if target.kind == "global":
                continue  # a variable holding a class: nothing to say statically
            if target.kind == "class" and self.project.is_workflow(
                (target.module, target.qualname)
            ):
                continue
            what = "a function" if target.kind == "function" else "not a Workflow class"
            yield (
                "CN304",
                f"`{call.name}({call.target_label}, ...)`: `{call.target_label}` is {what}",
                f"pass a Workflow subclass: {call.name}(OrderFlow, input, id=...)",
            )


#: One problem of an effect call: (code, message, hint).
_Problem = tuple[str, str, str]


def _signal_problems(
    call: EffectCall, workflow: ClassKey, signals: tuple[str, ...] | None
) -> Iterator[_Problem]:
    """CN303: awaiting a signal the workflow does not declare."""
    if signals is not None and call.signal is not None and call.signal not in signals:
        yield (
            "CN303",
            f"`await_signal({call.signal!r})` waits for a signal {workflow[1]} does not "
            f"declare (signals={list(signals)})",
            "add the name to the class's signals=[...] or fix the spelling",
        )


def _allowed(finding: Finding, allow: tuple[str, ...]) -> bool:
    target = finding.target
    return bool(target) and any(target == a or target.startswith(a + ".") for a in allow)
