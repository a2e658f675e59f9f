"""Analyzer benchmark: ``continuum check`` against Fixit and ruff on the same files.

Workloads (each a project directory under the work directory, default
``$TMPDIR/continuum-bench``):

- ``generated``: the project `gen_corpus.py` writes (hundreds of workflow, helper and
  activity modules);
- ``stdlib``: the running Python's standard library copied in as project helper code,
  plus workflow modules calling into it;
- ``example``: the example app of this repository (``examples/shop``).

Tools, each run as the command a user types, in a fresh process:

- ``continuum check`` cold (``--no-cache``) and warm (cache primed by one untimed run),
  installed from a wheel of this tree as users get it (`install_wheel`);
- Fixit (``fixit --rules bench_fixit_rules lint``: two rules resolving qualified names
  like Continuum's, see ``peers/bench_fixit_rules.py``); Fixit has no cache, so cold only;
- ruff (``--select E722,BLE001``) cold (``--no-cache``) and warm;
- floors: ``ast.parse`` and ``libcst.parse_module`` over the same files, one core.

Runs of different tools alternate (A, B, C, A, B, C, …) so drift in machine load hits
all of them alike; each figure is the median of ``--repeats`` runs.

Usage: ``python bench/bench_analyzer.py [--quick] [--repeats N] [--only NAME ...]
[--install wheel|editable] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gen_corpus
from _common import (
    BENCH,
    PEERS_BIN,
    PRODUCT_BIN,
    PRODUCT_PY,
    ROOT,
    Row,
    Sample,
    environment,
    measure,
    median,
    prime_replay,
    render_table,
    versions,
    write_results,
)

#: Targets from the issues: check ≥ 2× Fixit's speed cold; warm ≤ 2× ruff's warm time.
FIXIT_TARGET = (">=", 2.0, "ratio")
RUFF_WARM_TARGET = ("<=", 2.0, "ratio")
#: A finding in any tool's concise output: ``path:line:col`` or Fixit's ``path@line:col``.
FINDING = re.compile(r"^\S+\.py[:@]\d+:\d+", re.MULTILINE)
#: Exit codes that mean "ran to the end". Fixit sets bit 1 when it found something and
#: bit 2 when a rule raised on some file (it still checks every other file; those files
#: are counted in a note). The others run with --exit-zero: anything else is a crash.
SUCCESS = {"fixit": {0, 1, 2, 3}}
FIXIT_EXCEPTION = re.compile(r"^\S+: EXCEPTION: .*$", re.MULTILINE)
SKIP_DIRS = {".continuum_cache", ".ruff_cache", "__pycache__", ".continuum"}


@dataclass(frozen=True)
class Corpus:
    """A project directory and the Python files every tool checks in it."""

    name: str
    root: Path
    files: tuple[Path, ...]
    lines: int

    @property
    def label(self) -> str:
        size = f"{self.lines / 1000:.0f}k" if self.lines >= 10_000 else str(self.lines)
        return f"analyzer: {self.name} ({len(self.files)} files, {size} lines)"


def default_work_dir() -> Path:
    # Outside the repository: its .gitignore and excludes must not hide the corpus from
    # any tool, and `ruff check .` / `continuum check .` at the repo root must not see it.
    return Path(tempfile.gettempdir()) / "continuum-bench"


def prepare(name: str, work: Path, *, quick: bool) -> Corpus:
    """Write (or refresh) one workload's project and list its files."""
    root = work / f"{name}-{'quick' if quick else 'full'}"
    if name == "generated":
        gen_corpus.generate(root, gen_corpus.PRESETS["quick" if quick else "full"])
    elif name == "stdlib":
        gen_corpus.generate_stdlib(root, quick=quick)
    elif name == "example":
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(ROOT / "examples" / "shop", root / "shop")
        (root / "pyproject.toml").write_text(
            '[project]\nname = "shop"\nversion = "0"\n\n[tool.continuum]\n'
        )
    else:
        raise SystemExit(f"unknown workload {name!r}")
    files = tuple(
        sorted(
            p for p in root.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(root).parts)
        )
    )
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    return Corpus(name, root, files, lines)


