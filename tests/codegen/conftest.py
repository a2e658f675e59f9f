"""Fixtures for codegen tests: scratch copies of the example shop, and a build helper."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from continuum.analyzer.config import Config
from continuum.codegen.api import BuildReport, build
from continuum.codegen.project import Project, import_root, read_module
from continuum.codegen.version import WorkflowVersion, plan_version

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SHOP = REPO / "examples" / "shop"
GOLDEN_ROOT = Path(__file__).resolve().parent / "fixtures" / "golden"


def copy_shop(source: Path, root: Path) -> Path:
    """Copy a ``shop`` package (without generated output or caches) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        source, root / "shop", ignore=shutil.ignore_patterns("_continuum", "__pycache__")
    )
    return root


@pytest.fixture
def shop_root(tmp_path: Path) -> Path:
    """A scratch copy of examples/shop; the returned directory is its import root."""
    return copy_shop(EXAMPLE_SHOP, tmp_path / "src")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Default settings rooted in the test's scratch directory."""
    return Config(root=tmp_path)


@pytest.fixture
def run_build(config: Config) -> Callable[..., BuildReport]:
    """``run_build(paths, check=False, out=None)`` with the scratch config."""

    def run(paths: list[Path], *, check: bool = False, out: Path | None = None) -> BuildReport:
        return build(paths, config=config, check=check, out=out)

    return run


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` under ``root`` (packages get an ``__init__.py``)."""
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        for parent in path.relative_to(root).parents:
            if parent != Path(".") and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("", encoding="utf-8")
    return root


def plan(path: Path, class_name: str) -> WorkflowVersion:
    """The current version of ``class_name`` in ``path`` (import root inferred)."""
    source = read_module(path)
    return plan_version(Project(import_root(path)), source, class_name)


def hash_of(path: Path, class_name: str) -> str:
    """The version hash of ``class_name`` in ``path``."""
    return plan(path, class_name).version_hash
