"""Data-driven codegen cases: ``cases/*.py`` hold a workflow module, ``# output``, the result.

Each case is a one-module project ``app/flows.py`` defining one workflow class.
The expected output is the generated module without its four header lines and with
the interpreter version written as ``<python>``. Regenerate after an intended change
with ``CONTINUUM_UPDATE_CASES=1 pytest tests/codegen/test_cases.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from continuum.codegen.closure import find_workflow_classes
from continuum.codegen.freeze import freeze_version
from continuum.codegen.project import Project, read_module
from continuum.codegen.registry import OutputDir
from continuum.codegen.version import plan_version

from .conftest import GOLDEN_ROOT

CASES = sorted((Path(__file__).parent / "cases").glob("*.py"))
MARKER = "# output\n"
_PYTHON = re.compile(r'"python": "3\.\d+"')


def generate(source: str, root: Path) -> str:
    (root / "app").mkdir(parents=True)
    (root / "app/__init__.py").write_text("")
    (root / "app/flows.py").write_text(source, encoding="utf-8")
    module = read_module(root / "app/flows.py", root)
    project = Project(root)
    (class_name,) = find_workflow_classes(project, module)
    out = OutputDir(root / "app/_continuum", "app._continuum")
    text = freeze_version(plan_version(project, module, class_name), project, out).version.text
    body = text.split("\n", 4)[4]
    return _PYTHON.sub('"python": "<python>"', body)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case(case: Path, tmp_path: Path) -> None:
    source, _, expected = case.read_text(encoding="utf-8").partition(MARKER)
    actual = generate(source, tmp_path)
    if os.environ.get("CONTINUUM_UPDATE_CASES"):
        case.write_text(source + MARKER + actual, encoding="utf-8")
        return
    assert actual == expected


def test_there_are_cases() -> None:
    assert len(CASES) >= 3


def test_case_outputs_are_ruff_clean(tmp_path: Path) -> None:
    for case in CASES:
        output = case.read_text(encoding="utf-8").partition(MARKER)[2]
        (tmp_path / case.name).write_text(output, encoding="utf-8")
    zoo = GOLDEN_ROOT / "zoo/flows.py"
    project = Project(GOLDEN_ROOT)
    out = OutputDir(tmp_path / "zoo/_continuum", "zoo._continuum")
    rendered = freeze_version(plan_version(project, read_module(zoo), "ZooFlow"), project, out)
    rendered = rendered.version.text
    (tmp_path / "zoo_flow.py").write_text(rendered, encoding="utf-8")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None, "ruff is a dev dependency"
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--select=E,F,W,B,UP,SIM,RUF,I,N",
            "--ignore=E501",
            "--config=lint.isort.known-first-party=['app', 'zoo']",
            ".",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