# --- tools --------------------------------------------------------------------------------


def _clear_caches(corpus: Corpus) -> None:
    for cache in (".continuum_cache", ".ruff_cache"):
        shutil.rmtree(corpus.root / cache, ignore_errors=True)


def install_wheel(work: Path, log: Callable[[str], None]) -> Path | None:
    """Install this tree as users get it, a built wheel, into a venv of its own.

    The product's ``.venv`` holds an editable install, whose import hook costs every
    interpreter start about 13 ms that no installed copy pays. The wheel goes into
    ``<work>/product-wheel``, a venv whose only other entry is a path line to the
    product venv's site-packages, so LibCST and click are the very ones the dev venv
    has (a path line in a ``.pth`` does not run the ``.pth`` files it points to, so the
    editable hook stays out). Returns the ``continuum`` script, or None when the wheel
    cannot be built (offline without a cached setuptools): then ``.venv`` is timed.
    """
    work.mkdir(parents=True, exist_ok=True)
    venv = work / "product-wheel"
    wheels = work / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([str(PRODUCT_PY), "-m", "venv", "--without-pip", str(venv)], check=True)
        purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ours = _output([str(venv / "bin" / "python"), "-c", purelib])
        deps = _output([str(PRODUCT_PY), "-c", purelib])
        (Path(ours) / "continuum_bench_deps.pth").write_text(deps + "\n")
        # Built from a copy: setuptools leaves build/ and *.egg-info where it builds.
        source = work / "product-source"
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, source / name)
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "continuum", source / "continuum", ignore=ignore)
        pip = [str(PRODUCT_PY), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True)
        (wheel,) = wheels.glob("continuum-*.whl")
        target = ["--python", str(venv / "bin" / "python")]
        install = ["install", "--no-deps", "--force-reinstall", str(wheel)]
        subprocess.run([*pip, *target, *install], check=True)
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        log(f"  could not install a wheel of continuum ({exc}); timing the editable .venv")
        return None
    return venv / "bin" / "continuum"


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


#: The ``continuum`` script timed (`install_wheel`, else the product venv's).
CONTINUUM = [PRODUCT_BIN / "continuum"]


def continuum_cmd(*, cache: bool) -> list[str]:
    command = [str(CONTINUUM[0]), "check", "--output-format", "concise", "--exit-zero"]
    return [*command, *([] if cache else ["--no-cache"]), "."]


def ruff_cmd(corpus: Corpus, *, cache: bool) -> list[str]:
    command = [
        str(PEERS_BIN / "ruff"),
        "check",
        "--isolated",  # ignore any configuration: exactly these two rules
        "--select",
        "E722,BLE001",
        "--output-format",
        "concise",
        "--exit-zero",
        "--no-respect-gitignore",
    ]
    cache_args = ["--cache-dir", str(corpus.root / ".ruff_cache")] if cache else ["--no-cache"]
    return [*command, *cache_args, "."]


def fixit_cmd() -> list[str]:
    return [str(PEERS_BIN / "fixit"), "--rules", "bench_fixit_rules", "lint", "."]


FIXIT_ENV = {"PYTHONPATH": str(BENCH / "peers")}


def floor_cmd(parser: str, file_list: Path) -> list[str]:
    return [str(PRODUCT_PY), str(BENCH / "floors.py"), parser, str(file_list)]


@dataclass
class Plan:
    """One timed command, with what to do before each run (not timed)."""

    key: str
    command: list[str]
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None


