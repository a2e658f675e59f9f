"""The ``github`` format: GitHub Actions workflow-command annotations (``::error …``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ...analyzer.diagnostics import Diagnostic, Severity
from ._common import headline, message_without_chain, summary_line

#: GitHub shows at most this many annotations per level and step and drops the rest.
ANNOTATIONS_PER_LEVEL = 10


def escape_data(text: str) -> str:
    """Escape an annotation message (actions/toolkit ``escapeData``).

    >>> escape_data("50% off\\nnow")
    '50%25 off%0Anow'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape an annotation property value (actions/toolkit ``escapeProperty``).

    >>> escape_property("a:b,c")
    'a%3Ab%2Cc'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diagnostic: Diagnostic) -> str:
    """One ``::error``/``::warning`` command for ``diagnostic``; hint and chain on extra lines."""
    level = "error" if diagnostic.severity is Severity.ERROR else "warning"
    props = [
        ("title", f"continuum ({diagnostic.code})"),
        ("file", diagnostic.path),
        ("line", str(max(diagnostic.line, 1))),
        ("col", str(max(diagnostic.column, 1))),
    ]
    if diagnostic.end_line >= diagnostic.line > 0:
        props.append(("endLine", str(diagnostic.end_line)))
        if diagnostic.end_column:
            props.append(("endColumn", str(diagnostic.end_column)))
    body = [f"{diagnostic.code} [{diagnostic.name}] {message_without_chain(diagnostic)}"]
    body.extend(f"via: {hop}" for hop in diagnostic.chain)
    if diagnostic.hint:
        body.append(f"hint: {diagnostic.hint}")
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{level} {rendered}::{escape_data(chr(10).join(body))}"


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """Annotations for the first 10 errors and 10 warnings, the rest as plain log lines.

    GitHub silently drops annotations past 10 per level in a step, so the rest are
    printed as ordinary ``path:line:col: …`` lines (still visible in the log), followed
    by one ``::notice::`` per level saying how many were not annotated and pointing to
    SARIF upload for the complete list. The last line is the summary.
    """
    ordered = sorted(diagnostics)
    shown: Counter[Severity] = Counter()
    lines = []
    for diagnostic in ordered:
        shown[diagnostic.severity] += 1
        if shown[diagnostic.severity] <= ANNOTATIONS_PER_LEVEL:
            lines.append(annotation(diagnostic))
        else:
            lines.append(headline(diagnostic))
    for severity in (Severity.ERROR, Severity.WARNING):
        hidden = shown[severity] - ANNOTATIONS_PER_LEVEL
        if hidden > 0:
            lines.append(
                f"::notice title=continuum::{hidden} more {severity}{'' if hidden == 1 else 's'} "
                "not shown as annotations (GitHub shows at most 10 per level); they are listed "
                "in the log above. Upload SARIF for the complete list: "
                "continuum check --output-format sarif --output-file continuum.sarif"
            )
    lines.append(summary_line(ordered))
    return "\n".join(lines) + "\n"
