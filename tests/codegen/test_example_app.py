"""The example shop's generated code is committed, like migrations, and must stay current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from continuum.analyzer.config import load_config
from continuum.codegen.api import build

from .conftest import copy_shop

ROOT = Path(__file__).resolve().parents[2]


def test_committed_generated_code_of_the_example_is_current(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    report = build(["examples/shop"], config=load_config(ROOT), check=True)
    problems = [str(p) for p in report.problems]
    assert report.exit_code == 0, (
        "examples/shop/_continuum is stale: run `continuum build examples/shop` and commit it\n"
        + "\n".join(problems)
    )


def test_the_example_registry_resolves_every_current_version() -> None:
    code = (
        "import importlib, shop._continuum as reg\n"
        "for name, digest in sorted(reg.CURRENT.items()):\n"
        "    entry = reg.VERSIONS[digest]\n"
        "    module = importlib.import_module(entry['module'])\n"
        "    meta = module.__continuum_workflow__\n"
        "    assert meta['workflow'] == name and meta['version_hash'] == digest, meta\n"
        "    print(name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "examples",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "shop.flows.billing:InvoiceFlow",
        "shop.flows.billing:MonthlyBillingFlow",
        "shop.flows.onboarding:OnboardingFlow",
        "shop.flows.orders:OrderFlow",
    ]


def test_a_warm_check_of_an_unchanged_tree_does_not_import_the_renderers(tmp_path: Path) -> None:
    # `build --check` runs in CI and pre-commit on every change: with nothing to render
    # it must not pay for libcst (rewriting) or jinja2 (templates), whose imports cost
    # more than the whole check.
    copy_shop(ROOT / "examples" / "shop", tmp_path / "src")
    cli = [sys.executable, "-m", "continuum"]
    # Builds the modules and warms the analyzer's cache (a cold check parses with libcst).
    subprocess.run([*cli, "build", "src/shop"], cwd=tmp_path, capture_output=True, check=True)
    probe = (
        "import sys\n"
        "from continuum.cli import cli\n"
        "try:\n"
        "    cli(['build', '--check', 'src/shop'], prog_name='continuum')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'jinja2'))\n"
        "print('RESULT', code, loaded[:3])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert run.stdout.splitlines()[-1] == "RESULT 0 []", run.stdout + run.stderr
