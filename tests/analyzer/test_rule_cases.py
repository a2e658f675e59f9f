"""Every rule's VALID/INVALID cases, run through the whole analyzer (Fixit style)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from continuum.analyzer.api import check_source
from continuum.analyzer.config import Config
from continuum.analyzer.rule import Invalid, Valid
from continuum.analyzer.rules import ALL_RULES

# CN202 is off by default; select it so its cases are exercised too.
CONFIG = Config(extend_select=("CN202",))


def _cases(kind: str) -> list[pytest.param]:
    params = []
    for rule in ALL_RULES:
        for i, case in enumerate(getattr(rule, kind)):
            params.append(pytest.param(rule, case, id=f"{rule.__name__}-{kind.lower()}-{i}"))
    return params


@pytest.mark.parametrize(("rule", "case"), _cases("VALID"))
def test_valid(rule: type, case: Valid) -> None:
    found = check_source(case.source, config=replace(CONFIG, **case.config), extra_files=case.files)
    own = [d for d in found if d.code in rule.CODES]
    assert own == [], "\n" + case.source


@pytest.mark.parametrize(("rule", "case"), _cases("INVALID"))
def test_invalid(rule: type, case: Invalid) -> None:
    found = check_source(case.source, config=replace(CONFIG, **case.config), extra_files=case.files)
    hits = [d for d in found if d.code == case.code]
    assert hits, f"expected {case.code}, got {[(d.code, d.message) for d in found]}\n{case.source}"
    if case.line:
        assert case.line in {d.line for d in hits}
    if case.message:
        assert any(case.message in d.message for d in hits)
    for d in hits:
        assert d.hint, f"{case.code} has no hint"


def test_every_code_has_cases() -> None:
    covered = {case.code for rule in ALL_RULES for case in rule.INVALID}
    expected = {
        f"CN{n}" for n in (*range(101, 113), 201, 202, 203, 204, 205, 206, *range(301, 306))
    }
    assert expected <= covered
