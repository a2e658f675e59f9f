"""The warm replay (`continuum.cli.warm`): real ``continuum`` processes on a small tree.

Each run goes through the console entry point in a fresh interpreter, as a user's does.
The runner marks, at exit, whether click was imported: a replayed run never imports it,
so "replay" proves the record answered and "full" that the command really ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import continuum.cli.warm as warm

RUNNER = """\
import atexit, os, sys

def _mark():
    with open(os.environ["WARM_TEST_MARK"], "w") as handle:
        handle.write("full" if "click" in sys.modules else "replay")

atexit.register(_mark)
from continuum.cli import main
main()
"""

FLOW = """\
from continuum import Workflow, activity
from app import helpers, jobs


class OrderFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        total = helpers.total(order)
        return activity(jobs.charge, total)
"""
HELPERS = """\
from app import pricing


def total(order):
    return pricing.price(order) + 1
"""
PRICING_CLEAN = """\
def price(order):
    return len(order)
"""
PRICING_CLOCK = """\
import time


def price(order):
    return len(order) + time.time()
"""
JOBS = """\
def charge(total):
    return str(total)
"""
CLOCK_FLOW = """\
import random

from continuum import Workflow


class LuckyFlow(Workflow, version=1):
    def run(self, x: int) -> float:
        return random.random() + x
