"""The ``text`` format: compiler-style lines with a source excerpt, the chain and the hint."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from ...analyzer.diagnostics import Diagnostic, Severity
from ._common import location, message_without_chain, summary_line

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color and text else text


def _width(char: str) -> int:
    # East Asian wide characters take two terminal cells; the caret must skip both.
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _pad(prefix: str) -> str:
    """Whitespace that lines up with ``prefix`` on a terminal (tabs are kept as tabs)."""
    return "".join(c if c == "\t" else " " * _width(c) for c in prefix)


def _excerpt(diagnostic: Diagnostic, lines: list[str], style: str, color: bool) -> list[str]:
    if not 1 <= diagnostic.line <= len(lines):
        return []
    source = lines[diagnostic.line - 1].rstrip("\r\n")
    start = min(max(diagnostic.column, 1), len(source) + 1) - 1
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        end = min(diagnostic.end_column - 1, len(source))
    elif diagnostic.end_line > diagnostic.line:
        end = len(source)  # the span runs on: underline to the end of this line
    else:
        end = start + 1
    marks = "^" * max(1, sum(_width(c) for c in source[start:end]))
    number = str(diagnostic.line)
    gutter = " " * len(number)
    bar = _paint("|", _DIM, color)
    return [
        f"{gutter} {bar}",
        f"{_paint(number, _DIM, color)} {bar} {source}",
        f"{gutter} {bar} {_pad(source[:start])}{_paint(marks, style, color)}",
    ]


def _one(diagnostic: Diagnostic, lines: list[str] | None, color: bool) -> list[str]:
    style = _RED if diagnostic.severity is Severity.ERROR else _YELLOW
    # The chain follows as "via:" lines, so the message's own copy of it is dropped.
    message = message_without_chain(diagnostic).replace("\r\n", "\n").replace("\r", "\n")
    first, *rest = message.split("\n")
    out = [
        f"{_paint(location(diagnostic), _BOLD, color)}: "
        f"{_paint(diagnostic.code, _BOLD + style, color)} [{diagnostic.name}] {first}"
    ]
    out.extend(f"  {line}" for line in rest)
    if lines is not None:
        out.extend(_excerpt(diagnostic, lines, style, color))
    out.extend(f"  {_paint('via:', _DIM, color)} {hop}" for hop in diagnostic.chain)
    if diagnostic.hint:
        out.append(f"  {_paint('hint:', _CYAN, color)} {diagnostic.hint}")
    return out


def render_text(
    diagnostics: Iterable[Diagnostic],
    *,
    sources: Mapping[str, str] | None = None,
    color: bool = False,
    summary: bool = True,
) -> str:
    """Render diagnostics compiler-style, one block per diagnostic, then a summary line.

    Each block is ``path:line:col: CODE [name] message``, a source excerpt with a caret
    under the reported span (when ``sources`` maps the path to the file's text), one
    indented ``via:`` line per chain hop, and ``hint:``. ``color`` adds ANSI colours;
    the CLI turns it on only for a terminal. Diagnostics are rendered in sorted order.
    """
    ordered = sorted(diagnostics)
    sources = sources or {}
    split: dict[str, list[str]] = {}
    blocks = []
    for diagnostic in ordered:
        text = sources.get(diagnostic.path)
        if text is not None and diagnostic.path not in split:
            split[diagnostic.path] = text.splitlines()
        blocks.append("\n".join(_one(diagnostic, split.get(diagnostic.path), color)))
    if summary:
        blocks.append(_paint(summary_line(ordered), _BOLD, color))
    return "\n\n".join(blocks) + "\n" if blocks else ""
