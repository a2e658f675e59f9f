"""The `RuleDoc` value and the helper the per-family data modules build entries with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NO_CONFIG: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """Documentation of one diagnostic code."""

    #: The code, e.g. ``"CN101"``.
    code: str
    #: What the code catches (Markdown, one paragraph).
    catches: str
    #: Why the caught code breaks replay or durability (Markdown, one paragraph).
    why: str
    #: How to fix it (Markdown, one paragraph).
    fix: str
    #: A complete workflow module that reports ``code`` ("" when no source can show it).
    bad: str = ""
    #: The same module, fixed.
    good: str = ""
    #: ``[tool.continuum]`` overrides needed for the examples (e.g. to select CN202).
    config: Mapping[str, Any] = field(default_factory=lambda: _NO_CONFIG)
    #: Extra overrides under which ``good`` passes (the fix is configuration, e.g. CN205).
    good_config: Mapping[str, Any] = field(default_factory=lambda: _NO_CONFIG)
    #: Whether the examples need ``--strict``.
    strict: bool = False

    @property
    def checkable(self) -> bool:
        """True when ``bad``/``good`` are source examples the analyzer can be run on."""
        return bool(self.bad)


def doc(
    code: str, catches: str, why: str, fix: str, bad: str = "", good: str = "", **kw: Any
) -> RuleDoc:
    """A `RuleDoc` with examples normalised to end in exactly one newline."""
    config, good_config = kw.pop("config", None), kw.pop("good_config", None)
    return RuleDoc(
        code,
        catches,
        why,
        fix,
        bad.strip("\n") + "\n" if bad else "",
        good.strip("\n") + "\n" if good else "",
        config=MappingProxyType(dict(config)) if config else _NO_CONFIG,
        good_config=MappingProxyType(dict(good_config)) if good_config else _NO_CONFIG,
        **kw,
    )


#: Shared opening of the "why it breaks replay" paragraphs.
REPLAY = "Continuum replays workflow code against its journal after every crash, deploy or wait; "
