"""``continuum build`` / ``continuum inspect`` through click: output and exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from continuum.cli import cli


@pytest.fixture
def in_scratch(tmp_path: Path, shop_root: Path) -> Iterator[Path]:
    """Run from the scratch directory (its settings root), return the shop's import root."""
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield shop_root.relative_to(tmp_path)
    finally:
        os.chdir(cwd)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_build_check_inspect_cycle(in_scratch: Path) -> None:
    src = str(in_scratch)
    code, _, err = invoke("build", "--check", src)
    assert code == 1
    assert "has no generated module" in err
    assert f"to fix: continuum build {src}" in err

    code, out, _ = invoke("build", src)
    assert code == 0
    assert out.count("wrote ") == 4
    # 4 versions, 2 frozen pricing helpers (OrderFlow's and InvoiceFlow's closures), the
    # registry and 6 package __init__ files.
    assert "build: ok, 4 workflows (4 created), 13 files written" in out

    flow = in_scratch / "shop/flows/orders.py"
    flow.write_text(flow.read_text().replace("hours(24)", "hours(12)"))
    code, _, err = invoke("build", "--check", src)
    assert code == 1 and "shop.flows.orders:OrderFlow" in err

    code, out, _ = invoke("build", src)
    assert code == 0 and out.count("wrote ") == 1
    assert invoke("build", "--check", src)[0] == 0

    code, out, _ = invoke("inspect", "OrderFlow", src)
    assert code == 0
    assert out.splitlines()[0].startswith("shop.flows.orders:OrderFlow")
    assert "versions (2):" in out
    assert out.count("shop._continuum.shop.flows.orders.V_") == 3  # current module + 2 listed
    assert "[current]" in out and "retention:          2592000s (30 days)" in out

    code, out, _ = invoke("inspect", "shop.flows.orders:OrderFlow", src, "--json")
    data = json.loads(out)
    assert data["current"]["built"] and data["current"]["registered"]
    assert [v["current"] for v in data["versions"]] == [True, False]
    assert data["current"]["metadata"]["signals"] == ["fraud_review"]


def test_inspect_unknown_workflow_is_a_usage_error(in_scratch: Path) -> None:
    code, _, err = invoke("inspect", "NoSuchFlow", str(in_scratch))
    assert code == 2
    assert "no workflow matches 'NoSuchFlow'" in err and "shop.flows.orders:OrderFlow" in err


def test_inspect_before_build_says_so(in_scratch: Path) -> None:
    code, out, _ = invoke("inspect", "OnboardingFlow", str(in_scratch))
    assert code == 0
    assert "(not built: run continuum build)" in out and "versions (0):" in out


def test_out_option(in_scratch: Path, tmp_path: Path) -> None:
    code, _, _ = invoke("build", "--out", "generated", str(in_scratch))
    assert code == 0
    assert (tmp_path / "generated/__init__.py").is_file()
    assert invoke("build", "--check", "--out", "generated", str(in_scratch))[0] == 0
    assert invoke("build", "--check", str(in_scratch))[0] == 1


def test_progress_is_quiet_off_a_terminal() -> None:
    from continuum.cli.build import PROGRESS_FROM, _progress

    files = [Path(f"f{i}.py") for i in range(PROGRESS_FROM + 5)]
    # Under pytest stderr is not a terminal: the files pass through untouched.
    assert list(_progress(files)) == files


def test_inspect_finds_a_workflow_deriving_from_a_project_base(tmp_path: Path) -> None:
    from .conftest import write_project

    root = write_project(
        tmp_path / "src",
        {
            "app/base.py": "from continuum import Workflow\n\n\nclass Base(Workflow):\n    pass\n",
            "app/flows.py": "from app.base import Base\n\n\nclass Flow(Base):\n    pass\n",
        },
    )
    code, out, _ = invoke("inspect", "app.flows:Flow", str(root))
    assert code == 0 and out.startswith("app.flows:Flow")
