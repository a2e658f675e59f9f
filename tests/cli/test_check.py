"""``continuum check`` end to end through click, on small project trees in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from continuum.cli import cli

REPO = Path(__file__).resolve().parents[2]

CLEAN_FLOW = """\
from continuum import Workflow, activity, now
from app import jobs


class CleanFlow(Workflow, version=1):
    def run(self, batch: str) -> str:
        started = now()
        return activity(jobs.process, batch, started.isoformat())
"""

CLOCK_FLOW = """\
import time

from continuum import Workflow, activity
from app import jobs


class ClockFlow(Workflow, version=1):
    def run(self, batch: str) -> str:
        started = time.time()
        return activity(jobs.process, batch, started)
"""

WARN_FLOW = """\
from continuum import Workflow, activity
from app import jobs


class SetFlow(Workflow, version=1):
    def run(self, names: list[str]) -> None:
        for name in set(names):
            activity(jobs.process, name)
"""

CHAIN_FLOW = """\
from continuum import Workflow, activity
from app import jobs, pricing


class QuoteFlow(Workflow, version=1):
    def run(self, sku: str) -> str:
        price = pricing.quote(sku)
        return activity(jobs.process, sku, price)
"""

PRICING = """\
from app.clock import stamp


def quote(sku: str) -> str:
    return f"{sku}@{stamp()}"
"""

CLOCK_HELPER = """\
from datetime import datetime


def stamp() -> str:
    return str(datetime.now())
"""

JOBS = """\
def process(*args):
    return args
