"""check_paths / check_source end to end: the example app, determinism, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.analyzer.api import CheckReport, check_paths, check_source
from continuum.analyzer.config import Config, load_config
from continuum.analyzer.diagnostics import Diagnostic, Severity
from continuum.analyzer.discovery import iter_python_files, worth_parsing
from continuum.analyzer.rule import workflow

REPO = Path(__file__).resolve().parents[2]


def test_example_shop_is_clean(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    report = check_paths(["examples/shop"], config=load_config(REPO), use_cache=False)
    assert report.diagnostics == []
    assert report.exit_code() == 0
    assert report.workflows == [
        "shop.flows.billing:InvoiceFlow",
        "shop.flows.billing:MonthlyBillingFlow",
        "shop.flows.onboarding:OnboardingFlow",
        "shop.flows.orders:OrderFlow",
    ]


def test_a_broken_copy_of_the_shop_fails(make_tree) -> None:
    files = {
        str(p.relative_to(REPO / "examples")): p.read_text()
        for p in (REPO / "examples" / "shop").rglob("*.py")
        if "_continuum" not in p.parts
    }
    files["shop/pricing.py"] += "\n\ndef stamp():\n    import time\n\n    return time.time()\n"
    files["shop/pricing.py"] = files["shop/pricing.py"].replace(
        "return str(Decimal(total) + Decimal(shipping_fee(total)))",
        "stamp()\n    return str(Decimal(total) + Decimal(shipping_fee(total)))",
    )
    root = make_tree(files)
    report = check_paths(["shop"], config=Config(root=root), use_cache=False)
    # Every workflow reaching pricing.grand_total is reported, at its own call site.
    assert [(d.path, d.code) for d in report.diagnostics] == [
        ("shop/flows/billing.py", "CN101"),
        ("shop/flows/orders.py", "CN101"),
    ]
    assert report.exit_code() == 1
    assert [h.label for h in report.diagnostics[1].chain] == [
        "OrderFlow.run",
        "shop.pricing.grand_total",
        "shop.pricing.stamp",
        "time.time()",
    ]


def test_output_is_sorted_and_identical_between_runs(make_tree) -> None:
    files = {
        f"flows/f{i}.py": workflow("print(order)\nreturn time.time(), id(order)", "import time")
        for i in range(3)
    }
    root = make_tree(files)
    first = check_paths(["flows"], config=Config(root=root), use_cache=False)
    second = check_paths(["flows"], config=Config(root=root), use_cache=True)
    third = check_paths(["flows"], config=Config(root=root), use_cache=True)
    assert first.diagnostics == second.diagnostics == third.diagnostics
    assert first.diagnostics == sorted(first.diagnostics)
    assert len(first.diagnostics) == 9
    assert first.files_checked == 3


def test_parallel_workers_give_the_same_result(make_tree) -> None:
    files = {
        f"flows/f{i:02}.py": workflow(f"return time.time() + {i}", "import time") for i in range(10)
    }
    root = make_tree(files)
    serial = check_paths(["flows"], config=Config(root=root), use_cache=False, jobs=1)
    parallel = check_paths(["flows"], config=Config(root=root), use_cache=False, jobs=2)
    assert serial.diagnostics == parallel.diagnostics
    assert len(parallel.diagnostics) == 10


def test_files_that_never_mention_continuum_are_not_parsed(make_tree) -> None:
    root = make_tree(
        {"lib/a.py": "import time\nX = time.time()\n", "lib/b.py": "def f():\n    pass\n"}
    )
    report = check_paths(["lib"], config=Config(root=root), use_cache=False)
    assert (report.files_checked, report.files_parsed, report.diagnostics) == (2, 0, [])


def test_paths_are_relative_to_the_working_directory(make_tree, monkeypatch) -> None:
    root = make_tree({"proj/flows/flow.py": workflow("return id(order)")})
    monkeypatch.chdir(root / "proj")
    report = check_paths(["flows"], config=Config(root=root / "proj"), use_cache=False)
    assert [d.path for d in report.diagnostics] == ["flows/flow.py"]


def test_exit_codes() -> None:
    warning = Diagnostic("a.py", 1, 1, "CN206", "m", Severity.WARNING)
    error = Diagnostic("a.py", 1, 1, "CN101", "m", Severity.ERROR)
    assert CheckReport([]).exit_code() == 0
    assert CheckReport([warning]).exit_code() == 0
    assert CheckReport([warning]).exit_code(strict=True) == 1
    assert CheckReport([warning, error]).exit_code() == 1


def test_check_source_reads_nothing_from_disk(tmp_path: Path) -> None:
    # A real file with the same path must not influence the in-memory analysis.
    (tmp_path / "helpers.py").write_text("import time\n\n\ndef h():\n    return time.time()\n")
    source = "from continuum import Workflow\nimport helpers\n\n\nclass F(Workflow):\n    def run(self, x):\n        return helpers.h()\n"
    config = Config(root=tmp_path)
    assert (
        check_source(source, config=config, extra_files={"helpers.py": "def h():\n    return 1\n"})
        == []
    )


def test_importing_the_api_does_not_load_libcst() -> None:
    # A warm run must not pay for LibCST: it is imported only when a file is parsed.
    code = "import sys, continuum.analyzer.api; print('libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_warm_run_imports_neither_libcst_nor_the_analysis_modules(make_tree) -> None:
    """Answered from the cache, a run needs no parser, summaries or resolution tables."""
    make_tree(
        {
            "app/__init__.py": "",
            "app/flow.py": (
                "import time\nfrom continuum import Workflow\n\n\n"
                "class F(Workflow):\n    def run(self):\n"
                "        return time.time()\n"
            ),
        }
    )
    code = (
        "import sys\nfrom continuum.analyzer.api import check_paths\n"
        "r = check_paths(['app'])\n"
        "print(r.files_parsed, len(r.workflows), [d.code for d in r.diagnostics])\n"
        "heavy = ('libcst', 'continuum.analyzer.summary', 'continuum.analyzer.resolve',"
        " 'continuum.analyzer.reach', 'continuum.analyzer.suppressions')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    run = [sys.executable, "-c", code]
    cold = subprocess.run(run, capture_output=True, text=True, check=True).stdout.splitlines()
    assert cold[0] == "1 1 ['CN101']"
    warm = subprocess.run(run, capture_output=True, text=True, check=True).stdout.splitlines()
    # The workflow's result carries a diagnostic: decoding it stays light too.
    assert warm == ["0 1 ['CN101']", "[]"]


# -- discovery and prefilter fast paths, against the straightforward definitions ----------
_POOL = ["*.py", "gen", "gen/**", "a/**/deep", "b", "a/b", "**/x.py", "*_test.py", "a/*"]
_TREE = [
    "a/one.py",
    "a/b/two.py",
    "a/b/deep/three.py",
    "a/deep/four.py",
    "b/five.py",
    "gen/six.py",
    "gen/sub/seven.py",
    "c/x.py",
    "c/y_test.py",
    "top.py",
]


def _reference_excluded(path: Path, config: Config, exempt: int) -> bool:
    """Test every component of ``path`` with plain fnmatch (the rules of docs/analyzer.md)."""
    import fnmatch

    from continuum.analyzer.config import DEFAULT_EXCLUDE

    patterns = (*DEFAULT_EXCLUDE, *config.exclude)
    parts = path.relative_to(config.root).parts
    for i in range(exempt + 1, len(parts) + 1):
        rel, name = "/".join(parts[:i]), parts[i - 1]
        for p in (p.rstrip("/") for p in patterns):
            if fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(rel, p):
                return True
            if p.endswith("/**") and (
                fnmatch.fnmatchcase(rel, p[:-3]) or fnmatch.fnmatchcase(rel + "/", p[:-2])
            ):
                return True
    return False


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    exclude=st.lists(st.sampled_from(_POOL), max_size=3, unique=True),
    named=st.sampled_from([".", "a", "a/b", "gen", "c", "a/b/deep"]),
    force=st.booleans(),
)
def test_discovery_matches_testing_every_component(tmp_path, exclude, named, force) -> None:
    root = tmp_path / "tree"
    for rel in _TREE:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).touch()
    config = Config(root=root.resolve(), exclude=tuple(exclude))
    top = (config.root / named).resolve()
    if force:
        # --force-exclude: the named directory and its parents are tested like the rest.
        exempt, below = 0, config
    else:
        # Patterns that exclude the named path itself are lifted below it, and the named
        # path's own components are exempt (docs/analyzer.md).
        exempt = len(Path(named).parts) if named != "." else 0
        lifted = tuple(
            p
            for p in exclude
            if not _reference_excluded(top, Config(root=config.root, exclude=(p,)), 0)
        )
        below = Config(root=config.root, exclude=lifted)
    expected = sorted(p for p in top.rglob("*.py") if not _reference_excluded(p, below, exempt))
    found = list(iter_python_files([str(top)], config, force_exclude=force))
    assert found == expected


@settings(max_examples=100, deadline=None)
@given(
    data=st.text("contiumFlowXY_ \n@generated", max_size=60).map(str.encode)
    | st.binary(max_size=40),
    markers=st.lists(st.text("contiumFlowXY_", max_size=6).map(str.encode), max_size=4),
)
def test_the_prefilter_is_a_substring_test(data: bytes, markers: list[bytes]) -> None:
    expected = any(m in data for m in markers) and b"@generated" not in data[:2048]
    assert worth_parsing(data, markers) is expected
