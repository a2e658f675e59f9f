"""Build benchmark: what ``continuum build`` adds over ``continuum check`` of the same tree.

Issue 3's target: building the example app's workflows costs at most 20% more than
checking the same tree. Both commands run the analyzer; ``build`` then computes the
version hashes, freezes every version into its ``V_<hash>.py`` module (and the ``H_``
helper modules it imports) and writes the registry.

Workloads (each a scratch project under the work directory, default
``$TMPDIR/continuum-bench``):

- ``example``: a copy of ``examples/shop`` (4 workflows, 9 source files);
- ``generated``: the quick project of `gen_corpus.py` (36 workflows in 25 modules,
  helpers calling helpers across modules; one workflow is refused for a clock read).

Each round runs, as the commands a user types, in a fresh process, alternating:

- ``check cold``: ``continuum check .`` with the cache directory deleted first;
- ``build cold``: ``continuum build .`` with the cache directory and the output
  directory (``_continuum``) deleted first, so it writes every version;
- ``check warm``: ``continuum check .`` again, its cache filled by an untimed run;
- ``build --check warm``: ``continuum build --check .`` of the tree just built, its
  cache filled by an untimed run.

Each figure is the median of ``--repeats`` rounds (default 7, quick 3), after one
untimed round (bytecode written, file cache warm).

Usage: ``python bench/bench_build.py [--quick] [--repeats N] [--only NAME ...]
[--json FILE]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gen_corpus
from _common import (
    PRODUCT_BIN,
    ROOT,
    Row,
    Sample,
    environment,
    measure,
    median,
    prime_replay,
    render_table,
    write_results,
)

#: Issue 3: build adds no more than 20% over check (cold), and build --check over check (warm).
TARGET = ("<=", 1.2, "ratio")
#: Exit codes that mean "ran to the end": build exits 1 when it refuses a workflow with
#: analyzer errors (the generated project has one on purpose).
SUCCESS = {"example": {0}, "generated": {0, 1}}
CACHE = ".continuum_cache"
#: Bytecode is cached as in any install: a session that sets PYTHONDONTWRITEBYTECODE
#: would otherwise have every run compile each module it imports again.
ENV = {"PYTHONDONTWRITEBYTECODE": ""}
WRITTEN = re.compile(r"(\d+) files written")
WORKFLOWS = re.compile(r"(\d+) workflows? \(")


@dataclass(frozen=True)
class Project:
    """A scratch project and the output directory its build writes."""

    name: str
    root: Path
    out: Path
    files: int

    @property
    def label(self) -> str:
        return f"build: {self.name} ({self.files} files)"


def default_work_dir() -> Path:
    # Outside the repository, like the analyzer's corpora.
    return Path(tempfile.gettempdir()) / "continuum-bench"


def prepare(name: str, work: Path) -> Project:
    """Write (or refresh) one workload's scratch project."""
    root = work / f"build-{name}"
    if root.exists():
        shutil.rmtree(root)
    if name == "example":
        shutil.copytree(ROOT / "examples" / "shop", root / "shop")
        (root / "pyproject.toml").write_text(
            '[project]\nname = "shop"\nversion = "0"\n\n[tool.continuum]\n'
        )
        out = root / "shop" / "_continuum"
    elif name == "generated":
        gen_corpus.generate(root, gen_corpus.PRESETS["quick"])
        out = root / gen_corpus.PACKAGE / "_continuum"
    else:
        raise SystemExit(f"unknown workload {name!r}")
    files = sum(1 for p in root.rglob("*.py") if "_continuum" not in p.parts)
    return Project(name, root, out, files)


#: Timed warm runs per round (see `Plan.times`).
WARM_TIMES = 5


def check_cmd() -> list[str]:
    return [
        str(PRODUCT_BIN / "continuum"),
        "check",
        "--output-format",
        "concise",
        "--exit-zero",
        ".",
    ]


def build_cmd(*, check: bool) -> list[str]:
    return [str(PRODUCT_BIN / "continuum"), "build", *(["--check"] if check else []), "."]


@dataclass
class Plan:
    """One timed command, with what to do before each run (not timed)."""

    key: str
    command: list[str]
    before: Callable[[], None]
    #: Timed runs per round. A warm run takes ~25 ms, near the noise of process start-up
    #: on a shared machine, so each round times several in a row (all warm alike).
    times: int = 1


