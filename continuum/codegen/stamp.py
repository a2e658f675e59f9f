"""Command identities stamped on effect calls: the parts that need no parser.

Shared by the text splicer (`continuum.codegen.splice`, what builds use) and the LibCST
reference transformer (`continuum.codegen.rewrite`), so both write the same literals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from .render import py_string

#: The keyword generated code passes to every effect call.
COMMAND_KEYWORD = "_command"


@dataclass(frozen=True, slots=True)
class StampedCommand:
    """One effect call site found and stamped in the frozen copy."""

    kind: str
    function: str
    line: int
    shape: str


@dataclass(frozen=True, slots=True)
class FrozenCode:
    """The frozen statements of a workflow module, as source text."""

    #: The copied statements, rewritten, separated as top-level code.
    code: str
    #: Every effect call stamped, in source order.
    commands: tuple[StampedCommand, ...]
    #: Change ids of ``patched("...")`` calls, in source order.
    patch_sites: tuple[str, ...]


def shape_hash(kind: str, target: str, positional: int, keywords: Sequence[str]) -> str:
    """First 8 hex digits of sha256 over a call's normalized shape.

    The shape is the command kind, the activity target's dotted text ("" for other
    kinds), the number of positional arguments and the sorted keyword names (``**``
    for a ``**mapping``). Argument *values* are not part of it.

    >>> shape_hash("activity", "payments.charge", 3, ["retry", "compensate"])
    '32639752'
    """
    text = json.dumps([kind, target, positional, sorted(keywords)], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def command_literal(kind: str, workflow: str, function: str, line: int, shape: str) -> str:
    """The ``_command=`` value: a tuple of literals, strings through `py_string` (`repr`).

    >>> print(command_literal("timer", "app:F", "F.run", 3, "0abc1234"))
    ("timer", "app:F", "F.run", 3, "0abc1234")
    """
    return (
        f"({py_string(kind)}, {py_string(workflow)}, {py_string(function)}, "
        f"{int(line)}, {py_string(shape)})"
    )
