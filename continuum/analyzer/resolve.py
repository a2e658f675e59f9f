"""Qualified-name resolution: from a name at its position to what it refers to.

Scopes come from `scopes.py` (Python's binding rules, computed while the engine walks
the file). On top of what LibCST's ``QualifiedNameProvider`` offers, relative imports
become absolute, names of the module itself become ``"module:qualname"``, and locals (a
parameter named ``random``) resolve to nothing (analyzer.md §3.5). Classification (builtin, stdlib, project, third-party…)
and the merged denylist live here too, as `Settings`, a picklable value sent to workers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import denylist as tables
from .config import Config
from .project import ProjectIndex

if TYPE_CHECKING:
    import libcst as cst

    from .scopes import ScopeStack


@dataclass(frozen=True, slots=True)
class Settings:
    """The configuration facts the per-file engine needs (small and picklable)."""

    #: Qualified name or prefix → (code, hint), built-in entries plus extra-forbidden.
    denylist: dict[str, tuple[str, str]] = field(default_factory=dict)
    trusted: tuple[str, ...] = ()
    workflow_bases: frozenset[str] = tables.WORKFLOW_BASES

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        """Merge the built-in tables with the user's settings."""
        table = dict(tables.DENYLIST)
        for name, hint in config.extra_forbidden:
            table[name] = ("CN112", hint)
        return cls(
            denylist=table,
            trusted=tuple(config.trusted_modules),
            workflow_bases=tables.WORKFLOW_BASES | frozenset(config.workflow_bases),
        )

    def denied(self, dotted: str) -> tuple[str, str, str] | None:
        """``(matched key, code, hint)`` when ``dotted`` is forbidden."""
        return tables.lookup(dotted, self.denylist)

    def is_trusted(self, dotted: str) -> bool:
        """Whether ``dotted`` lies in a trusted module (config or built-in allowlist)."""
        return _under(dotted, self.trusted) or _under(dotted, tables.SAFE_MODULES)

    def module_denied(self, module: str) -> bool:
        """Whether a star import of ``module`` could bring forbidden names in."""
        return any(
            code and (key == module or key.startswith(module + ".") or module.startswith(key + "."))
            for key, (code, _) in self.denylist.items()
        )


def _under(dotted: str, prefixes: Collection[str]) -> bool:
    return any(dotted == p or dotted.startswith(p + ".") for p in prefixes)


#: Marker for a name bound locally in a function, lambda or comprehension.
LOCAL = "<local>"


def absolutize(name: str, module: str, is_package: bool) -> str:
    """Turn a relative name (``..a.b``) into an absolute one, seen from ``module``.

    >>> absolutize(".pricing.quote", "shop.flows.orders", False)
    'shop.flows.pricing.quote'
    >>> absolutize("..pricing", "shop.flows", True)
    'shop.pricing'
    """
    if not name.startswith("."):
        return name
    dots = len(name) - len(name.lstrip("."))
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (dots - 1)] if dots > 1 else package
    rest = name[dots:]
    return ".".join([*base, rest] if rest else base)


@dataclass(slots=True)
class Resolver:
    """Resolves CST nodes of one file to qualified names and classifies them."""

    module: str
    is_package: bool
    settings: Settings
    index: ProjectIndex
    #: The scopes around the node being visited (set by the engine).
    scopes: ScopeStack | None = None
    _memo: dict[int, list[str]] = field(default_factory=dict)

    def names(self, node: cst.CSTNode) -> list[str]:
        """Sorted qualified names of a ``Name`` or dotted ``Attribute``; [] for locals.

        Imported and builtin names are dotted (``time.time``, ``builtins.print``); names
        defined in this module are ``"module:qualname"``. Resolution uses the scopes at
        the node's position, so call it while the node is being visited.
        """
        key = id(node)
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        tail: list[str] = []
        current = node
        while type(current).__name__ == "Attribute":
            tail.append(current.attr.value)  # type: ignore[attr-defined]
            current = current.value  # type: ignore[attr-defined]
        if type(current).__name__ != "Name" or self.scopes is None:
            names: list[str] = []
        else:
            suffix = "".join(f".{part}" for part in reversed(tail))
            names = sorted(
                {q + suffix for q in self.scopes.lookup(current.value) if q != LOCAL}  # type: ignore[attr-defined]
            )
        self._memo[key] = names
        return names

    def name(self, node: cst.CSTNode) -> str:
        """The first of `names`, or ""."""
        names = self.names(node)
        return names[0] if names else ""

    def kind(self, dotted: str) -> str:
        """One of builtin, continuum, local (this module), trusted, stdlib, project, third-party."""
        if ":" in dotted:
            return "local"
        top = dotted.partition(".")[0]
        if top == "builtins":
            return "builtin"
        if top == "continuum":
            return "continuum"
        if self.settings.is_trusted(dotted):
            return "trusted"
        if top in tables.STDLIB_MODULES:
            return "stdlib"
        if self.index.split(dotted) is not None:
            return "project"
        return "third-party"
