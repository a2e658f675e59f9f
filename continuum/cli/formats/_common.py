"""Helpers shared by the output formats: counts, the summary line, fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

from ...analyzer.diagnostics import Diagnostic, Severity

# Positions inside a message ("app/pricing.py:12", "line 12") move whenever code is
# added above them; fingerprints must not, so they are stripped before hashing.
_POSITION = re.compile(r":\d+(?::\d+)?|\bline \d+\b")
_SPACES = re.compile(r"\s+")


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``.

    >>> plural(1, "error"), plural(3, "warning")
    ('1 error', '3 warnings')
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(diagnostics: Sequence[Diagnostic]) -> str:
    """``Found 3 errors, 1 warning in 2 files.`` or ``All checks passed.``"""
    if not diagnostics:
        return "All checks passed."
    levels = Counter(d.severity for d in diagnostics)
    parts = []
    if levels[Severity.ERROR]:
        parts.append(plural(levels[Severity.ERROR], "error"))
    if levels[Severity.WARNING]:
        parts.append(plural(levels[Severity.WARNING], "warning"))
    files = len({d.path for d in diagnostics})
    return f"Found {', '.join(parts)} in {plural(files, 'file')}."


def normalized_message(message: str) -> str:
    """The message without line/column numbers and with whitespace collapsed.

    >>> normalized_message("via app.pricing.quote (app/pricing.py:12)  → time.time()")
    'via app.pricing.quote (app/pricing.py) → time.time()'
    """
    return _SPACES.sub(" ", _POSITION.sub("", message)).strip()


def fingerprints(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """A stable fingerprint per diagnostic, in the same order.

    The key is code + path + workflow + normalized message, never a line number, so
    a finding keeps its identity when unrelated code moves it down the file. Identical
    keys (the same call twice in one workflow) get an occurrence suffix ``:1``, ``:2``…
    in file order, like CodeQL's ``primaryLocationLineHash``.
    """
    seen: Counter[str] = Counter()
    result = []
    for diagnostic in diagnostics:
        key = "\0".join(
            (
                diagnostic.code,
                diagnostic.path,
                diagnostic.workflow,
                normalized_message(diagnostic.message),
            )
        )
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        seen[digest] += 1
        result.append(f"{digest}:{seen[digest]}")
    return result


def message_without_chain(diagnostic: Diagnostic) -> str:
    """The message minus its trailing ``: Flow.run → helper (path:line) → call`` chain.

    Formats that print the chain as separate ``via:`` lines use this so the chain is not
    shown twice; when the message does not end in the chain it is returned unchanged.
    """
    if diagnostic.chain:
        cut = diagnostic.message.rfind(f": {diagnostic.chain[0].label} → ")
        if cut > 0:
            return diagnostic.message[:cut]
    return diagnostic.message


def location(diagnostic: Diagnostic) -> str:
    """``path:line:col`` of a diagnostic."""
    return f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}"


def headline(diagnostic: Diagnostic) -> str:
    """``path:line:col: CN101 [nondeterministic-clock] message`` (one line)."""
    message = diagnostic.message.replace("\r", " ").replace("\n", " ")
    return f"{location(diagnostic)}: {diagnostic.code} [{diagnostic.name}] {message}"