def run_corpus(
    corpus: Corpus, *, repeats: int, quick: bool, log: Callable[[str], None]
) -> dict[str, Sample]:
    """Time every tool on ``corpus``, alternating between tools; medians by tool key.

    In quick mode Continuum's cold run starts from an empty cache and fills it (instead
    of ``--no-cache`` plus a separate untimed priming run), which halves its cost.
    """
    file_list = corpus.root.parent / f"{corpus.root.name}.files.txt"
    file_list.write_text("".join(f"{p}\n" for p in corpus.files))

    def prime_continuum() -> None:
        prime_replay(continuum_cmd(cache=True), cwd=corpus.root)

    def prime_ruff() -> None:
        measure(ruff_cmd(corpus, cache=True), cwd=corpus.root)

    plans = [
        Plan("continuum_cold", continuum_cmd(cache=quick), before=lambda: _clear_caches(corpus)),
        Plan("fixit", fixit_cmd(), env=FIXIT_ENV),
        Plan("ruff_cold", ruff_cmd(corpus, cache=False)),
        Plan("continuum_warm", continuum_cmd(cache=True), before=prime_continuum),
        Plan("ruff_warm", ruff_cmd(corpus, cache=True), before=prime_ruff),
        Plan("ast", floor_cmd("ast", file_list)),
        Plan("libcst", floor_cmd("libcst", file_list)),
    ]
    samples: dict[str, list[Sample]] = {plan.key: [] for plan in plans}
    for repeat in range(repeats):
        for plan in plans:
            if plan.before is not None:
                plan.before()
            sample = measure(plan.command, cwd=corpus.root, env=plan.env)
            if sample.returncode not in SUCCESS.get(plan.key, {0}):
                log(f"  {plan.key} exited {sample.returncode}:\n{sample.output[-2000:]}")
            for failure in FIXIT_EXCEPTION.findall(sample.output) if plan.key == "fixit" else ():
                log(f"  fixit: {failure}")
            samples[plan.key].append(sample)
            log(f"  [{corpus.name} {repeat + 1}/{repeats}] {plan.key}: {sample.seconds:.2f}s")
    _clear_caches(corpus)
    return {key: median(runs) for key, runs in samples.items()}


# --- figures ------------------------------------------------------------------------------


def _parse_floor(sample: Sample) -> float | None:
    try:
        return float(json.loads(sample.output.strip().splitlines()[-1])["seconds"])
    except (ValueError, KeyError, IndexError):
        return None


def rows_for(
    corpus: Corpus, results: dict[str, Sample], tool_versions: dict[str, str]
) -> list[Row]:
    """Turn the medians of one workload into table rows."""
    workload = corpus.label
    files, lines = len(corpus.files), corpus.lines
    fixit = f"Fixit {tool_versions.get('fixit', '')}".strip()
    ruff = f"ruff {tool_versions.get('ruff', '')}".strip()

    def ok(key: str) -> Sample | None:
        sample = results.get(key)
        return sample if sample is not None and sample.returncode in SUCCESS.get(key, {0}) else None

    def rate(key: str, amount: int) -> float | None:
        sample = ok(key)
        return amount / sample.seconds if sample else None

    def secs(key: str) -> float | None:
        sample = ok(key)
        return sample.seconds if sample else None

    def mib(key: str) -> float | None:
        sample = ok(key)
        return sample.max_rss_kb / 1024 if sample else None

    def findings(key: str) -> float | None:
        sample = ok(key)
        return float(len(FINDING.findall(sample.output))) if sample else None

    ast_s, cst_s = _parse_floor(results["ast"]), _parse_floor(results["libcst"])
    cold_note = "" if ok("continuum_cold") else "continuum check failed"
    fixit_failures = len(FIXIT_EXCEPTION.findall(results["fixit"].output))
    if fixit_failures:
        cold_note = "; ".join(
            filter(None, [cold_note, f"Fixit raised on {fixit_failures} file(s)"])
        )
    # The targets are about large projects; on the 9-file example app process start-up
    # is all there is to measure.
    big = corpus.name != "example"
    fixit_target = FIXIT_TARGET if big else None
    warm_target = RUFF_WARM_TARGET if big else None

    def row(
        measure_: str,
        unit: str,
        value: float | None,
        peer: str,
        peer_value: float | None,
        target: tuple[str, float, str] | None = None,
        note: str = "",
    ) -> Row:
        return Row(workload, measure_, unit, value, peer, peer_value, target, note)

    def cpu(key: str) -> float | None:
        sample = ok(key)
        return sample.cpu_s if sample else None

    cold_rate, cold_lines = rate("continuum_cold", files), rate("continuum_cold", lines)
    rows = [
        row(
            "check cold, files/s",
            "files/s",
            cold_rate,
            fixit,
            rate("fixit", files),
            fixit_target,
            cold_note,
        ),
        row("check cold, lines/s", "lines/s", cold_lines, fixit, rate("fixit", lines)),
        row("check cold, lines/s", "lines/s", cold_lines, ruff, rate("ruff_cold", lines)),
        row("cold check time", "s", secs("continuum_cold"), ruff, secs("ruff_cold")),
        row(
            "warm re-check (unchanged tree)",
            "s",
            secs("continuum_warm"),
            ruff,
            secs("ruff_warm"),
            warm_target,
        ),
        row("peak memory (largest process)", "MiB", mib("continuum_cold"), fixit, mib("fixit")),
        row("peak memory (largest process)", "MiB", mib("continuum_cold"), ruff, mib("ruff_cold")),
        row("CPU time cold (all processes)", "s", cpu("continuum_cold"), fixit, cpu("fixit")),
        row(
            "floor: lines/s (parser on 1 core)",
            "lines/s",
            cold_lines,
            "ast.parse",
            lines / ast_s if ast_s else None,
        ),
        row(
            "floor: lines/s (parser on 1 core)",
            "lines/s",
            cold_lines,
            "libcst.parse_module",
            lines / cst_s if cst_s else None,
        ),
        row(
            "findings (sanity; rule sets differ)",
            "count",
            findings("continuum_cold"),
            fixit,
            findings("fixit"),
        ),
        row(
            "findings (sanity; rule sets differ)",
            "count",
            findings("continuum_cold"),
            ruff,
            findings("ruff_cold"),
        ),
    ]
    return rows


