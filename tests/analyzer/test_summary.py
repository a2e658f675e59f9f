"""Summaries survive the JSON form used by the summary cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuum.analyzer.config import Config
from continuum.analyzer.engine import summarize
from continuum.analyzer.project import ProjectIndex, SourceFiles
from continuum.analyzer.resolve import Settings
from continuum.analyzer.rules import ALL_RULES
from continuum.analyzer.summary import summary_from_json, summary_to_json

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    pytest.param(case.source, id=f"{rule.__name__}-{i}")
    for rule in ALL_RULES
    for i, case in enumerate((*rule.VALID, *rule.INVALID))
] + [pytest.param(p.read_text(), id=p.name) for p in sorted((REPO / "examples/shop").rglob("*.py"))]


@pytest.mark.parametrize("source", SOURCES)
def test_json_round_trip(source: str) -> None:
    path = Path.cwd() / "flow.py"
    data = source.encode()
    index = ProjectIndex(SourceFiles({path: data}), roots=(Path.cwd(),))
    summary = summarize(path, data, settings=Settings.from_config(Config()), index=index)
    assert summary_from_json(json.loads(json.dumps(summary_to_json(summary)))) == summary
