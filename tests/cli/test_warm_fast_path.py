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
    warm = sys.modules.get("continuum.cli.warm")
    hooked = "hooked" if warm is not None and warm._HOOKED else "idle"
    with open(os.environ["WARM_TEST_MARK"], "w") as handle:
        handle.write(("full" if "click" in sys.modules else "replay") + " " + hooked)

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
    hooked: bool = False  # whether the run installed the recording audit hook


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
    # The tests write a file and run at once; the real racy window (2 s) would leave no
    # record. With 0, an input changed after the run started still leaves none (tested
    # with a future mtime); the 2 s window itself is tested in-process.
    copy = root / "continuum" / "cli" / "warm.py"
    text = copy.read_text()
    assert f"RACY_NS = {warm.RACY_NS:_}" in text
    copy.write_text(text.replace(f"RACY_NS = {warm.RACY_NS:_}", "RACY_NS = 0"))
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
    how, hooked = mark.read_text().split()
    mark.unlink()
    return Run(proc.stdout, proc.stderr, proc.returncode, how, hooked == "hooked")


def _changed(root: Path) -> list[str]:
    """What no longer matches in the records under ``root`` (for failure messages)."""
    import marshal

    out = []
    for record in (root / ".continuum_cache" / "warm").glob("*.rec"):
        _, _, paths, sigs, absent, links, *_ = marshal.loads(record.read_bytes())
        for path, sig in zip(paths, sigs):
            full = path if os.path.isabs(path) else os.path.join(root, path)
            out += [] if warm._signature(full) == sig else [path]
        out += [p for p in absent if warm._signature(os.path.join(root, p)) is not None]
        out += [p for p, real in links if os.path.realpath(p) != real]
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
    assert (project.parent / "m2").read_text().split()[0] == "full"
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


def _recorder(tmp_path: Path, started: int) -> warm._Recorder:
    key = (("check",), str(tmp_path), (), (), "", "", (), 0, "")
    recorder = warm._Recorder(key, started)  # type: ignore[arg-type]
    recorder.cache_dir = str(tmp_path / ".continuum_cache")
    return recorder


def test_an_input_changing_during_the_run_leaves_no_record(tmp_path: Path) -> None:
    source = tmp_path / "flows.py"
    source.write_text("x = 1\n")
    # Started an hour from now: nothing recorded is racily recent (tested below).
    recorder = _recorder(tmp_path, os.stat(source).st_ctime_ns + 3600 * 10**9)
    assert recorder.note(str(source))
    assert warm._inputs(recorder) is not None
    source.write_text("x = 2\n")  # edited after the run read it
    assert warm._inputs(recorder) is None


