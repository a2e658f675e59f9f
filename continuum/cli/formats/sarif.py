"""The ``sarif`` format: SARIF 2.1.0 for GitHub code scanning (see docs/check.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import quote

from ... import __version__
from ...analyzer.diagnostics import CODES, Diagnostic, Severity
from ...analyzer.rule_docs import RULE_DOCS, plain, rule_help_markdown, rule_help_text
from ._common import fingerprints

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: Key of our own fingerprint in ``partialFingerprints`` (versioned: never change its recipe).
FINGERPRINT_KEY = "continuumFingerprint/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


@cache
def project_url() -> str | None:
    """The project's home page from the installed package metadata, or None.

    SARIF's ``informationUri`` must be an absolute URI; rather than invent one, it is
    taken from ``[project.urls]`` (Homepage, Repository or Documentation) when set.
    """
    from importlib import metadata  # only when a SARIF log is rendered

    try:
        entries = metadata.metadata("continuum").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    urls = dict(entry.split(", ", 1) for entry in entries if ", " in entry)
    for label in ("Homepage", "Repository", "Documentation", "Source"):
        if urls.get(label, "").startswith(("https://", "http://")):
            return urls[label]
    return None


def _uri(path: str) -> str:
    # Repo-relative POSIX path, percent-encoded as a URI reference (spaces, '#', '%').
    return quote(path.replace("\\", "/"), safe="/")


def _physical(
    path: str, line: int, column: int = 0, end_line: int = 0, end_column: int = 0
) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if column > 0:
        region["startColumn"] = column
    if end_line >= max(line, 1):
        region["endLine"] = end_line
        if end_column > 0 and (end_line > line or end_column > column):
            region["endColumn"] = end_column
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": region}}


def _rule(code: str) -> dict[str, Any]:
    info = CODES[code]
    return {
        "id": code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        # GitHub caps descriptions at 1024 characters.
        "fullDescription": {"text": plain(RULE_DOCS[code].catches)[:1024]},
        "help": {"text": rule_help_text(code), "markdown": rule_help_markdown(code)},
        "defaultConfiguration": {"level": _LEVELS[info.severity]},
        "properties": {
            "tags": ["determinism", "continuum"],
            "precision": "high",
            "problem.severity": _LEVELS[info.severity],
        },
    }


def _driver(tool_version: str, codes: list[str]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "continuum", "semanticVersion": tool_version}
    url = project_url()
    if url:
        driver["informationUri"] = url
    driver["rules"] = [_rule(code) for code in codes]
    return driver


def _chain_locations(diagnostic: Diagnostic) -> list[dict[str, Any]]:
    hops = []
    for hop in diagnostic.chain:
        entry: dict[str, Any] = {"message": {"text": hop.label}}
        if hop.path:
            entry |= _physical(hop.path, hop.line)
        hops.append(entry)
    return hops


def _result(diagnostic: Diagnostic, rule_index: int, fingerprint: str) -> dict[str, Any]:
    text = diagnostic.message + (f"\nHint: {diagnostic.hint}" if diagnostic.hint else "")
    primary = _physical(
        diagnostic.path,
        diagnostic.line,
        diagnostic.column,
        diagnostic.end_line,
        diagnostic.end_column,
    )
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[diagnostic.severity],
        "message": {"text": text},
        "locations": [primary],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if diagnostic.chain:
        hops = _chain_locations(diagnostic)
        # The call site in the workflow starts the path; each hop follows it.
        steps = [{"location": primary | {"message": {"text": diagnostic.workflow or "workflow"}}}]
        steps += [{"location": hop} for hop in hops]
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        related = [hop for hop in hops if "physicalLocation" in hop]
        if related:
            result["relatedLocations"] = [{"id": i} | hop for i, hop in enumerate(related, 1)]
    if diagnostic.workflow:
        result["properties"] = {"workflow": diagnostic.workflow}
    return result


def render_sarif(
    diagnostics: Iterable[Diagnostic],
    *,
    rules: Iterable[str] | None = None,
    tool_version: str = __version__,
    automation_id: str = "continuum/",
) -> str:
    """A SARIF 2.1.0 log with one run, as GitHub code scanning expects it.

    ``rules`` are the codes to describe in ``tool.driver.rules`` (the selected codes);
    by default every default-enabled code. Codes of reported diagnostics are always
    added. Each result carries a repo-relative URI, a region, the chain as
    ``codeFlows`` and ``relatedLocations``, and a line-independent fingerprint under
    ``partialFingerprints["continuumFingerprint/v1"]``. ``upload-sarif`` adds GitHub's
    own ``primaryLocationLineHash``. Output is sorted and byte-identical between runs.
    """
    ordered = sorted(diagnostics)
    wanted = set(rules) if rules is not None else {c for c, i in CODES.items() if i.default_enabled}
    wanted |= {d.code for d in ordered}
    codes = [code for code in CODES if code in wanted]
    index = {code: i for i, code in enumerate(codes)}
    results = [
        _result(d, index[d.code], f) for d, f in zip(ordered, fingerprints(ordered), strict=True)
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": _driver(tool_version, codes),
                },
                "automationDetails": {"id": automation_id},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
