"""The rules documentation: complete, and its examples really show what they claim."""

from __future__ import annotations

import ast

import pytest

from continuum.analyzer.api import check_source
from continuum.analyzer.config import load_config
from continuum.analyzer.diagnostics import CODES
from continuum.analyzer.rule_docs import RULE_DOCS, rule_help_markdown, rule_help_text

CHECKABLE = [code for code, doc in RULE_DOCS.items() if doc.checkable]


def test_every_code_is_documented_and_nothing_else() -> None:
    assert list(RULE_DOCS) == list(CODES)
    for doc in RULE_DOCS.values():
        assert doc.catches and doc.why and doc.fix
        assert bool(doc.bad) == bool(doc.good)


def test_only_file_level_failures_lack_examples() -> None:
    assert sorted(set(CODES) - set(CHECKABLE)) == ["CN902", "CN903"]


@pytest.mark.parametrize("code", CHECKABLE)
def test_examples_are_real_python(code: str) -> None:
    doc = RULE_DOCS[code]
    ast.parse(doc.good)
    if code != "CN901":
        ast.parse(doc.bad)


def _codes(source: str, config: dict, strict: bool, tmp_path, monkeypatch) -> set[str]:
    monkeypatch.chdir(tmp_path)  # no pyproject above: defaults plus the example's settings
    diagnostics = check_source(
        source,
        path="app/flows/example.py",
        config=load_config(tmp_path, overrides=config),
        strict=strict,
    )
    return {d.code for d in diagnostics}


@pytest.mark.parametrize("code", CHECKABLE)
def test_bad_example_reports_its_code_and_good_one_does_not(code, tmp_path, monkeypatch) -> None:
    doc = RULE_DOCS[code]
    bad = _codes(doc.bad, dict(doc.config), doc.strict, tmp_path, monkeypatch)
    assert code in bad, f"{code}'s bad example reports {sorted(bad)}"
    good_config = {**doc.config, **doc.good_config}
    good = _codes(doc.good, good_config, doc.strict, tmp_path, monkeypatch)
    assert code not in good, f"{code}'s good example still reports it"
    # A good example is clean of every error, not just of its own code.
    assert not {c for c in good if CODES[c].severity == "error"}, sorted(good)


def test_help_texts() -> None:
    markdown = rule_help_markdown("CN112")
    assert "```toml\n[tool.continuum]\nextra-forbidden = {" in markdown
    assert "**Why it breaks replay.**" in markdown
    assert "`" not in rule_help_text("CN101")
    assert 'trusted-modules = ["yaml"]' in rule_help_markdown("CN205")
    assert "--strict" in rule_help_markdown("CN290")
