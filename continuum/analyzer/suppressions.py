"""Suppression comments: ``# continuum: ignore[...]`` and ``# noqa: CN...`` (and CN290).

A comment trailing the reported line suppresses findings on that line; a comment alone on
the line directly above a statement suppresses findings anywhere in that statement.
``# noqa`` comments only count when bare or when they name a ``CN`` code, so a
``# noqa: E501`` meant for another tool never suppresses ours; a bare ``# noqa`` is never
reported as unused (CN290), because other tools may rely on it.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator

from .summary import Pos, Suppression

_CONTINUUM = re.compile(r"#\s*continuum:\s*ignore(?!-)(?:\[([^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?::\s*([A-Za-z0-9,\s]+))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+")


def _comments(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line, comment text, alone on its line) for every comment."""
    lines = text.splitlines()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                line = tok.start[0]
                own = not lines[line - 1][: tok.start[1]].strip()
                yield line, tok.string, own
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Fall back to a line scan (may see a '#' inside a string, which is harmless).
        for number, line in enumerate(lines, 1):
            if "#" in line:
                idx = line.index("#")
                yield number, line[idx:], not line[:idx].strip()


def parse_suppressions(text: str) -> tuple[Suppression, ...]:
    """Every suppression comment of a file's text, in line order."""
    if "ignore" not in text and "noqa" not in text.lower():
        return ()
    found: list[Suppression] = []
    for line, comment, own in _comments(text):
        match = _CONTINUUM.search(comment)
        if match:
            codes = tuple(sorted(set(_CODE.findall((match.group(1) or "").upper()))))
            found.append(Suppression(line, codes, own, "continuum"))
            continue
        match = _NOQA.search(comment)
        if match:
            if match.group(1) is None:
                found.append(Suppression(line, (), own, "noqa"))
            else:
                codes = tuple(
                    sorted({c for c in _CODE.findall(match.group(1).upper()) if c.startswith("CN")})
                )
                if codes:
                    found.append(Suppression(line, codes, own, "noqa"))
    return tuple(found)


def matching(suppressions: Iterable[Suppression], code: str, pos: Pos) -> Suppression | None:
    """The suppression covering a finding of ``code`` at ``pos``, if any."""
    for sup in suppressions:
        if sup.codes and code not in sup.codes:
            continue
        if sup.line == pos.line:
            return sup
        if sup.own_line and pos.stmt_line and sup.line == pos.stmt_line - 1:
            return sup
    return None
