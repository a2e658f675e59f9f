"""The ``concise`` format: one line per diagnostic, for editors and pre-commit."""

from __future__ import annotations

from collections.abc import Iterable

from ...analyzer.diagnostics import Diagnostic
from ._common import headline, summary_line


def render_concise(diagnostics: Iterable[Diagnostic], *, summary: bool = True) -> str:
    """``path:line:col: CODE [name] message`` per diagnostic, sorted, then the summary.

    >>> from continuum.analyzer.diagnostics import Diagnostic
    >>> print(render_concise([Diagnostic("a.py", 3, 9, "CN104", "time.sleep() blocks")]), end="")
    a.py:3:9: CN104 [blocking-sleep] time.sleep() blocks
    Found 1 error in 1 file.
    """
    ordered = sorted(diagnostics)
    lines = [headline(d) for d in ordered]
    if summary:
        lines.append(summary_line(ordered))
    return "\n".join(lines) + "\n" if lines else ""
