"""select / extend-select / ignore / per-file-ignores / severity."""

from __future__ import annotations

from pathlib import Path

from continuum.analyzer.api import check_source
from continuum.analyzer.config import Config
from continuum.analyzer.diagnostics import Severity
from continuum.analyzer.rule import workflow
from continuum.analyzer.selection import Selection

SOURCE = workflow(
    "try:\n    return time.time()\nexcept Exception:\n    return id(order)", "import time"
)


def found(config: Config, path: str = "workflow.py") -> list[str]:
    return [d.code for d in check_source(SOURCE, config=config, path=path)]


def test_defaults_leave_cn202_off() -> None:
    assert found(Config()) == ["CN101", "CN103"]


def test_extend_select_enables_an_off_by_default_code() -> None:
    assert found(Config(extend_select=("CN202",))) == ["CN101", "CN202", "CN103"]


def test_select_and_ignore_by_prefix() -> None:
    assert found(Config(select=("CN10",), ignore=("CN103",))) == ["CN101"]
    assert found(Config(ignore=("CN1",))) == []


def test_more_specific_select_beats_a_broad_ignore() -> None:
    assert found(Config(select=("CN103",), ignore=("CN1",))) == ["CN103"]


def test_per_file_ignores_match_globs_relative_to_the_root(tmp_path: Path) -> None:
    config = Config(root=tmp_path, per_file_ignores=(("legacy/*.py", ("CN10",)),))
    assert found(config, path="legacy/flow.py") == []
    assert found(config, path="app/flow.py") == ["CN101", "CN103"]


def test_severity_overrides_and_off() -> None:
    config = Config(severity=(("CN101", "warning"), ("CN103", "off")))
    [diag] = check_source(SOURCE, config=config)
    assert (diag.code, diag.severity) == ("CN101", Severity.WARNING)


def test_cn290_needs_strict_or_an_explicit_select() -> None:
    assert not Selection(Config()).enabled("CN290")
    assert Selection(Config(), strict=True).enabled("CN290")
    assert Selection(Config(extend_select=("CN290",))).enabled("CN290")
    assert not Selection(Config(ignore=("CN290",)), strict=True).enabled("CN290")