"""


def make_tree(root: Path, files: dict[str, str], config: str = "") -> Path:
    """Write a small project: pyproject with ``[tool.continuum]`` plus ``files``."""
    (root / "pyproject.toml").write_text(f"[tool.continuum]\n{config}", encoding="utf-8")
    for rel, text in {"app/__init__.py": "", "app/jobs.py": JOBS, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTINUUM_OUTPUT_FORMAT", raising=False)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, ["check", *args], env=env, catch_exceptions=False)
    assert "Traceback" not in result.output + result.stderr
    return result


def codes(result: Result) -> list[str]:
    return [record["code"] for record in json.loads(result.stdout)]


# --- exit codes ----------------------------------------------------------------------


def test_clean_tree_passes(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})
    result = run("--no-cache")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed.\n"


def test_error_exits_1_with_excerpt_and_hint(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    result = run("--no-cache", "app")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("app/flows.py:9:19: CN101 [nondeterministic-clock] ")
    assert "9 |         started = time.time()" in lines
    assert any(line.strip().startswith("hint:") for line in lines)
    assert lines[-1] == "Found 1 error in 1 file."


def test_warnings_pass_unless_strict(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": WARN_FLOW})
    relaxed = run("--no-cache", "-f", "concise")
    assert relaxed.exit_code == 0
    assert "CN206 [set-iteration-order]" in relaxed.stdout
    assert run("--no-cache", "--strict").exit_code == 1


def test_strict_from_config(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": WARN_FLOW}, config="strict = true\n")
    assert run("--no-cache").exit_code == 1


def test_exit_zero_reports_but_passes(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    result = run("--no-cache", "--exit-zero", "-f", "concise")
    assert result.exit_code == 0
    assert "CN101" in result.stdout


def test_bad_config_exits_2_with_message(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW}, config='select = ["XX9"]\nfrobnicate = 1\n')
    result = run("--no-cache")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown key 'frobnicate'" in result.stderr
    assert "XX9" in result.stderr
    assert "pyproject.toml" in result.stderr


def test_unparseable_pyproject_exits_2(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})
    (tree / "pyproject.toml").write_text("[tool.continuum\n", encoding="utf-8")
    result = run("--no-cache")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr


def test_bad_code_on_command_line_exits_2(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    result = run("--no-cache", "--extend-select", "CN999")
    assert result.exit_code == 2
    assert "CN999" in result.stderr


def test_nonexistent_path_exits_2(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})
    result = run("--no-cache", "no/such/dir")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_unknown_format_exits_2(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})
    assert run("--no-cache", "-f", "xml").exit_code == 2


def test_syntax_error_is_cn901_not_a_traceback(tree: Path) -> None:
    broken = (
        "from continuum import Workflow\n\nclass Broken(Workflow, version=1):\n    def run(self)\n"
    )
    make_tree(tree, {"app/flows.py": CLOCK_FLOW, "app/broken.py": broken})
    result = run("--no-cache", "-f", "json")
    assert result.exit_code == 1
    assert sorted(codes(result)) == ["CN101", "CN901"]
    (cn901,) = [r for r in json.loads(result.stdout) if r["code"] == "CN901"]
    assert cn901["path"] == "app/broken.py"


def test_internal_failure_exits_2_without_traceback(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("continuum.analyzer.api.check_paths", explode)
    result = run("--no-cache")
    assert result.exit_code == 2
    assert "internal error: RuntimeError: disk on fire" in result.stderr


# --- output --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "github", "sarif"])
def test_output_is_byte_identical_between_runs(tree: Path, fmt: str) -> None:
    make_tree(
        tree,
        {
            "app/flows.py": CLOCK_FLOW,
            "app/warn.py": WARN_FLOW,
            "app/chain.py": CHAIN_FLOW,
            "app/pricing.py": PRICING,
            "app/clock.py": CLOCK_HELPER,
        },
    )
    first = run("-f", fmt)
    second = run("-f", fmt)  # second run is served from the cache
    third = run("-f", fmt, "--no-cache", "-j", "2")
    assert first.exit_code == second.exit_code == third.exit_code == 1
    assert first.stdout == second.stdout == third.stdout
    assert first.stdout.count("CN101") >= 2


def test_json_chain_and_paths_relative_to_cwd(tree: Path) -> None:
    make_tree(
        tree,
        {"app/chain.py": CHAIN_FLOW, "app/pricing.py": PRICING, "app/clock.py": CLOCK_HELPER},
    )
    (record,) = json.loads(run("--no-cache", "-f", "json").stdout)
    assert record["code"] == "CN101"
    assert (record["path"], record["line"]) == ("app/chain.py", 7)
    hops = record["chain"]
    assert [h["path"] for h in hops][-1] == "app/clock.py"
    assert any("stamp" in h["label"] for h in hops)
    assert record["workflow"].endswith("QuoteFlow")
    assert record["fingerprint"]


def test_output_file_gets_report_and_stderr_gets_summary(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    result = run("--no-cache", "-f", "sarif", "-o", "out/report.sarif")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Found 1 error in 1 file." in result.stderr
    log = json.loads((tree / "out/report.sarif").read_text(encoding="utf-8"))
    (sarif_result,) = log["runs"][0]["results"]
    assert sarif_result["ruleId"] == "CN101"
    location = sarif_result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app/flows.py"
    assert location["region"]["startLine"] == 9


def test_text_to_file_has_no_colour_codes(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    run("--no-cache", "-o", "report.txt", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in (tree / "report.txt").read_text(encoding="utf-8")


def test_format_from_environment(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    result = run("--no-cache", env={"CONTINUUM_OUTPUT_FORMAT": "json"})
    assert codes(result) == ["CN101"]


def test_github_format(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    first = run("--no-cache", "-f", "github").stdout.splitlines()[0]
    assert first.startswith("::error title=continuum (CN101),file=app/flows.py,line=9,col=19")


def test_statistics(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW, "app/warn.py": WARN_FLOW})
    result = run("--no-cache", "--statistics")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "1  CN101  [nondeterministic-clock]  error",
        "1  CN206  [set-iteration-order]  warning",
        "2 diagnostics in total.",
    ]


# --- selection and configuration -----------------------------------------------------


def test_select_and_ignore_from_command_line(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW, "app/warn.py": WARN_FLOW})
    assert codes(run("--no-cache", "-f", "json")) == ["CN101", "CN206"]
    assert codes(run("--no-cache", "-f", "json", "--select", "CN2")) == ["CN206"]
    assert codes(run("--no-cache", "-f", "json", "--ignore", "cn101")) == ["CN206"]


def test_extend_select_adds_to_config(tree: Path) -> None:
    catch_all = CLEAN_FLOW.replace(
        "        return activity(jobs.process, batch, started.isoformat())",
        "        try:\n"
        "            return activity(jobs.process, batch, started.isoformat())\n"
        "        except Exception:\n"
        "            return 'failed'",
    )
    make_tree(tree, {"app/flows.py": catch_all}, config='ignore = ["CN206"]\n')
    assert codes(run("--no-cache", "-f", "json")) == []
    assert codes(run("--no-cache", "-f", "json", "--extend-select", "CN202")) == ["CN202"]


def test_config_option_uses_that_pyproject(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    other = tree / "ci"
    other.mkdir()
    (other / "pyproject.toml").write_text('[tool.continuum]\nignore = ["CN101"]\n')
    result = run("--no-cache", "--config", "ci/pyproject.toml", "app")
    assert result.exit_code == 0, result.output
    missing = tree / "elsewhere"
    missing.mkdir()
    (missing / "pyproject.toml").write_text("[tool.ruff]\n")
    result = run("--no-cache", "--config", "elsewhere/pyproject.toml")
    assert result.exit_code == 2
    assert "no [tool.continuum] table" in result.stderr


def test_config_option_reads_any_toml_file(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    (tree / "ci").mkdir()
    (tree / "ci" / "continuum.toml").write_text('[continuum]\nignore = ["CN101"]\n')
    (tree / "ci" / "strict.toml").write_text('[tool.continuum]\nselect = ["CN101"]\n')
    assert run("--no-cache", "--config", "ci/continuum.toml", "app").exit_code == 0
    result = run("--no-cache", "-f", "json", "--config", "ci/strict.toml", "app")
    assert codes(result) == ["CN101"]
    (tree / "ci" / "empty.toml").write_text("[tool.ruff]\n")
    result = run("--no-cache", "--config", "ci/empty.toml", "app")
    assert result.exit_code == 2
    assert "no [tool.continuum] table" in result.stderr
    assert "ci/empty.toml" in result.stderr


def test_excludes_apply_below_an_explicitly_named_path(tree: Path) -> None:
    make_tree(
        tree,
        {"legacy/old.py": CLOCK_FLOW, "legacy/vendored/lib.py": WARN_FLOW},
        config='exclude = ["legacy/**", "**/vendored"]\n',
    )
    named = run("--no-cache", "-f", "json", "legacy")
    assert [r["path"] for r in json.loads(named.stdout)] == ["legacy/old.py"]


def test_explicit_excluded_path_is_checked_unless_force_exclude(tree: Path) -> None:
    make_tree(
        tree,
        {"app/flows.py": CLEAN_FLOW, "legacy/old.py": CLOCK_FLOW},
        config='exclude = ["legacy/**"]\n',
    )
    assert run("--no-cache").exit_code == 0  # walking "." skips legacy/
    named = run("--no-cache", "-f", "json", "legacy")
    assert named.exit_code == 1
    assert [r["path"] for r in json.loads(named.stdout)] == ["legacy/old.py"]
    assert run("--no-cache", "legacy/old.py").exit_code == 1
    forced = run("--no-cache", "--force-exclude", "legacy")
    assert forced.exit_code == 0
    assert forced.stdout == "All checks passed.\n"


# --- the example apps ----------------------------------------------------------------


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("CONTINUUM_OUTPUT_FORMAT", raising=False)
    return REPO


def test_example_shop_is_clean(in_repo: Path) -> None:
    result = run("--no-cache", "examples/shop")
    assert result.exit_code == 0, result.output


def test_broken_shop_reports_its_mistakes(in_repo: Path) -> None:
    result = run("--no-cache", "-f", "json", "examples/broken_shop")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    found = {r["code"] for r in records}
    assert {"CN101", "CN102", "CN103", "CN104", "CN106", "CN110", "CN201", "CN206"} <= found
    # The clock read sits two helper modules away; it is reported at the workflow's call.
    (clock,) = [
        r for r in records if r["code"] == "CN101" and r["chain"][-1]["label"] == "datetime.now()"
    ]
    assert (clock["path"], clock["line"]) == ("examples/broken_shop/flows/orders.py", 18)
    assert [h["label"] for h in clock["chain"]][1:3] == [
        "broken_shop.pricing.grand_total",
        "broken_shop.promotions.happy_hour_discount",
    ]
    assert clock["chain"][-1]["path"] == "examples/broken_shop/promotions.py"
    assert clock["workflow"] == "broken_shop.flows.orders:OrderFlow"


def test_broken_shop_is_excluded_from_the_project_check(in_repo: Path) -> None:
    result = run("--no-cache", "--force-exclude", "examples/broken_shop")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed.\n"


def test_parallel_and_in_process_runs_agree(tree: Path) -> None:
    files = {f"app/flow{n}.py": CLOCK_FLOW.replace("ClockFlow", f"Flow{n}") for n in range(9)}
    make_tree(tree, {**files, "app/warn.py": WARN_FLOW})
    serial = run("--no-cache", "-f", "json", "-j", "0")
    parallel = run("--no-cache", "-f", "json", "-j", "2")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    assert len(json.loads(serial.stdout)) == 10


def test_sarif_rules_follow_the_selection(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLEAN_FLOW})

    def rule_ids(*args: str) -> set[str]:
        log = json.loads(run("--no-cache", "-f", "sarif", *args).stdout)
        return {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}

    default = rule_ids()
    assert "CN101" in default and "CN202" not in default and "CN290" not in default
    assert "CN202" in rule_ids("--extend-select", "CN202")
    assert "CN290" in rule_ids("--strict")
    assert rule_ids("--select", "CN1", "--ignore", "CN110") == {
        f"CN1{n:02d}" for n in range(1, 13)
    } - {"CN110"}


def test_colour_only_when_forced_or_on_a_terminal(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    assert "\x1b[" not in run("--no-cache").stdout  # CliRunner's stdout is not a terminal
    forced = run("--no-cache", env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[31m" in forced
    assert "\x1b[" not in run("--no-cache", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run("--no-cache", "-f", "concise", env={"FORCE_COLOR": "1"}).stdout


def test_unencodable_output_is_escaped_not_a_crash(tree: Path) -> None:
    flow = CLOCK_FLOW.replace("time.time()", "time.time()  # zeitstempel für später")
    make_tree(tree, {"app/flows.py": flow})
    result = CliRunner(charset="ascii").invoke(cli, ["check", "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "9 |         started = time.time()  # zeitstempel f\\xfcr sp\\xe4ter" in result.stdout


def test_config_option_rejects_a_file_without_our_table(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    (tree / "sub").mkdir()
    (tree / "sub/pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = run("--no-cache", "--config", "sub/pyproject.toml")
    assert result.exit_code == 2
    assert "no [tool.continuum] table" in result.stderr
    # Any file name is fine when it has the table (the clock read is then reported).
    (tree / "other.toml").write_text("[tool.continuum]\n")
    assert run("--no-cache", "--config", "other.toml").exit_code == 1


def test_unwritable_output_file_exits_2(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW})
    (tree / "blocker").write_text("a file, not a directory")
    result = run("--no-cache", "-o", "blocker/report.txt")
    assert result.exit_code == 2
    assert "cannot write blocker/report.txt" in result.stderr


WARM_RUN = """
import sys
from continuum.cli import cli
try:
    cli.main(["check", "."], standalone_mode=False)
except SystemExit:
    pass
heavy = ("libcst", "psycopg", "jinja2", "continuum.codegen", "continuum.analyzer.reach")
print("LOADED:" + " ".join(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def test_a_fully_cached_run_loads_no_heavy_module(tree: Path) -> None:
    make_tree(tree, {"app/flows.py": CLOCK_FLOW, "app/warn.py": WARN_FLOW})

    def loaded() -> str:
        done = subprocess.run(
            [sys.executable, "-c", WARM_RUN], capture_output=True, text=True, check=True
        )
        return done.stdout.rpartition("LOADED:")[2].strip()

    assert "libcst" in loaded()  # the first run parses
    # The second is answered from the cache: no parser, no database driver, no codegen.
    assert loaded() == ""
