"""The rule authoring API: `Rule` (hooks + `report`), the per-file `FileContext`, test cases.

A rule is a small class with ``visit_<Node>`` hooks, like a LibCST visitor, that calls
``self.report(node, code, label, message)``. The engine runs every rule in one traversal and
keeps the shared facts (current function, name resolution, skipped regions) in the
`FileContext`, so rules don't each recompute them. Each rule carries ``VALID``/``INVALID``
cases that ``tests/analyzer/test_rule_cases.py`` runs through the whole analyzer.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from .summary import Edge, EffectCall, Finding

if TYPE_CHECKING:
    from .resolve import Resolver


@dataclass(frozen=True, slots=True)
class Valid:
    """Source that must produce none of the rule's codes."""

    source: str
    #: Other project files, ``{relative path: source}``.
    files: Mapping[str, str] = field(default_factory=dict)
    #: `Config` fields to set (snake-case), e.g. ``{"trusted_modules": ("stripe",)}``.
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Source that must produce ``code`` (at ``line`` when given)."""

    source: str
    code: str
    line: int = 0
    files: Mapping[str, str] = field(default_factory=dict)
    #: A substring the message must contain.
    message: str = ""
    #: `Config` fields to set (snake-case).
    config: Mapping[str, Any] = field(default_factory=dict)


def workflow(body: str, imports: str = "", *, base: str = "Workflow", keywords: str = "") -> str:
    """A small workflow module with ``body`` as the ``run`` method body (for rule cases)."""
    kw = f", {keywords}" if keywords else ""
    return (
        "from continuum import Workflow, activity\n"
        + textwrap.dedent(imports).strip()
        + "\n\n\nclass Flow("
        + base
        + kw
        + "):\n    def run(self, order):\n"
        + textwrap.indent(textwrap.dedent(body).strip(), "        ")
        + "\n"
    )


@dataclass(slots=True)
class RawRecord:
    """A finding, edge or effect still pointing at its CST node (positions come later)."""

    node: cst.CSTNode
    stmt: cst.CSTNode | None
    item: Finding | Edge | EffectCall


@dataclass(slots=True)
class Frame:
    """A summarized function being visited (nested defs and lambdas belong to it)."""

    qualname: str
    node: cst.FunctionDef
    #: Name of the ``self``/``cls`` parameter of a method, "" for plain functions.
    self_name: str = ""
    #: Names of functions defined inside this function (CN301).
    nested_defs: set[str] = field(default_factory=set)
    deterministic: tuple[str, ...] | None = None
    records: list[RawRecord] = field(default_factory=list)


@dataclass(slots=True)
class FileContext:
    """Shared per-file state the engine maintains while visiting."""

    module: str
    is_package: bool
    resolver: Resolver
    frames: list[Frame] = field(default_factory=list)
    statements: list[cst.CSTNode] = field(default_factory=list)
    module_records: list[RawRecord] = field(default_factory=list)
    #: Node ids that are parts of a larger dotted name or binding names, not references.
    not_refs: set[int] = field(default_factory=set)
    #: Node ids whose subtree is not workflow code (activity targets, annotations, …).
    skipped: set[int] = field(default_factory=set)
    #: Call-func node ids a rule has cleared (e.g. ``random.Random(42)``).
    cleared: set[int] = field(default_factory=set)
    #: Node ids that are the ``func`` of a call.
    callees: set[int] = field(default_factory=set)

    def is_callee(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is the function part of a call."""
        return id(node) in self.callees

    @property
    def frame(self) -> Frame | None:
        """The summarized function being visited, None at module or class level."""
        return self.frames[-1] if self.frames else None

    def add(self, node: cst.CSTNode, item: Finding | Edge | EffectCall, *, at_module: bool) -> None:
        """Record ``item`` for the current function (or the module when allowed)."""
        stmt = self.statements[-1] if self.statements else None
        record = RawRecord(node, stmt, item)
        if self.frames:
            self.frames[-1].records.append(record)
        elif at_module:
            self.module_records.append(record)


class Rule:
    """Base class of a rule family: hooks named ``visit_<Node>`` / ``leave_<Node>``."""

    #: Codes this rule reports (the code table in diagnostics.py has names and severities).
    CODES: ClassVar[tuple[str, ...]] = ()
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def report(
        self,
        node: cst.CSTNode,
        code: str,
        label: str,
        message: str,
        *,
        hint: str = "",
        target: str = "",
        key: str = "",
        at_module: bool = False,
    ) -> None:
        """Record a finding at ``node`` for the current function.

        Findings outside any function are dropped (module-level code runs at import, not
        in a workflow) unless ``at_module`` is set.
        """
        finding = Finding(
            code=code, label=label, message=message, hint=hint, target=target, key=key
        )
        self.ctx.add(node, finding, at_module=at_module)
