"""Codegen agrees with the analyzer: module names, workflow bases, effect tables, paths."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.analyzer import denylist
from continuum.analyzer.config import Config
from continuum.analyzer.diagnostics import Diagnostic
from continuum.analyzer.project import ProjectIndex, SourceFiles
from continuum.codegen import api, bindings, closure
from continuum.codegen.api import Status, build
from continuum.codegen.project import Project, locate, read_module
from continuum.codegen.version import plan_version

CLOCK_FLOW = """\
import time

from continuum import Workflow


class Clock(Workflow):
    def run(self) -> float:
        return time.time()
"""


def _write(root: Path, files: dict[str, str]) -> None:
    """Write files as given: no ``__init__.py`` is added (loose modules stay loose)."""
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _tree(root: Path) -> set[Path]:
    # The analyzer's result cache may appear; no generated code may.
    return {
        p
        for p in root.rglob("*")
        if "__pycache__" not in p.parts and ".continuum_cache" not in p.parts
    }


def test_loose_module_with_analyzer_errors_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # app/ has no __init__.py: with src=["."] the analyzer names the module app.flows.
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"app/flows.py": CLOCK_FLOW})
    before = _tree(tmp_path)
    report = build([tmp_path / "app"], config=Config(root=tmp_path))
    assert report.exit_code == 1
    assert [(r.workflow, r.status) for r in report.workflows] == [
        ("app.flows:Clock", Status.REFUSED)
    ]
    assert {d.workflow for d in report.diagnostics} == {"app.flows:Clock"}
    assert report.written == ()
    assert _tree(tmp_path) == before


def test_loose_module_is_named_relative_to_a_configured_src_root(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"src/app/flows.py": "from continuum import Workflow\n\n\nclass F(Workflow):\n    pass\n"},
    )
    config = Config(root=tmp_path, src=("src",))
    report = build([tmp_path / "src"], config=config)
    assert report.exit_code == 0, report.problems
    assert [r.workflow for r in report.workflows] == ["app.flows:F"]
    assert (tmp_path / "src" / "app" / "_continuum").is_dir()


_segment = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s.isidentifier())


@settings(max_examples=30, deadline=None)
@given(
    packages=st.lists(_segment, max_size=2),
    loose=st.lists(_segment, max_size=2),
    stem=_segment,
)
def test_module_names_match_the_analyzer(
    tmp_path_factory: pytest.TempPathFactory, packages: list[str], loose: list[str], stem: str
) -> None:
    # Any mix of loose directories and packages below a src root gets one name.
    root = tmp_path_factory.mktemp("names")
    directory = root.joinpath(*loose)
    for part in packages:
        directory = directory / part
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "__init__.py").write_text("", encoding="utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.py"
    path.write_text("", encoding="utf-8")
    index = ProjectIndex(SourceFiles())
    index.add_roots([root])
    assert locate(path, [root]) == index.module_for_path(path.resolve())


def _diagnostic(path: str, workflow: str) -> Diagnostic:
    return Diagnostic(path=path, line=1, column=1, code="CN101", message="m", workflow=workflow)


def test_findings_match_by_file_and_class_when_names_differ(tmp_path: Path) -> None:
    _write(tmp_path, {"app/flows.py": CLOCK_FLOW, "app/other.py": CLOCK_FLOW})
    path = tmp_path / "app" / "flows.py"
    version = plan_version(Project(tmp_path), read_module(path, tmp_path), "Clock")
    config = Config(root=tmp_path)
    assert api._belongs_to(_diagnostic(str(path), "some.other.name:Clock"), version, config)
    assert api._belongs_to(_diagnostic(str(path), "app.flows:Clock"), version, config)
    # Another file's, or another class's, finding does not stop this workflow.
    other = str(tmp_path / "app" / "other.py")
    assert not api._belongs_to(_diagnostic(other, "flows:Clock"), version, config)
    assert not api._belongs_to(_diagnostic(str(path), "app.flows:Timer"), version, config)


def test_configured_base_workflow_is_opaque_in_the_hash(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/base.py": "class Base:\n    pass\n",
        "app/child.py": (
            "from app.base import Base\n\n\nclass Child(Base):\n    def run(self):\n"
            "        return {body}\n"
        ),
        "app/parent.py": (
            "from continuum import Workflow, run_child\n\nfrom app.child import Child\n\n\n"
            "class Parent(Workflow):\n    def run(self):\n        return run_child(Child)\n"
        ),
    }

    def parent_hash(body: str, bases: tuple[str, ...]) -> str:
        _write(tmp_path, {**files, "app/child.py": files["app/child.py"].format(body=body)})
        project = Project(tmp_path)
        source = read_module(tmp_path / "app" / "parent.py")
        return plan_version(project, source, "Parent", extra_bases=bases).version_hash

    # With the base configured, Child is a workflow of its own: versioned on its own.
    configured = ("app.base.Base",)
    assert parent_hash("1", configured) == parent_hash("2", configured)
    # Without it Child is plain code the parent runs: its body is part of the parent.
    assert parent_hash("1", ()) != parent_hash("2", ())


def test_configured_base_reaches_the_build(tmp_path: Path) -> None:
    # Through `build`, the `workflow-bases` setting gives the same opacity.
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/base.py": "class Base:\n    pass\n",
            "app/child.py": "from app.base import Base\n\n\nclass Child(Base):\n    X = 1\n",
            "app/parent.py": (
                "from continuum import Workflow, run_child\n\nfrom app.child import Child\n\n\n"
                "class Parent(Workflow):\n    def run(self):\n        return run_child(Child)\n"
            ),
        },
    )
    config = Config(root=tmp_path, workflow_bases=("app.base.Base",))

    def hashes() -> dict[str, str]:
        report = build([tmp_path / "app"], config=config, check=True)
        return {r.workflow: r.version_hash for r in report.workflows}

    first = hashes()
    (tmp_path / "app" / "child.py").write_text(
        "from app.base import Base\n\n\nclass Child(Base):\n    X = 2\n", encoding="utf-8"
    )
    second = hashes()
    assert first["app.parent:Parent"] == second["app.parent:Parent"]
    assert first["app.child:Child"] != second["app.child:Child"]


def test_tables_are_the_analyzer_tables() -> None:
    assert set(bindings.EFFECT_KINDS) == denylist.EFFECTS
    assert {k: v for k, v in bindings.EFFECT_KINDS.items() if k != v} == {"sleep": "timer"}
    assert closure.WORKFLOW_BASES is denylist.WORKFLOW_BASES


def test_display_path_is_the_analyzers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from continuum.analyzer.project import display_path

    assert api.display_path is display_path
    # Outside the working directory a path is shown relative to it, as `check` shows it.
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path.parent / "x.py"
    assert api.display_path(elsewhere) == f"../{elsewhere.name}"