def run_project(project: Project, *, repeats: int, log: Callable[[str], None]) -> dict[str, Sample]:
    """Time the four commands on ``project``, alternating; medians by key."""

    def clear_cache() -> None:
        shutil.rmtree(project.root / CACHE, ignore_errors=True)

    def clear_all() -> None:
        clear_cache()
        shutil.rmtree(project.out, ignore_errors=True)

    def prime(command: list[str]) -> Callable[[], None]:
        def run() -> None:
            prime_replay(command, cwd=project.root, env=ENV)

        return run

    plans = [
        Plan("check_cold", check_cmd(), clear_cache),
        Plan("build_cold", build_cmd(check=False), clear_all),
        Plan("check_warm", check_cmd(), prime(check_cmd()), WARM_TIMES),
        Plan("build_check_warm", build_cmd(check=True), prime(build_cmd(check=True)), WARM_TIMES),
    ]
    ok = SUCCESS[project.name]
    # One untimed round first: it writes the bytecode of every module both commands
    # import, as a user's install has it, and warms the OS's file cache.
    for plan in plans:
        plan.before()
        measure(plan.command, cwd=project.root, env=ENV)
    samples: dict[str, list[Sample]] = {plan.key: [] for plan in plans}
    for repeat in range(repeats):
        for plan in plans:
            plan.before()
            for _ in range(plan.times):
                sample = measure(plan.command, cwd=project.root, env=ENV)
                if sample.returncode not in ok:
                    log(f"  {plan.key} exited {sample.returncode}:\n{sample.output[-2000:]}")
                samples[plan.key].append(sample)
                log(f"  [{project.name} {repeat + 1}/{repeats}] {plan.key}: {sample.seconds:.3f}s")
    shutil.rmtree(project.root / CACHE, ignore_errors=True)
    return {key: median(runs) for key, runs in samples.items()}


def rows_for(project: Project, results: dict[str, Sample]) -> list[Row]:
    """The rows of one workload: build ÷ check, cold and warm."""
    ok = SUCCESS[project.name]

    def secs(key: str) -> float | None:
        sample = results[key]
        return sample.seconds if sample.returncode in ok else None

    def cpu(key: str) -> float | None:
        sample = results[key]
        return sample.cpu_s if sample.returncode in ok else None

    built = results["build_cold"].output
    written = WRITTEN.search(built)
    workflows = WORKFLOWS.search(built)
    # The target is issue 3's, stated for the example app; the generated project is a
    # harder case (many helper modules to freeze) shown for scale.
    target = TARGET if project.name == "example" else None
    note = ""
    if written and workflows:
        note = f"{workflows.group(1)} workflows, {written.group(1)} files written"
    check = "continuum check"
    return [
        Row(
            project.label,
            "cold build into an empty out dir vs cold check",
            "s",
            secs("build_cold"),
            check,
            secs("check_cold"),
            target,
            note,
        ),
        Row(
            project.label,
            "warm build --check vs warm check",
            "s",
            secs("build_check_warm"),
            check,
            secs("check_warm"),
            target,
        ),
        Row(
            project.label,
            "CPU time cold (all processes)",
            "s",
            cpu("build_cold"),
            check,
            cpu("check_cold"),
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--repeats", type=int, help="rounds (default 7, quick 3)")
    parser.add_argument("--only", nargs="+", choices=["example", "generated"])
    parser.add_argument("--work", type=Path, default=default_work_dir())
    parser.add_argument("--json", type=Path, help="write rows here (run_all.py uses this)")
    args = parser.parse_args(argv)
    if not (PRODUCT_BIN / "continuum").exists():
        raise SystemExit(f"missing: {PRODUCT_BIN / 'continuum'}\nrun `make install` first")
    repeats = args.repeats or (3 if args.quick else 7)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows: list[Row] = []
    for name in args.only or ["example", "generated"]:
        project = prepare(name, args.work)
        log(f"{project.label}: {project.root}")
        # The generated project's cold build takes seconds: fewer rounds there.
        runs = repeats if name == "example" else max(1, min(repeats, 3))
        rows += rows_for(project, run_project(project, repeats=runs, log=log))
    meta = {**environment(), "script": "bench_build.py", "quick": args.quick, "repeats": repeats}
    path = write_results("build", rows, meta, args.json)
    print(render_table(rows))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
