"""The analyzer never raises: on generated Python and on the whole standard library.

A failure inside one file must come back as a diagnostic (CN901 syntax, CN902 encoding,
CN903 internal failure), never as an exception. These tests feed it code nobody wrote
with workflows in mind, wrapped so that it *is* workflow code: a probe workflow class
is appended that calls every module-level function and instantiates every class, so
the analyzer follows into all of it. An internal failure (CN903) fails the test too:
it means the analyzer gave up on valid Python.
"""

from __future__ import annotations

import ast
import sysconfig
import tokenize
import warnings
from functools import cache
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.analyzer.api import check_source
from continuum.analyzer.diagnostics import CODES, Diagnostic

#: How many standard-library files the CI-sized run checks (all of them with --full).
STDLIB_SAMPLE = 150
#: The CI-sized sample leaves out files longer than this: the analyzer's cost grows with
#: size, and a handful of 5 000-line test modules would otherwise be half the run.
STDLIB_SAMPLE_MAX_LINES = 500
#: Generated programs per run (CI-sized / --full).
GENERATED_EXAMPLES = (30, 500)

PROBE = "_ContinuumProbeFlow"


def as_workflow(source: str) -> str:
    """``source`` plus a workflow class whose ``run`` reaches every top-level definition."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. in old test files
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source  # the analyzer must report CN901 on it; nothing to wrap
    calls = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            calls.append(f"        {node.name}()")
    body = "\n".join(calls) or "        pass"
    return (
        f"{source.rstrip()}\n\n\nimport continuum as _continuum_probe\n\n\n"
        f"class {PROBE}(_continuum_probe.Workflow, version=1):\n"
        f"    def run(self):\n{body}\n"
    )


def assert_well_formed(diagnostics: list[Diagnostic], path: str) -> None:
    """Every diagnostic is a known code at a sane position, and none is an internal failure."""
    assert isinstance(diagnostics, list)
    crashes = [d.message for d in diagnostics if d.code == "CN903"]
    assert not crashes, f"analyzer failed on {path}: {crashes}"
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.code in CODES
        assert diagnostic.line >= 0 and diagnostic.column >= 0
        assert diagnostic.message


# --- generated source ----------------------------------------------------------------

python_source = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())


# hypothesmith compiles what it generates (`1()` warns "'int' object is not callable");
# those SyntaxWarnings are its own, not the analyzer's output.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_never_raises_on_generated_source(full_run: bool) -> None:
    @settings(
        max_examples=GENERATED_EXAMPLES[full_run],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(source=python_source)
    def check(source: str) -> None:
        assert_well_formed(check_source(source), "<generated>")
        assert_well_formed(check_source(as_workflow(source)), "<generated, wrapped>")

    check()


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\x00",
        "def f(:\n",
        "class W(continuum.Workflow):\n    def run(self):\n        return (\n",
        "import continuum\n\nclass W(continuum.Workflow, version=1):\n    def run(self):\n        x = \n",
        "\ufeffimport continuum\n",
        "import continuum\r\nclass W(continuum.Workflow, version=1):\r\n    def run(self): pass\r\n",
        "import continuum\n" + "(" * 50 + ")" * 50 + "\n",
        "import continuum\nx = 1\nif x:\n    pass\n\tpass\n",  # inconsistent tabs
    ],
)
def test_never_raises_on_broken_source(source: str) -> None:
    diagnostics = check_source(source)
    assert_well_formed(diagnostics, repr(source[:30]))


def test_syntax_error_is_reported_as_cn901() -> None:
    source = "import continuum\n\nclass W(continuum.Workflow, version=1):\n    def run(self)\n"
    (diagnostic,) = check_source(source, path="app/w.py")
    assert diagnostic.code == "CN901"
    assert diagnostic.path == "app/w.py"
    assert diagnostic.line == 4


# --- the standard library ------------------------------------------------------------


@cache
def stdlib_files() -> list[Path]:
    """Every ``.py`` file of the running interpreter's standard library (no site-packages)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        path
        for path in root.rglob("*.py")
        if "site-packages" not in path.relative_to(root).parts
        and "dist-packages" not in path.relative_to(root).parts
    )


def _short(path: Path) -> bool:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) <= STDLIB_SAMPLE_MAX_LINES


@cache
def stdlib_selection(full: bool) -> list[Path]:
    """All files with ``--full``; otherwise an evenly spread, deterministic sample."""
    files = stdlib_files()
    if full:
        return files
    files = [path for path in files if _short(path)]
    if len(files) <= STDLIB_SAMPLE:
        return files
    step = len(files) / STDLIB_SAMPLE
    return [files[int(i * step)] for i in range(STDLIB_SAMPLE)]


def read_source(path: Path) -> str:
    try:
        with tokenize.open(path) as fh:
            return fh.read()
    except (SyntaxError, UnicodeDecodeError):
        # A few test fixtures are deliberately mis-encoded; decode losslessly anyway.
        return path.read_bytes().decode("latin-1")


def test_stdlib_sample_is_spread_and_stable() -> None:
    sample = stdlib_selection(full=False)
    assert len(sample) == STDLIB_SAMPLE
    assert sample == stdlib_selection(full=False)
    assert len({p.parent for p in sample}) > 10  # not all from one package


def test_every_stdlib_file_as_a_workflow_gives_diagnostics_not_tracebacks(full_run: bool) -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    selection = stdlib_selection(full_run)
    failures: list[str] = []
    reported = 0
    for path in selection:
        rel = path.relative_to(root).as_posix()
        try:
            diagnostics = check_source(as_workflow(read_source(path)), path=f"stdlib/{rel}")
            assert_well_formed(diagnostics, rel)
        except Exception as exc:  # collect every failing file, not just the first
            failures.append(f"{rel}: {type(exc).__name__}: {exc}")
            continue
        reported += bool(diagnostics)
    assert not failures, "\n".join(failures)
    # The standard library reads clocks, files and the environment all over: wrapped as
    # workflow code, much of it must be reported. Zero would mean nothing was analyzed.
    assert reported > len(selection) // 4