# --- command line -----------------------------------------------------------------------


def check_setup() -> None:
    """Fail early, with the command to run, when a tool is missing."""
    missing = [
        str(p)
        for p in (PRODUCT_BIN / "continuum", PEERS_BIN / "fixit", PEERS_BIN / "ruff")
        if not p.exists()
    ]
    if missing:
        raise SystemExit(
            "missing: "
            + ", ".join(missing)
            + "\nrun `make bench-quick` (it creates .venv and bench/.venv)"
        )


def main(argv: list[str] | None = None) -> None:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small corpora, one run each")
    parser.add_argument("--repeats", type=int, help="runs per tool (default 3, quick 1)")
    parser.add_argument("--only", nargs="+", choices=["generated", "stdlib", "example"])
    parser.add_argument("--work", type=Path, default=default_work_dir())
    parser.add_argument("--json", type=Path, help="write rows here (run_all.py uses this)")
    parser.add_argument(
        "--install",
        choices=["wheel", "editable"],
        default="wheel",
        help="time continuum from a wheel of this tree (as users install it; default) "
        "or from the product's editable .venv",
    )
    args = parser.parse_args(argv)
    check_setup()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    repeats = args.repeats or (1 if args.quick else 3)
    names = args.only or ["generated", "stdlib", "example"]
    tool_versions = versions()
    wheel = install_wheel(args.work, log) if args.install == "wheel" else None
    if wheel is not None:
        CONTINUUM[0] = wheel

    rows: list[Row] = []
    for name in names:
        corpus = prepare(name, args.work, quick=args.quick)
        log(f"{corpus.label}: {corpus.root}")
        # The whole stdlib through Fixit takes minutes: one run is enough there.
        runs = 1 if name == "stdlib" and not args.quick else repeats
        results = run_corpus(corpus, repeats=runs, quick=args.quick, log=log)
        rows += rows_for(corpus, results, tool_versions)
    meta = {
        **environment(),
        "script": "bench_analyzer.py",
        "quick": args.quick,
        "repeats": repeats,
        "continuum_install": "wheel" if wheel is not None else "editable",
    }
    path = write_results("analyzer", rows, meta, args.json)
    print(render_table(rows))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
