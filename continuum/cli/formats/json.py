"""The ``json`` format: a list of objects with stable keys, byte-identical between runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...analyzer.diagnostics import Diagnostic
from ._common import fingerprints


def diagnostic_record(diagnostic: Diagnostic, fingerprint: str) -> dict[str, Any]:
    """The JSON object for one diagnostic, keys in documented order."""
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": str(diagnostic.severity),
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "chain": [{"label": h.label, "path": h.path, "line": h.line} for h in diagnostic.chain],
        "workflow": diagnostic.workflow,
        "fingerprint": fingerprint,
    }


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """A JSON array of diagnostic objects, sorted by path, line, column, code, message.

    Keys: ``code``, ``name``, ``severity``, ``path`` (as reported, relative), ``line``,
    ``column``, ``end_line``, ``end_column`` (0 when unknown), ``message``, ``hint``,
    ``chain`` (a list of ``{label, path, line}``), ``workflow`` and ``fingerprint``
    (see `fingerprints`). Non-ASCII text is escaped so the output is plain ASCII.

    >>> render_json([])
    '[]\\n'
    """
    ordered = sorted(diagnostics)
    records = [diagnostic_record(d, f) for d, f in zip(ordered, fingerprints(ordered), strict=True)]
    return json.dumps(records, indent=2) + "\n"
