"""Output formats of ``continuum check``: pure functions from diagnostics to text.

Each format is one module with one ``render_<name>(diagnostics, *, …) -> str`` function;
`FORMAT_NAMES` lists them in help order and `render` dispatches by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...analyzer.diagnostics import Diagnostic
from .concise import render_concise
from .github import render_github
from .json import render_json
from .sarif import render_sarif
from .text import render_text

#: The values of ``--output-format``, default first.
FORMAT_NAMES = ("text", "concise", "json", "github", "sarif")


def render(
    name: str,
    diagnostics: Iterable[Diagnostic],
    *,
    sources: Mapping[str, str] | None = None,
    color: bool = False,
    rules: Iterable[str] | None = None,
) -> str:
    """Render ``diagnostics`` in the format called ``name`` (one of `FORMAT_NAMES`).

    ``sources`` (path → file text) feeds the text format's excerpts, ``color`` its ANSI
    colours; ``rules`` (the selected codes) feeds SARIF's rule list. Raises `ValueError`
    for an unknown format name.
    """
    if name == "text":
        return render_text(diagnostics, sources=sources, color=color)
    if name == "concise":
        return render_concise(diagnostics)
    if name == "json":
        return render_json(diagnostics)
    if name == "github":
        return render_github(diagnostics)
    if name == "sarif":
        return render_sarif(diagnostics, rules=rules)
    raise ValueError(f"unknown output format {name!r}; choose one of {', '.join(FORMAT_NAMES)}")


__all__ = [
    "FORMAT_NAMES",
    "render",
    "render_concise",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
