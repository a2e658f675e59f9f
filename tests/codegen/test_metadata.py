"""Class keywords are evaluated without running user code."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from continuum.codegen.bindings import ModuleTable
from continuum.codegen.errors import CodegenError
from continuum.codegen.metadata import WorkflowOptions, workflow_options
from continuum.codegen.project import ModuleSource


def options(source: str) -> WorkflowOptions:
    text = textwrap.dedent(source)
    tree = ast.parse(text)
    table = ModuleTable.build(ModuleSource("app.flows", Path("app/flows.py"), text, tree, False))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    return workflow_options(table, cls)


def test_defaults() -> None:
    found = options("from continuum import Workflow\nclass F(Workflow):\n    pass\n")
    assert found == WorkflowOptions("app.flows:F", 1, 30 * 86400.0, None, None, False)


def test_literals_constants_and_durations() -> None:
    found = options(
        """
        import datetime
        import continuum as cn
        from continuum import Workflow, hours

        KEEP = hours(36)
        SIGNALS = ("a", "b")

        class F(Workflow, version=3, retention=KEEP, snapshot_threshold=500,
                signals=SIGNALS, workflow="app.old:F"):
            pass
        """
    )
    assert found == WorkflowOptions("app.old:F", 3, 36 * 3600.0, 500, ("a", "b"), True)


@pytest.mark.parametrize(
    ("keyword", "seconds"),
    [
        ("retention=None", None),
        ("retention=90", 90.0),
        ("retention=cn.days(2)", 172800.0),
        ("retention=datetime.timedelta(minutes=3)", 180.0),
        ("retention=timedelta(hours=1, minutes=1)", 3660.0),
    ],
)
def test_retention_forms(keyword: str, seconds: float | None) -> None:
    found = options(
        f"""
        import datetime
        from datetime import timedelta
        import continuum as cn

        class F(cn.Workflow, {keyword}):
            pass
        """
    )
    assert found.retention == seconds


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("retention=compute()", "cannot evaluate retention="),
        ("version=VERSION", "cannot evaluate version="),
        ("version='2'", "version must be an int"),
        ("signals='abc'", "signals must be a list"),
        ("snapshot_threshold=0", "snapshot_threshold must be"),
        ("workflow='no-colon'", "workflow must look like"),
    ],
)
def test_unknowable_or_wrong_values_are_errors(keyword: str, message: str) -> None:
    with pytest.raises(CodegenError, match=message):
        options(
            f"import os\nfrom continuum import Workflow\nVERSION = int(os.environ['V'])\nclass F(Workflow, {keyword}):\n    pass\n"
        )
