"""Output directories: where generated code goes and what it imports as."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuum.codegen.errors import CodegenError
from continuum.codegen.registry import (
    OutputDir,
    default_output,
    explicit_output,
    read_current,
    read_metadata,
)


def test_default_output_is_inside_the_top_level_package(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    out = default_output(tmp_path, "shop.flows.orders")
    assert out == OutputDir((tmp_path / "shop/_continuum").resolve(), "shop._continuum")
    assert out.version_path("shop.flows.orders", "V_ab.py") == (
        out.path / "shop/flows/orders/V_ab.py"
    )
    assert out.dotted(out.path / "shop/flows/orders/V_ab.py") == (
        "shop._continuum.shop.flows.orders.V_ab"
    )
    # A top-level module has no package to live in: the output sits at the root.
    assert default_output(tmp_path, "flows").package == "_continuum"


def test_explicit_output_package_name_follows_init_files(tmp_path: Path) -> None:
    (tmp_path / "app/sub").mkdir(parents=True)
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/sub/__init__.py").write_text("")
    assert explicit_output(tmp_path / "app/sub/gen").package == "app.sub.gen"
    assert explicit_output(tmp_path / "gen").package == "gen"
    with pytest.raises(CodegenError, match="not importable"):
        explicit_output(tmp_path / "my-gen")


def test_unreadable_files_yield_nothing(tmp_path: Path) -> None:
    out = OutputDir(tmp_path, "gen")
    assert read_current(out) == {}
    (tmp_path / "__init__.py").write_text("CURRENT = {")
    assert read_current(out) == {}
    (tmp_path / "__init__.py").write_text("CURRENT = {'a:B': 'h'}")
    assert read_current(out) == {"a:B": "h"}
    assert read_metadata("__continuum_workflow__ = {'workflow': f()}") == {}
    assert read_metadata("__continuum_workflow__ = {'workflow': 'a:B'}") == {"workflow": "a:B"}
