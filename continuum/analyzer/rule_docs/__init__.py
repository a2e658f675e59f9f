"""Per-code documentation: what each code catches, why it breaks replay, and how to fix it.

This is the single source of ``docs/rules.md`` and of the SARIF rule help text. Every
code of `continuum.analyzer.diagnostics.CODES` has exactly one entry (one data module
per code family); a test keeps the two tables in step and checks that each checkable
``bad`` example really reports its code while the ``good`` one does not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import api_and_files, nondeterminism, risky_patterns
from ._model import RuleDoc

#: code → RuleDoc, in code order.
RULE_DOCS: dict[str, RuleDoc] = {
    doc.code: doc
    for doc in sorted(
        [*nondeterminism.DOCS, *risky_patterns.DOCS, *api_and_files.DOCS], key=lambda d: d.code
    )
}


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def _toml(config: Mapping[str, Any]) -> str:
    lines = ["[tool.continuum]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def rule_help_markdown(code: str) -> str:
    """The Markdown help for ``code``: what, why, fix, and the two examples.

    Used for SARIF ``help.markdown`` and for each section of ``docs/rules.md``.
    Raises `KeyError` for an unknown code.
    """
    doc = RULE_DOCS[code]
    parts = [
        f"**What it catches.** {doc.catches}",
        f"**Why it breaks replay.** {doc.why}",
        f"**How to fix it.** {doc.fix}",
    ]
    if doc.config:
        parts.append(f"Both examples are checked with:\n\n```toml\n{_toml(doc.config)}```")
    if doc.strict:
        parts.append("Reported only with `continuum check --strict`.")
    if doc.bad:
        parts.append(f"Bad:\n\n```python\n{doc.bad}```")
        parts.append(f"Good:\n\n```python\n{doc.good}```")
    if doc.good_config:
        parts.append(
            f"The good example passes with this configuration:\n\n```toml\n{_toml(doc.good_config)}```"
        )
    return "\n\n".join(parts) + "\n"


def plain(markdown: str) -> str:
    """``markdown`` without inline-code backticks, for plain-text fields.

    >>> plain("Use `continuum.now()`.")
    'Use continuum.now().'
    """
    return markdown.replace("`", "")


def rule_help_text(code: str) -> str:
    """The plain-text help for ``code`` (SARIF ``help.text``): what, why and fix."""
    doc = RULE_DOCS[code]
    return plain(f"{doc.catches}\n\nWhy: {doc.why}\n\nFix: {doc.fix}")


__all__ = ["RULE_DOCS", "RuleDoc", "plain", "rule_help_markdown", "rule_help_text"]
