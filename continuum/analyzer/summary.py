"""Per-file facts the engine extracts and the reachability pass consumes (picklable values)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    #: Codes named; empty tuple = blanket (``# continuum: ignore`` / bare ``# noqa``).
    codes: tuple[str, ...]
    #: The comment is alone on its line (then it covers the statement below).
    own_line: bool
    #: "continuum" or "noqa" (bare noqa is never reported as unused: other tools own it).
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