def test_an_input_modified_within_the_racy_window_leaves_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the file below is recorded: no package walk, no sys.path entries.
    (tmp_path / "pkg").mkdir()
    monkeypatch.setattr(warm, "_PACKAGE", str(tmp_path / "pkg"))
    monkeypatch.setattr(sys, "path", [])
    source = tmp_path / "flows.py"
    source.write_text("x = 1\n")
    newest = max(os.stat(p).st_ctime_ns for p in (source, tmp_path, tmp_path / "pkg"))
    for started, recorded in (
        (newest + warm.RACY_NS // 2, False),  # a same-size write in the same tick could hide
        (newest + warm.RACY_NS + 10**9, True),
    ):
        recorder = _recorder(tmp_path, started)
        assert recorder.note(str(source))
        assert (warm._inputs(recorder) is not None) is recorded


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


# -- review fixes: each test below replayed stale output (or crashed) before its fix ------

SITE_FLOW = """\
from continuum import Workflow


class SiteFlow(Workflow, version=1):
    def run(self, x: int) -> int:
        return x + 1
"""


def test_a_retargeted_symlink_on_a_named_path_runs_in_full(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for release, text in (("r1", SITE_FLOW), ("r2", CLOCK_FLOW)):
        (site / release).mkdir(parents=True)
        (site / release / "flows.py").write_text(text)
    (site / "pyproject.toml").write_text("[tool.continuum]\n")
    (site / "deploy").mkdir()
    current = site / "deploy" / "current"
    current.symlink_to("../r1")
    args = ("check", "--output-format", "concise", "deploy/current")
    assert settled(site, *args).stdout == b"All checks passed.\n"
    # `ln -sfn ../r2 deploy/current`: the run now reads r2's files, never recorded.
    (site / "deploy" / "next").symlink_to("../r2")
    os.replace(site / "deploy" / "next", current)
    after = run(site, *args)
    assert after.how == "full"
    assert after.code == 1
    assert b"CN10" in after.stdout


def test_a_module_created_where_a_lookup_missed_runs_in_full(tmp_path: Path) -> None:
    # No __init__.py: `app` is a namespace package and `app.lib.pricing` is missing.
    root = tmp_path / "proj"
    (root / "app" / "flows").mkdir(parents=True)
    (root / "app" / "lib").mkdir()
    (root / "app" / "lib" / "other.py").write_text("X = 1\n")
    (root / "pyproject.toml").write_text("[tool.continuum]\n")
    (root / "app" / "flows" / "a.py").write_text(
        "from continuum import Workflow\n"
        "from app.lib import pricing\n\n\n"
        "class AFlow(Workflow, version=1):\n"
        "    def run(self, order: dict) -> float:\n"
        "        return pricing.price(order)\n"
    )
    args = ("check", "--output-format", "concise", "app/flows/a.py")
    assert b"CN205" in settled(root, *args).stdout
    (root / "app" / "lib" / "pricing.py").write_text(PRICING_CLOCK)
    assert run(root, *args).how == "full"


def test_a_record_in_a_group_or_world_writable_directory_is_not_trusted(project: Path) -> None:
    settled(project, *CHECK)
    warm_dir = project / ".continuum_cache" / "warm"
    warm_dir.chmod(0o777)  # anyone could have planted or edited the record
    after = run(project, *CHECK)
    assert (after.how, after.code) == ("full", 0)
    # The full run makes the directory private again, and its record is trusted.
    assert warm_dir.stat().st_mode & 0o777 == 0o700
    assert run(project, *CHECK).how == "replay"
    (record,) = warm_dir.iterdir()
    record.chmod(0o666)
    assert run(project, *CHECK).how == "full"


def _rewrite_record(root: Path, change: object) -> None:
    import marshal

    (record,) = (root / ".continuum_cache" / "warm").glob("*.rec")
    fields = list(marshal.loads(record.read_bytes()))
    change(fields)  # type: ignore[operator]
    record.write_bytes(marshal.dumps(tuple(fields)))


def test_a_replay_writes_only_the_output_file_of_its_arguments(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    report = project.parent / "out" / "report.json"
    args = ("check", "-f", "json", "-o", str(report), ".")
    settled(project, *args)
    victim = project.parent / "victim.txt"

    def retarget(fields: list) -> None:
        fields[6] = ((str(victim), b"owned"),)

    _rewrite_record(project, retarget)
    after = run(project, *args)
    assert after.how == "full"
    assert not victim.exists()


def test_a_malformed_record_runs_in_full(project: Path) -> None:
    settled(project, *CHECK)

    def damage(fields: list) -> None:
        fields[2] = (None, *fields[2][1:])  # os.stat(None): TypeError

    _rewrite_record(project, damage)
    after = run(project, *CHECK)
    assert (after.how, after.code, after.stdout) == ("full", 0, b"All checks passed.\n")
    assert b"Traceback" not in after.stderr


def test_a_deleted_working_directory_does_not_crash_the_fast_path(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys\n"
        "os.rmdir(os.getcwd())\n"
        "sys.argv[1:] = ['check', '.']\n"
        "from continuum.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=gone, capture_output=True, timeout=120)
    # The full run may fail on its own; the replay and the recorder must not.
    assert b"warm.py" not in proc.stderr, proc.stderr


def test_a_closed_pipe_during_a_replay_is_an_error_not_a_traceback(project: Path) -> None:
    (project / "app" / "pricing.py").write_text(PRICING_CLOCK)
    settled(project, *CHECK)
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that already exited
    fd, name = tempfile.mkstemp(prefix="continuum-warm-mark-")
    os.close(fd)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, *CHECK],
            cwd=project,
            env={**os.environ, "WARM_TEST_MARK": name},
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
        )
        how = Path(name).read_text().split()[0]
    finally:
        os.close(write_end)
        os.unlink(name)
    assert how == "replay"
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert b"Broken pipe" in proc.stderr


def test_a_racily_recent_input_leaves_no_record(project: Path) -> None:
    settled(project, *CHECK)
    pricing = project / "app" / "pricing.py"
    pricing.write_text(PRICING_CLOCK)
    # Modified "after" the run starts (a clock ahead, or a write in the run's own tick):
    # its signature cannot prove that the content read is the content there now.
    future = os.stat(pricing).st_mtime_ns + 3600 * 10**9
    os.utime(pricing, ns=(future, future))
    assert run(project, *CHECK).how == "full"
    assert run(project, *CHECK).how == "full"


def test_invocations_never_recorded_are_not_observed(project: Path) -> None:
    assert run(project, "build", ".").hooked is False
    assert run(project, "check", "--no-cache", ".").hooked is False
    assert run(project, *CHECK).hooked is True
