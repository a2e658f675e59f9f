"""The per-file engine: never raises, positions, picklable summaries."""

from __future__ import annotations

import pickle
from pathlib import Path

import libcst as cst
import pytest

from continuum.analyzer import engine
from continuum.analyzer.api import check_source
from continuum.analyzer.config import Config
from continuum.analyzer.engine import summarize
from continuum.analyzer.project import ProjectIndex, SourceFiles
from continuum.analyzer.resolve import Settings
from continuum.analyzer.rule import Rule, workflow


def _summarize(text: bytes, rules=None):
    path = Path.cwd() / "flow.py"
    index = ProjectIndex(SourceFiles({path: text}), roots=(Path.cwd(),))
    return summarize(path, text, settings=Settings.from_config(Config()), index=index, rules=rules)


def test_syntax_error_is_cn901_at_the_error_position() -> None:
    [diag] = check_source("from continuum import Workflow\n\ndef broken(:\n    pass\n")
    assert (diag.code, diag.line) == ("CN901", 3)
    assert diag.column >= 1
    assert "syntax error" in diag.message


def test_undecodable_file_is_cn902() -> None:
    summary = _summarize(b"# -*- coding: utf-8 -*-\nx = '\xff\xfe'\n")
    assert [d.code for d in summary.errors] == ["CN902"]


def test_internal_failure_is_cn903_naming_the_file() -> None:
    class Boom(Rule):
        def visit_Call(self, node: cst.Call) -> None:
            raise RuntimeError("rule exploded")

    summary = _summarize(b"def f():\n    g()\n", rules=[Boom])
    [diag] = summary.errors
    assert diag.code == "CN903"
    assert "flow.py" in diag.message and "RuntimeError: rule exploded" in diag.message


def test_summaries_cross_process_boundaries() -> None:
    summary = _summarize(workflow("return time.time()", "import time").encode())
    assert pickle.loads(pickle.dumps(summary)) == summary
    assert summary.functions["Flow.run"].findings[0].code == "CN101"


def test_positions_are_only_computed_for_files_with_something_to_report(monkeypatch) -> None:
    calls = []
    original = cst.metadata.MetadataWrapper.resolve

    def spy(self, provider):
        calls.append(provider.__name__)
        return original(self, provider)

    monkeypatch.setattr(cst.metadata.MetadataWrapper, "resolve", spy)
    _summarize(b"import math\n\n\ndef area(r):\n    return math.pi * r * r\n")
    assert "PositionProvider" not in calls
    # Only references to other project code: positions are left for later (if ever).
    summary = _summarize(
        b"def helper(x):\n    return x\n\n\ndef caller(x):\n    return helper(x)\n"
    )
    assert "PositionProvider" not in calls
    assert not summary.positioned
    assert summary.functions["caller"].edges[0].pos.line == 0
    _summarize(b"import time\n\n\ndef now():\n    return time.time()\n")
    assert "PositionProvider" in calls


def test_local_names_shadowing_modules_are_not_flagged() -> None:
    source = (
        "from continuum import Workflow\n\n\nclass F(Workflow):\n"
        "    def run(self, order):\n        time = order['time']\n        random = order['r']\n"
        "        return time.time() + random.random()\n"
    )
    assert check_source(source) == []


def test_module_prefilter_markers() -> None:
    assert engine.content_hash(b"a") != engine.content_hash(b"b")


@pytest.mark.parametrize("source", ["", "\n", "x = 1\n", "class A:\n    pass\n"])
def test_trivial_modules_have_no_diagnostics(source: str) -> None:
    assert check_source(source) == []
