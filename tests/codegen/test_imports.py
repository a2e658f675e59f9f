"""The import block of generated modules is laid out exactly as ruff's isort would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from continuum.codegen.closure import ImportSpec as S
from continuum.codegen.errors import CodegenError
from continuum.codegen.imports import format_imports

SPECS = [
    S("continuum", "activity"),
    S("continuum", "Workflow"),
    S("continuum", "TIMEOUT"),
    S("continuum", "days"),
    S("continuum", "now", "cnow"),
    S("continuum", "Zeta", "zz"),
    S("continuum", "", "cn"),
    S("continuum"),
    S("shop", "payments"),
    S("shop.pricing"),
    S("shop.notifications", "send_email"),
    S("os"),
    S("decimal", "Decimal"),
    S("collections", "abc", "Abc"),
    S("collections", "OrderedDict"),
    S("mod10"),
    S("mod2"),
    S("__future__", "annotations"),
    *(S("shop", n) for n in ["Alpha", "beta", "ZETA", "gamma", "a" * 30, "b" * 30]),
]


def test_layout_matches_ruff_isort(tmp_path: Path) -> None:
    block = format_imports(SPECS, first_party=lambda top: top == "shop")
    names = sorted({s.bound for s in SPECS if s.module != "__future__"})
    target = tmp_path / "m.py"
    target.write_text(f"{block}\n\nprint({', '.join(names)})\n", encoding="utf-8")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None, "ruff is a dev dependency"
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--select=I",
            "--config=lint.isort.known-first-party=['shop']",
            "--diff",
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
    assert block.startswith("from __future__ import annotations\n\nimport os\n")


def test_duplicates_collapse() -> None:
    assert format_imports([S("os"), S("os")], first_party=lambda _: False) == "import os"


@pytest.mark.parametrize(
    "spec", [S("os; import sys"), S("a", "b\nimport os"), S("a", "b", "c d"), S("a..b")]
)
def test_non_identifiers_are_refused(spec: S) -> None:
    with pytest.raises(CodegenError):
        format_imports([spec], first_party=lambda _: False)
