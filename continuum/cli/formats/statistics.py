"""``--statistics``: how many diagnostics of each code, most frequent first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ...analyzer.diagnostics import CODES, Diagnostic


def render_statistics(diagnostics: Iterable[Diagnostic]) -> str:
    """One ``count  CODE  [name]  severity`` row per reported code, then the total.

    Rows are ordered by count (descending), then code, so the output is stable.

    >>> from continuum.analyzer.diagnostics import Diagnostic
    >>> print(render_statistics([Diagnostic("a.py", 1, 1, "CN101", "m")] * 2), end="")
    2  CN101  [nondeterministic-clock]  error
    2 diagnostics in total.
    """
    counts = Counter(d.code for d in diagnostics)
    if not counts:
        return "All checks passed.\n"
    width = len(str(max(counts.values())))
    rows = [
        f"{count:>{width}}  {code}  [{CODES[code].name}]  {CODES[code].severity}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    total = sum(counts.values())
    rows.append(f"{total} diagnostic{'' if total == 1 else 's'} in total.")
    return "\n".join(rows) + "\n"
