"""`inspect_workflow`: finding a workflow by name and listing its versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuum.analyzer.config import Config
from continuum.codegen.api import build
from continuum.codegen.discovery import discover
from continuum.codegen.inventory import WorkflowNotFound, inspect_workflow

from .conftest import write_project

FLOW = "from continuum import Workflow\n\n\nclass Flow(Workflow):\n    pass\n"


def test_ambiguous_class_name_is_refused(tmp_path: Path) -> None:
    root = write_project(tmp_path / "src", {"app/a.py": FLOW, "app/b.py": FLOW})
    config = Config(root=tmp_path)
    files = discover([root], config)
    with pytest.raises(WorkflowNotFound, match="several workflows match 'Flow'"):
        inspect_workflow("Flow", files, config=config)
    assert inspect_workflow("app.b:Flow", files, config=config).workflow == "app.b:Flow"


def test_versions_are_listed_current_first(tmp_path: Path) -> None:
    root = write_project(tmp_path / "src", {"app/a.py": FLOW})
    config = Config(root=tmp_path)
    build([root], config=config)
    path = root / "app/a.py"
    path.write_text(path.read_text().replace("pass", "def run(self, x):\n        return x"))
    files = discover([root], config)
    before = inspect_workflow("app.a:Flow", files, config=config)
    assert not before.built and [v.current for v in before.versions] == [False]
    assert before.current_metadata["version_hash"] == before.current_hash
    build([root], config=config)
    after = inspect_workflow("app.a:Flow", files, config=config)
    assert after.built and after.registry_current == after.current_hash
    assert [v.current for v in after.versions] == [True, False]
    assert after.to_json()["versions"][0]["version_hash"] == after.current_hash
