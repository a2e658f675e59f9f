"""Import statements of a generated module, laid out the way ruff's isort does by default.

Sections (future, standard library, third party, first party = the workflow's
project) separated by a blank line; plain ``import`` statements before ``from``
imports; names of one module combined and ordered constants, classes, then the rest;
aliased names on their own line; lines longer than 88 characters wrapped one name per
line. So a generated module passes ``ruff check`` with the default settings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable

from .closure import ImportSpec
from .errors import CodegenError

#: ruff's default line length, used to decide when a ``from`` import is wrapped.
LINE_LENGTH = 88

_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[object, ...]:
    # ruff compares names in natural order ("mod2" < "mod10"), case-insensitively first.
    parts = _DIGITS.split(text.lower())
    return (tuple(int(p) if p.isdigit() else p for p in parts), text)


def _member_key(name: str) -> tuple[object, ...]:
    if name.isupper() and len(name) > 1:
        kind = 0  # CONSTANT
    elif name[:1].isupper():
        kind = 1  # Class
    else:
        kind = 2
    return (kind, _natural(name))


def validate(spec: ImportSpec) -> ImportSpec:
    """Return ``spec`` if every part is an identifier; raise `CodegenError` otherwise.

    Import specs come from parsed source, so this holds for any real module; it is
    the last guard before names are placed into generated code.
    """
    parts = [*spec.module.split("."), *(p for p in (spec.name, spec.alias) if p)]
    if not all(part.isidentifier() for part in parts):
        raise CodegenError(f"refusing to generate an import of {spec!r}")
    return spec


def _section(module: str, first_party: Callable[[str], bool]) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if first_party(top) else 2


def _from_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{body})"


def _section_lines(specs: list[ImportSpec]) -> list[str]:
    plain = sorted(
        (s for s in specs if not s.name),
        key=lambda s: (_natural(s.module), _natural(s.alias)),
    )
    lines = [f"import {s.module} as {s.alias}" if s.alias else f"import {s.module}" for s in plain]
    by_module: dict[str, list[ImportSpec]] = {}
    for spec in specs:
        if spec.name:
            by_module.setdefault(spec.module, []).append(spec)
    for module in sorted(by_module, key=_natural):
        members = by_module[module]
        names = sorted({s.name for s in members if not s.alias}, key=_member_key)
        if names:
            lines.append(_from_line(module, names))
        aliased = sorted(
            {(s.name, s.alias) for s in members if s.alias},
            key=lambda p: (_member_key(p[0]), _natural(p[1])),
        )
        lines.extend(f"from {module} import {name} as {alias}" for name, alias in aliased)
    return lines


def format_imports(specs: Iterable[ImportSpec], *, first_party: Callable[[str], bool]) -> str:
    """The import block for ``specs`` (deduplicated), sections separated by a blank line."""
    sections: dict[int, list[ImportSpec]] = {}
    for spec in dict.fromkeys(validate(s) for s in specs):
        sections.setdefault(_section(spec.module, first_party), []).append(spec)
    blocks = ["\n".join(_section_lines(sections[key])) for key in sorted(sections)]
    return "\n\n".join(blocks)