"""


@dataclass(frozen=True)
class Run:
    stdout: bytes
    stderr: bytes
    code: int
    how: str  # "full" or "replay"


@pytest.fixture(scope="session")
def package_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the ``continuum`` package that the runs import.

    A record is invalidated by any edit of continuum's own files; the copy keeps the
    runs apart from edits in the working tree and lets a test edit "continuum" itself.
    """
    root = tmp_path_factory.mktemp("package")
    shutil.copytree(
        Path(warm.__file__).parents[1],
        root / "continuum",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


@pytest.fixture(autouse=True)
def _use_package_copy(package_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(package_root))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n\n[tool.continuum]\n')
    files = {
        "__init__.py": "",
        "flows.py": FLOW,
        "helpers.py": HELPERS,
        "pricing.py": PRICING_CLEAN,
        "jobs.py": JOBS,
    }
    for name, text in files.items():
        (root / "app" / name).write_text(text)
    return root


def run(root: Path, *args: str) -> Run:
    # The mark lives outside the project: writing it must not touch a recorded directory.
    fd, name = tempfile.mkstemp(prefix="continuum-warm-mark-")
    os.close(fd)
    mark = Path(name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINUUM_")}
    env.pop("FORCE_COLOR", None)
    env["WARM_TEST_MARK"] = str(mark)
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=root,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    how = mark.read_text()
    mark.unlink()
    return Run(proc.stdout, proc.stderr, proc.returncode, how)


def _changed(root: Path) -> list[str]:
    """What no longer matches in the records under ``root`` (for failure messages)."""
    import marshal

    out = []
    for record in (root / ".continuum_cache" / "warm").glob("*.rec"):
        _, _, paths, sigs, absent, *_ = marshal.loads(record.read_bytes())
        for path, sig in zip(paths, sigs):
            full = path if os.path.isabs(path) else os.path.join(root, path)
            out += [] if warm._signature(full) == sig else [path]
        out += [p for p in absent if os.path.lexists(p)]
    return out


def settled(root: Path, *args: str) -> Run:
    """The full run of ``args`` (which records), then proof that the next one replays it."""
    first = run(root, *args)
    assert first.how == "full", first
    again = run(root, *args)
    assert again.how == "replay", (first, again, _changed(root))
    assert (again.stdout, again.stderr, again.code) == (first.stdout, first.stderr, first.code)
    return first


CHECK = ("check", "--output-format", "concise", ".")


def test_an_unchanged_tree_replays_byte_identical_output(project: Path) -> None:
    clean = settled(project, *CHECK)
    assert clean.code == 0
    assert clean.stdout == b"All checks passed.\n"
    records = list((project / ".continuum_cache" / "warm").iterdir())
    assert len(records) == 1


def test_findings_replay_with_exit_code_1(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    first = settled(project, *CHECK)
    assert first.code == 1
    assert b"app/flows.py:7:17: CN101" in first.stdout
    # The text format (caret excerpts, via: chains) replays just as well.
    text = settled(project, "check", ".")
    assert b"via: app.pricing.price (app/pricing.py:5)" in text.stdout
    assert text.code == 1


def test_editing_the_checked_file_runs_in_full(project: Path) -> None:
    settled(project, *CHECK)
    flow = project / "app" / "flows.py"
    flow.write_text("import time\n" + FLOW.replace("helpers.total(order)", "time.time()"))
    after = run(project, *CHECK)
    assert after.how == "full"
    assert after.code == 1
    assert b"CN10" in after.stdout


def test_editing_a_helper_reached_two_modules_away_runs_in_full(project: Path) -> None:
    settled(project, *CHECK)
    # Same size, different content: the signature still differs (mtime and ctime).
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    after = run(project, *CHECK)
    assert after.how == "full"
    assert after.code == 1
    assert b"app/flows.py:7:17: CN101" in after.stdout
    assert run(project, *CHECK).how == "replay"


def test_changing_the_configuration_runs_in_full(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    assert settled(project, *CHECK).code == 1
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'ignore = ["CN101"]\n')
    after = run(project, *CHECK)
    assert after.how == "full"
    assert (after.code, after.stdout) == (0, b"All checks passed.\n")


def test_a_pyproject_appearing_closer_runs_in_full(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    sub = project / "app"
    first = settled(sub, "check", "--output-format", "concise", ".")
    assert first.code == 1
    # A nearer pyproject.toml with its own [tool.continuum] now configures the run.
    (sub / "pyproject.toml").write_text('[tool.continuum]\nignore = ["CN101"]\n')
    after = run(sub, "check", "--output-format", "concise", ".")
    assert after.how == "full"
    assert after.code == 0


def test_a_new_file_in_a_checked_directory_runs_in_full(project: Path) -> None:
    settled(project, *CHECK)
    (project / "app" / "lucky.py").write_text(CLOCK_FLOW)
    after = run(project, *CHECK)
    assert after.how == "full"
    assert after.code == 1
    assert b"app/lucky.py:" in after.stdout


def test_deleting_a_file_runs_in_full(project: Path) -> None:
    (project / "app" / "lucky.py").write_text(CLOCK_FLOW)
    assert settled(project, *CHECK).code == 1
    (project / "app" / "lucky.py").unlink()
    after = run(project, *CHECK)
    assert after.how == "full"
    assert (after.code, after.stdout) == (0, b"All checks passed.\n")


def test_each_format_is_its_own_record(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    settled(project, *CHECK)
    as_json = run(project, "check", "--output-format", "json", ".")
    assert as_json.how == "full"
    assert [d["code"] for d in json.loads(as_json.stdout)] == ["CN101"]
    assert run(project, "check", "--output-format", "json", ".").stdout == as_json.stdout
    # The environment variable that selects the format is part of the key too.
    env_run = subprocess.run(
        [sys.executable, "-c", RUNNER, *CHECK],
        cwd=project,
        env={**os.environ, "WARM_TEST_MARK": str(project.parent / "m2"), "CONTINUUM_X": "1"},
        capture_output=True,
        timeout=120,
    )
    assert (project.parent / "m2").read_text() == "full"
    assert env_run.returncode == 1


def test_no_cache_never_replays_nor_records(project: Path) -> None:
    args = ("check", "--no-cache", "--output-format", "concise", ".")
    assert run(project, *args).how == "full"
    assert run(project, *args).how == "full"
    assert not (project / ".continuum_cache").exists()


def test_the_output_file_is_written_again_by_a_replay(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    report = project.parent / "out" / "report.json"
    args = ("check", "-f", "json", "-o", str(report), ".")
    first = settled(project, *args)
    assert first.code == 1
    assert b"Report written to" in first.stderr
    written = report.read_bytes()
    report.unlink()
    again = run(project, *args)
    assert again.how == "replay"
    assert report.read_bytes() == written


def test_editing_continuum_itself_runs_in_full(project: Path, package_root: Path) -> None:
    settled(project, *CHECK)
    concise = package_root / "continuum" / "cli" / "formats" / "concise.py"
    concise.write_text(concise.read_text() + "\n# edited\n")
    assert run(project, *CHECK).how == "full"
    assert run(project, *CHECK).how == "replay"
    # A new module in the package (a new rule, say) counts as an edit too.
    (package_root / "continuum" / "analyzer" / "extra_rule.py").write_text("")
    assert run(project, *CHECK).how == "full"


def test_the_runs_import_the_package_copy(project: Path, package_root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import continuum; print(continuum.__file__)"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith(str(package_root))


def test_a_damaged_record_is_ignored(project: Path) -> None:
    settled(project, *CHECK)
    (record,) = (project / ".continuum_cache" / "warm").iterdir()
    record.write_bytes(record.read_bytes()[:50])
    after = run(project, *CHECK)
    assert (after.how, after.code, after.stdout) == ("full", 0, b"All checks passed.\n")


def test_usage_errors_are_not_recorded(project: Path) -> None:
    bad = ("check", "--select", "NOPE", ".")
    assert run(project, *bad).code == 2
    assert run(project, *bad).how == "full"


BUILD_FLOW = textwrap.dedent(
    """\
    from continuum import Workflow, activity
    from app import jobs


    class PayFlow(Workflow, version=1):
        def run(self, total: int) -> str:
            return activity(jobs.charge, total)
    """
)


def test_build_check_replays_and_notices_a_stale_version(project: Path) -> None:
    (project / "app" / "flows.py").write_text(BUILD_FLOW)
    built = run(project, "build", ".")
    assert built.code == 0, built
    first = settled(project, "build", "--check", ".")
    assert first.code == 0
    assert b"build --check: ok" in first.stdout
    flow = project / "app" / "flows.py"
    flow.write_text(BUILD_FLOW.replace("activity(jobs.charge, total)", "activity(jobs.charge, 2)"))
    stale = run(project, "build", "--check", ".")
    assert stale.how == "full"
    assert stale.code == 1
    assert run(project, "build", "--check", ".").code == 1
    # A real build is never answered from a record.
    assert run(project, "build", ".").how == "full"


def test_an_input_changing_during_the_run_leaves_no_record(tmp_path: Path) -> None:
    source = tmp_path / "flows.py"
    source.write_text("x = 1\n")
    recorder = warm._Recorder((("check",), str(tmp_path), (), (), "", "", (), 0, ""))
    recorder.cache_dir = str(tmp_path / ".continuum_cache")
    assert recorder.note(str(source))
    assert warm._inputs(recorder) is not None
    source.write_text("x = 2\n")  # edited after the run read it
    assert warm._inputs(recorder) is None


def test_the_entry_point_imports_nothing_heavy_before_the_replay(package_root: Path) -> None:
    code = (
        "import sys, continuum, continuum.cli, continuum.cli.warm\n"
        "assert continuum.__file__.startswith(sys.path[1]), (continuum.__file__, sys.path)\n"
        "heavy = {'click', 'typing', 'logging', 'libcst', 'continuum.runtime', 'json'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    proc = subprocess.run(
        # -S: no site-packages, whose .pth files (an editable install's hook) import
        # modules of their own; the package copy needs none of them.
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": str(package_root)},
        cwd=package_root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "[]"


def test_the_package_exports_lazily_and_lists_its_names() -> None:
    import continuum

    assert set(continuum.__all__) <= set(dir(continuum))
    assert continuum.Workflow is __import__("continuum.runtime.workflow").runtime.workflow.Workflow
    with pytest.raises(AttributeError):
        _ = continuum.no_such_name
