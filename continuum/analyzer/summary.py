"""Per-file facts the engine extracts and the reachability pass consumes (picklable values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Pos:
    """A source range (1-based lines and columns) plus the line its statement starts on."""

    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    #: First line of the innermost enclosing statement (for suppressions above it).
    stmt_line: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found directly in one function (or at module level)."""

    code: str
    #: What was used, as the user would write it in a chain, e.g. ``"time.time()"``.
    label: str
    message: str
    hint: str = ""
    pos: Pos = field(default_factory=Pos)
    #: Qualified name of the denylisted target, used by ``deterministic(allow=[...])``.
    target: str = ""
    #: Deduplication key for once-per-module codes (CN205: the third-party module).
    key: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    """A reference from one function to a project name that may need following.

    ``target`` is ``"module:qualname"`` for names of a known module, a dotted name to be
    split by the project index, ``"self:<attr>"`` / ``"super:<attr>"`` for method lookups.
    """

    target: str
    label: str
    pos: Pos = field(default_factory=Pos)


@dataclass(frozen=True, slots=True)
class EffectCall:
    """A call of a Continuum effect inside a function."""

    name: str
    pos: Pos = field(default_factory=Pos)
    #: For ``activity``: "absent", "none" (``compensate=None``) or "set".
    compensate: str = "absent"
    #: Literal first argument of ``await_signal``, if any.
    signal: str | None = None
    #: Resolved first argument (activity target, child workflow), "" when not a name.
    target: str = ""
    #: Source text of the first argument.
    target_label: str = ""


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    """What one function does, before following anything."""

    #: Qualified name inside its module, e.g. ``"OrderFlow.run"`` or ``"helper"``.
    qualname: str
    pos: Pos = field(default_factory=Pos)
    is_async: bool = False
    #: None: not marked. A tuple: marked ``@deterministic`` with these allowed names.
    deterministic: tuple[str, ...] | None = None
    findings: tuple[Finding, ...] = ()
    edges: tuple[Edge, ...] = ()
    effects: tuple[EffectCall, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassSummary:
    """A module-level class."""

    qualname: str
    #: Resolved dotted names of the bases ("module:qualname" for same-module classes).
    bases: tuple[str, ...] = ()
    #: Method names defined in the body.
    methods: tuple[str, ...] = ()
    #: Literal ``signals=[...]`` class keyword; None when absent or not literal.
    signals: tuple[str, ...] | None = None
    pos: Pos = field(default_factory=Pos)


@dataclass(frozen=True, slots=True)
class GlobalInfo:
    """A module-level name bound by assignment."""

    #: Denylisted calls/references in the value: (code, label, hint).
    taint: tuple[tuple[str, str, str], ...] = ()
    #: The value is a plain reference to this qualified name (``now = time.time``).
    alias: str = ""
    #: The value is a mutable container (list/dict/set literal or constructor).
    mutable: bool = False


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment."""

    line: int
    #: Codes named; empty tuple = blanket (``# continuum: ignore`` or a bare noqa comment).
    codes: tuple[str, ...]
    #: The comment is alone on its line (then it covers the statement below).
    own_line: bool
    #: "continuum" or "noqa"; a blanket noqa comment is never reported as unused (other
    #: tools own it).
    kind: str = "continuum"


@dataclass(frozen=True, slots=True)
class FileSummary:
    """Everything the reachability pass needs from one file."""

    path: str
    module: str
    content_hash: str
    functions: dict[str, FunctionSummary] = field(default_factory=dict)
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    #: Module-level import bindings: local name → qualified name (for re-exports).
    imports: dict[str, str] = field(default_factory=dict)
    globals: dict[str, GlobalInfo] = field(default_factory=dict)
    #: Findings at module level (star imports, effects at import time).
    module_findings: tuple[Finding, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    #: CN901–CN903 for this file; when set, the other fields are empty.
    errors: tuple[Diagnostic, ...] = ()
    #: False when positions were skipped (the file only references other code).
    positioned: bool = True
    #: Module names the analysis looked up and did not find (sorted): creating one of
    #: them turns references into it from third-party into project code.
    missing: tuple[str, ...] = ()


# -- JSON form (for the summary cache; never pickle on disk) ----------------------------------

#: Bumped when the JSON form changes; another version does not load (a cache miss).
SUMMARY_FORMAT = 2


def _pos(data: list[int]) -> Pos:
    return Pos(*data)


def _pos_json(pos: Pos) -> list[int]:
    return [pos.line, pos.column, pos.end_line, pos.end_column, pos.stmt_line]


def _finding_json(f: Finding) -> list[Any]:
    return [f.code, f.label, f.message, f.hint, _pos_json(f.pos), f.target, f.key]


def _finding(data: list[Any]) -> Finding:
    code, label, message, hint, pos, target, key = data
    return Finding(code, label, message, hint, _pos(pos), target, key)


def summary_to_json(summary: FileSummary) -> dict[str, Any]:
    """A JSON-compatible dict for `summary_from_json` (files with errors are not stored)."""
    return {
        "format": SUMMARY_FORMAT,
        "path": summary.path,
        "module": summary.module,
        "hash": summary.content_hash,
        "functions": [
            [
                fn.qualname,
                fn.is_async,
                None if fn.deterministic is None else list(fn.deterministic),
                [_finding_json(f) for f in fn.findings],
                [[e.target, e.label, _pos_json(e.pos)] for e in fn.edges],
                [
                    [c.name, _pos_json(c.pos), c.compensate, c.signal, c.target, c.target_label]
                    for c in fn.effects
                ],
            ]
            for fn in summary.functions.values()
        ],
        "classes": [
            [
                c.qualname,
                list(c.bases),
                list(c.methods),
                None if c.signals is None else list(c.signals),
            ]
            for c in summary.classes.values()
        ],
        "imports": summary.imports,
        "globals": {
            name: [[list(t) for t in g.taint], g.alias, g.mutable]
            for name, g in summary.globals.items()
        },
        "module_findings": [_finding_json(f) for f in summary.module_findings],
        "suppressions": [[s.line, list(s.codes), s.own_line, s.kind] for s in summary.suppressions],
        "positioned": summary.positioned,
        "missing": list(summary.missing),
    }


def summary_from_json(data: dict[str, Any]) -> FileSummary:
    """The inverse of `summary_to_json` (raises ValueError for another format)."""
    if data.get("format") != SUMMARY_FORMAT:
        raise ValueError("summary of another format")
    functions = {}
    for qualname, is_async, det, findings, edges, effects in data["functions"]:
        functions[qualname] = FunctionSummary(
            qualname=qualname,
            is_async=is_async,
            deterministic=None if det is None else tuple(det),
            findings=tuple(_finding(f) for f in findings),
            edges=tuple(Edge(t, label, _pos(p)) for t, label, p in edges),
            effects=tuple(
                EffectCall(name, _pos(p), comp, signal, target, label)
                for name, p, comp, signal, target, label in effects
            ),
        )
    classes = {
        q: ClassSummary(q, tuple(bases), tuple(methods), None if sig is None else tuple(sig))
        for q, bases, methods, sig in data["classes"]
    }
    return FileSummary(
        path=data["path"],
        module=data["module"],
        content_hash=data["hash"],
        functions=functions,
        classes=classes,
        imports=dict(data["imports"]),
        globals={
            name: GlobalInfo(tuple(tuple(t) for t in taint), alias, mutable)  # type: ignore[misc]
            for name, (taint, alias, mutable) in data["globals"].items()
        },
        module_findings=tuple(_finding(f) for f in data["module_findings"]),
        suppressions=tuple(
            Suppression(line, tuple(codes), own, kind)
            for line, codes, own, kind in data["suppressions"]
        ),
        positioned=data["positioned"],
        missing=tuple(data["missing"]),
    )
