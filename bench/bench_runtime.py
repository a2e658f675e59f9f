"""Continuum's runtime vs DBOS Transact on the same Postgres server, in the same run.

Usage: ``python bench/bench_runtime.py [--quick] [--json FILE] [--database-url URL]``

Set-up (see the runtime section of ``bench/README.md``):

- fresh databases on one server, ``continuum_bench_rt``, ``continuum_bench_rt_sep``
  and ``dbos_bench_rt`` (dropped at the end), so `pg_stat_database` counts each
  system's commits apart;
- Continuum: the workflows of ``bench/apps/continuum_app`` are built with
  ``continuum build`` into a scratch copy, and run in two deployments. Co-located
  (the rows with the targets): a `Worker` in the client process
  (`runtime_continuum_runner.py URL APP`), which a start hands the run to directly,
  like DBOS. Separate: a ``continuum worker`` process executes them and another
  client process (`runtime_continuum_runner.py URL`) starts runs and waits for results;
- DBOS: the twin workflows of ``bench/apps/dbos_app`` run inside the client process
  (`runtime_dbos_runner.py`, in ``bench/.venv``), as DBOS is deployed;
- the client processes are driven alternately (co-located, separate, DBOS, …) and
  each figure is the median over the rounds.

Then ``pgbench -N`` on the same server (the commit-rate floor), the idle load of each
system, and the engine's replay cost per event.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import runtime_pg as pg
from _common import BENCH, PEERS_BIN, PRODUCT_PY, Row, _dist_version, environment, render_table
from _common import write_results as save

APP = BENCH / "apps" / "continuum_app"
CONTINUUM_DB, DBOS_DB, PGBENCH_DB = "continuum_bench_rt", "dbos_bench_rt", "pgbench_bench_rt"
#: The separate-worker deployment gets its own database: the co-located process's worker
#: would otherwise claim the runs its client starts.
SEPARATE_DB = "continuum_bench_rt_sep"
#: Systems: Continuum co-located (a worker in the client's process, like DBOS), Continuum
#: with a separate ``continuum worker`` process, and DBOS.
COLOCATED, SEPARATE = "continuum", "continuum-worker"
DATABASES = {COLOCATED: CONTINUUM_DB, SEPARATE: SEPARATE_DB, "dbos": DBOS_DB}
REPLAY_DB = "continuum_bench_replay"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Executor threads of the Continuum worker: DBOS's default connection pool is 20.
WORKER_CONCURRENCY = 20


@dataclass(frozen=True)
class Sizes:
    """How much of each workload one round runs."""

    rounds: int
    sequential: int  # 10-step workflows, one client
    one_step: int  # 1-step workflows, one client
    concurrent: int  # 10-step workflows started at once
    signals: int
    idle_seconds: int
    pgbench_seconds: int
    replay_repeats: int


QUICK = Sizes(1, 10, 20, 50, 5, 10, 3, 5)
FULL = Sizes(3, 60, 200, 50, 30, 60, 10, 7)


def log(message: str) -> None:
    """Progress on stderr (`run_all.py` shows it live)."""
    print(f"[runtime] {message}", file=sys.stderr, flush=True)


# --- the two client processes -------------------------------------------------------------
class Runner:
    """A long-lived runner process speaking `runtime_protocol` over its stdin/stdout."""

    def __init__(self, name: str, command: list[str], log_file: Path) -> None:
        self.name = name
        self._log: IO[bytes] = log_file.open("wb")
        self.proc = subprocess.Popen(
            command,
            cwd=BENCH,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        hello = self._read()
        if not hello.get("ready"):
            raise RuntimeError(f"{name} runner did not start: {hello}")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} runner exited; see {self._log.name}")
        return json.loads(line)

    def call(self, **command: Any) -> dict[str, Any]:
        """Send one command, return its reply (raise on a reported error)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {reply['error']} (log: {self._log.name})")
        return reply

    def close(self) -> None:
        """Ask it to quit; kill it if it does not."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# --- figures --------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear interpolation between samples."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class Tally:
    """One system's replies to one workload, over the rounds."""

    rates: list[float]
    latencies: list[float]

    @classmethod
    def empty(cls) -> Tally:
        """No rounds yet."""
        return cls([], [])

    def add(self, reply: dict[str, Any], per_workflow: int) -> None:
        """Record a reply: ``per_workflow`` units (steps, or 1) per workflow."""
        self.rates.append(reply["count"] * per_workflow / reply["elapsed"])
        self.latencies += reply["latencies"]

    @property
    def rate(self) -> float:
        """Median throughput over the rounds."""
        return statistics.median(self.rates)

    def ms(self, q: float) -> float:
        """Latency percentile in milliseconds, over all rounds' samples."""
        return percentile(self.latencies, q) * 1000


WORKLOADS: dict[str, dict[str, Any]] = {
    "sequential": {"op": "sequential", "kind": "steps", "arg": 10},
    "concurrent": {"op": "concurrent", "kind": "steps", "arg": 10},
    "one_step": {"op": "sequential", "kind": "one_step", "arg": 1},
    "signal": {"op": "signal"},
}


def counts(sizes: Sizes) -> dict[str, int]:
    """Workflows per round of each workload."""
    return {
        "sequential": sizes.sequential,
        "concurrent": sizes.concurrent,
        "one_step": sizes.one_step,
        "signal": sizes.signals,
    }


#: A one-client workload's round is run in this many slices, the systems alternating
#: slice by slice: a burst of load from elsewhere on a shared machine (seconds long)
#: then hits every system alike instead of one system's whole turn.
SLICES = 6


def run_workloads(runners: dict[str, Runner], sizes: Sizes) -> dict[tuple[str, str], Tally]:
    """Every workload, alternating the systems, for ``sizes.rounds`` rounds.

    The one-client workloads alternate slice by slice (`SLICES`); a round's figure for
    a system sums its slices. The concurrent burst is one call per system.
    """
    tallies: dict[tuple[str, str], Tally] = {}
    for round_no in range(sizes.rounds):
        for workload, command in WORKLOADS.items():
            count = counts(sizes)[workload]
            slices = 1 if workload == "concurrent" else max(1, min(SLICES, count))
            totals: dict[str, dict[str, Any]] = {
                system: {"elapsed": 0.0, "latencies": [], "count": 0} for system in runners
            }
            for part in range(slices):
                share = count // slices + (1 if part < count % slices else 0)
                for system, runner in runners.items():
                    reply = runner.call(**command, count=share)
                    total = totals[system]
                    total["elapsed"] += reply["elapsed"]
                    total["latencies"] += reply["latencies"]
                    total["count"] += reply["count"]
            per_workflow = 10 if workload in ("sequential", "concurrent") else 1
            for system, total in totals.items():
                tallies.setdefault((workload, system), Tally.empty()).add(total, per_workflow)
                log(
                    f"round {round_no + 1}/{sizes.rounds} {workload:<10} {system:<16} "
                    f"{total['count']} workflows in {total['elapsed']:.2f}s"
                )
    return tallies


@dataclass(frozen=True)
class Load:
    """What `count_load` found, per system (and per workload for the per-workflow ones)."""

    #: Server side: `pg_stat_database` commits per workflow.
    commits: dict[tuple[str, str], float]
    #: Client side: statements and transactions each system's processes sent, per workflow.
    statements: dict[tuple[str, str], float]
    transactions: dict[tuple[str, str], float]
    #: Idle: statements/s the system sent, and transactions/s its database saw.
    idle_statements: dict[str, float]
    idle_transactions: dict[str, float]
    idle_seconds: float


@dataclass(frozen=True)
class Mark:
    """Both kinds of counters at one moment."""

    at: float
    counters: dict[str, pg.Counters]
    statements: dict[str, int]
    transactions: dict[str, int]


def count_load(
    runners: dict[str, Runner], sizes: Sizes, stats: pg.StatsReader, worker_count: Path
) -> Load:
    """Commits and statements per workflow (10-step and 1-step), then the idle rates.

    Server counters lag up to 10 s (`runtime_pg.STATS_SETTLE`), so each window ends
    with a settle. Both systems run in one window (their databases and processes are
    counted apart); the other system's turn and the settle are background time for
    each, subtracted at the idle rate measured last. Statements are counted in the
    processes themselves (`runtime_sqlcount`): Continuum's client and worker, DBOS's
    process.
    """
    import runtime_sqlcount

    databases = {system: DATABASES[system] for system in runners}
    log("counting commits and statements (each reading waits for Postgres' counters)")

    def mark(settle: float = pg.STATS_SETTLE) -> Mark:
        counters = stats.read(*databases.values(), settle=settle)
        replies = {system: runner.call(op="count") for system, runner in runners.items()}
        sent = {system: reply["statements"] for system, reply in replies.items()}
        ended = {system: reply["transactions"] for system, reply in replies.items()}
        worker_sent, worker_ended = runtime_sqlcount.read_published(worker_count)
        sent[SEPARATE] += worker_sent
        ended[SEPARATE] += worker_ended
        return Mark(time.monotonic(), counters, sent, ended)

    marks = [mark()]
    elapsed: dict[tuple[str, str], float] = {}
    for workload in ("sequential", "one_step"):
        for system, runner in runners.items():
            reply = runner.call(**WORKLOADS[workload], count=counts(sizes)[workload])
            elapsed[(workload, system)] = reply["elapsed"]
        marks.append(mark())
    log(f"idle load: {sizes.idle_seconds}s with the worker and DBOS idle")
    time.sleep(sizes.idle_seconds)
    # No settle: in a steady idle state the flush lag shifts the window, it adds nothing.
    marks.append(mark(settle=0.0))
    start, end = marks[2], marks[3]
    window = end.at - start.at
    idle_tx = {
        system: (end.counters[db].transactions - start.counters[db].transactions) / window
        for system, db in databases.items()
    }
    idle_sent = {
        system: (end.statements[system] - start.statements[system]) / window for system in runners
    }
    idle_ended = {
        system: (end.transactions[system] - start.transactions[system]) / window
        for system in runners
    }
    commits, sent, ended = {}, {}, {}
    for index, workload in enumerate(("sequential", "one_step")):
        before, after = marks[index], marks[index + 1]
        count = counts(sizes)[workload]
        for system, db in databases.items():
            other = after.at - before.at - elapsed[(workload, system)]
            delta = after.counters[db].commits - before.counters[db].commits
            commits[(workload, system)] = (delta - idle_tx[system] * other) / count
            delta = after.statements[system] - before.statements[system]
            sent[(workload, system)] = (delta - idle_sent[system] * other) / count
            delta = after.transactions[system] - before.transactions[system]
            ended[(workload, system)] = (delta - idle_ended[system] * other) / count
    return Load(commits, sent, ended, idle_sent, idle_tx, window)


def workload_rows(
    tallies: dict[tuple[str, str], Tally], load: Load, peer: str, system: str = COLOCATED
) -> list[Row]:
    """The table rows of the four workloads for one Continuum deployment.

    The co-located rows carry the targets (both systems in library mode); the separate
    worker's rows are the same measures, for information.
    """
    targets = system == COLOCATED
    suffix = "" if targets else ", separate worker process"

    def pair(workload: str) -> tuple[Tally, Tally | None]:
        return tallies[(workload, system)], tallies.get((workload, "dbos"))

    def row(
        title: str, measure: str, unit: str, get: Any, workload: str, target: Any = None
    ) -> Row:
        mine, theirs = pair(workload)
        return Row(
            title + suffix,
            measure,
            unit,
            get(mine),
            peer=peer,
            peer_value=get(theirs) if theirs is not None else None,
            target=target if targets else None,
        )

    def commit_row(title: str, workload: str) -> list[Row]:
        return [
            Row(
                title + suffix,
                "statements per workflow",
                "stmts",
                load.statements.get((workload, system)),
                peer=peer,
                peer_value=load.statements.get((workload, "dbos")),
                note="counted in each system's processes (BEGIN/COMMIT included)",
            ),
            Row(
                title + suffix,
                "commits per workflow",
                "commits",
                load.transactions.get((workload, system)),
                peer=peer,
                peer_value=load.transactions.get((workload, "dbos")),
                note="transactions each system's processes ended (runtime_sqlcount)",
            ),
            Row(
                title + suffix,
                "commits per workflow, server side",
                "commits",
                load.commits.get((workload, system)),
                peer=peer,
                peer_value=load.commits.get((workload, "dbos")),
                note="pg_stat_database xact_commit less the idle rate; noisy on a shared "
                "server, see README",
            ),
        ]

    seq = "runtime: 10-step no-op workflow, 1 client"
    conc = "runtime: 50 concurrent 10-step workflows"
    one = "runtime: 1-step workflow, 1 client"
    sig = "runtime: signal → resume"
    return [
        row(seq, "workflows/s", "wf/s", lambda t: t.rate / 10, "sequential"),
        row(seq, "steps/s", "steps/s", lambda t: t.rate, "sequential", (">=", 3.0, "ratio")),
        row(seq, "p50 start→result", "ms", lambda t: t.ms(50), "sequential"),
        row(seq, "p99 start→result", "ms", lambda t: t.ms(99), "sequential"),
        *commit_row(seq, "sequential"),
        row(conc, "steps/s", "steps/s", lambda t: t.rate, "concurrent", (">=", 5.0, "ratio")),
        row(conc, "p50 start→result", "ms", lambda t: t.ms(50), "concurrent"),
        row(conc, "p99 start→result", "ms", lambda t: t.ms(99), "concurrent"),
        row(one, "p50 start→result", "ms", lambda t: t.ms(50), "one_step", ("<=", 0.5, "ratio")),
        row(one, "p99 start→result", "ms", lambda t: t.ms(99), "one_step"),
        *commit_row(one, "one_step"),
        row(sig, "p50 signal→resume", "ms", lambda t: t.ms(50), "signal"),
        row(sig, "p99 signal→resume", "ms", lambda t: t.ms(99), "signal"),
    ]


# --- the other measures -----------------------------------------------------------------------
def idle_rows(load: Load, peer: str | None) -> list[Row]:
    """Statements (and server-side transactions) per second while nothing is to be done.

    For each deployment: its worker is idle, whether it runs in the client's process or
    in its own.
    """
    seconds = f"idle for {load.idle_seconds:.0f}s"
    rows = []
    for system, how in (
        (COLOCATED, "co-located: the process running client and worker"),
        (SEPARATE, "separate: the worker and client processes"),
    ):
        rows += [
            Row(
                "runtime: idle" + ("" if system == COLOCATED else ", separate worker process"),
                f"queries/s, {seconds}",
                "q/s",
                load.idle_statements[system],
                peer=peer,
                peer_value=load.idle_statements.get("dbos"),
                target=("<=", 1.0, "value"),
                note=f"statements sent by {how} (runtime_sqlcount)",
            ),
            Row(
                "runtime: idle" + ("" if system == COLOCATED else ", separate worker process"),
                f"transactions/s in its database, {seconds}",
                "tx/s",
                load.idle_transactions[system],
                peer=peer,
                peer_value=load.idle_transactions.get("dbos"),
                note="pg_stat_database; on a shared server includes catch-up commits of idle "
                "pooled connections (see README)",
            ),
        ]
    return rows


def pgbench_rows(maintenance_url: str, seconds: int) -> list[Row]:
    """``pgbench -N`` at 1 and 8 clients: the server's commit rate, the floor for both."""
    title = "runtime: Postgres floor (pgbench -N)"
    binary = pg.find_pgbench()
    if binary is None:
        note = "pgbench not found (install the postgresql client package); skipped"
        return [Row(title, f"tps, {c} client(s)", "tps", None, note=note) for c in (1, 8)]
    url = pg.recreate_database(maintenance_url, PGBENCH_DB)
    try:
        pg.pgbench_init(binary, url)
        rows = []
        for clients in (1, 8):
            log(f"pgbench -N -c {clients} -T {seconds}")
            tps = pg.pgbench_tps(binary, url, clients=clients, seconds=seconds)
            rows.append(
                Row(
                    title,
                    f"tps, {clients} client(s)",
                    "tps",
                    tps,
                    note="one commit per transaction",
                )
            )
        return rows
    finally:
        pg.drop_database(maintenance_url, PGBENCH_DB)


def replay_rows(app_root: Path, base_url: str, sizes: Sizes) -> list[Row]:
    """The replay rows of `runtime_replay.py` (50,000 events too in the full run)."""
    sys.path.insert(0, str(app_root))
    from runtime_replay import replay_rows as measure_replay

    return measure_replay(base_url, full=sizes.rounds > 1, repeats=sizes.replay_repeats, log=log)


# --- set-up -----------------------------------------------------------------------------------
def build_app(work: Path) -> Path:
    """A scratch copy of the benchmark app with ``continuum build`` run on it."""
    target = work / "continuum_app"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(APP, target, ignore=shutil.ignore_patterns("_continuum", "__pycache__"))
    subprocess.run(
        [str(PRODUCT_PY), "-m", "continuum", "build", str(target)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return target


def maintenance_url(explicit: str | None) -> str:
    """The server to use: the flag, ``CONTINUUM_BENCH_DATABASE_URL``, the local service,
    or else Continuum's embedded server."""
    url = explicit or os.environ.get("CONTINUUM_BENCH_DATABASE_URL") or DEFAULT_URL
    if pg.answers(url):
        return url
    if explicit:
        raise SystemExit(f"no Postgres answers at {url}")
    from continuum.runtime.settings import resolve_database_url

    log("no local Postgres service answers; using the embedded server")
    return pg.with_dbname(resolve_database_url(), "postgres")


def start_worker(app: Path, url: str, work: Path) -> subprocess.Popen[bytes]:
    """``continuum worker`` on the built app, as deployed (defaults but the concurrency).

    Run through `runtime_worker.py`: the same CLI, plus a statement counter that
    writes its total to ``work/worker-statements.json``.
    """
    log_file = (work / "worker.log").open("wb")
    return subprocess.Popen(
        [
            str(PRODUCT_PY),
            str(BENCH / "runtime_worker.py"),
            str(work / "worker-statements.json"),
            "worker",
            str(app),
            "--database-url",
            url,
            "--concurrency",
            str(WORKER_CONCURRENCY),
            "--no-migrate",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )


def wait_started(worker: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    """Wait for the worker's "started" line; fail with its log if it exits or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if " started" in text:
            return
        if worker.poll() is not None:
            break
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
    raise RuntimeError(f"continuum worker did not start; its log ({log_path}):\n{tail}")


def warm_up(runners: dict[str, Runner]) -> None:
    """A few untimed workflows per system: imports, pools and plans are ready after it."""
    for runner in runners.values():
        runner.call(op="sequential", kind="steps", count=3, arg=10)
        runner.call(op="sequential", kind="one_step", count=3, arg=1)
        runner.call(op="concurrent", kind="steps", count=10, arg=10)
        runner.call(op="signal", count=2)


def load_average() -> str:
    """The 1/5/15-minute load averages, recorded with the results."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def measure(
    sizes: Sizes, base_url: str, work: Path, extras: bool = True
) -> tuple[list[Row], dict[str, Any]]:
    """Everything (without pgbench and replay unless ``extras``); returns rows and meta data."""
    work.mkdir(parents=True, exist_ok=True)
    dbos_python = PEERS_BIN / "python"
    dbos_version = _dist_version(dbos_python, "dbos")
    peer = f"DBOS {dbos_version}" if dbos_version else None
    meta: dict[str, Any] = {
        "postgres": pg.server_version(base_url),
        "worker_concurrency": WORKER_CONCURRENCY,
        "load_before": load_average(),
        "sizes": sizes.__dict__,
    }
    log("building the benchmark app")
    app = build_app(work)
    continuum_url = pg.recreate_database(base_url, CONTINUUM_DB)
    separate_url = pg.recreate_database(base_url, SEPARATE_DB)
    dbos_url = pg.recreate_database(base_url, DBOS_DB)
    for url in (continuum_url, separate_url):
        subprocess.run(
            [str(PRODUCT_PY), "-m", "continuum", "db", "migrate", "--database-url", url],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    stats = pg.StatsReader(base_url)
    worker = start_worker(app, separate_url, work)
    runners: dict[str, Runner] = {}
    rows: list[Row] = []
    try:
        wait_started(worker, work / "worker.log")
        runner = str(BENCH / "runtime_continuum_runner.py")
        runners[COLOCATED] = Runner(
            COLOCATED,
            [str(PRODUCT_PY), runner, continuum_url, str(app)],
            work / "continuum-colocated.log",
        )
        runners[SEPARATE] = Runner(
            SEPARATE, [str(PRODUCT_PY), runner, separate_url], work / "continuum-client.log"
        )
        if peer:
            runners["dbos"] = Runner(
                "dbos",
                [str(dbos_python), str(BENCH / "runtime_dbos_runner.py"), dbos_url],
                work / "dbos.log",
            )
        else:
            log("bench/.venv has no dbos: run `make bench` to install the peers")
        log("warming up")
        warm_up(runners)
        tallies = run_workloads(runners, sizes)
        load = count_load(runners, sizes, stats, work / "worker-statements.json")
        rows += workload_rows(tallies, load, peer or "DBOS (not installed)", COLOCATED)
        rows += workload_rows(tallies, load, peer or "DBOS (not installed)", SEPARATE)
        rows += idle_rows(load, peer)
    finally:
        for runner in runners.values():
            runner.close()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        stats.close()
        for name in DATABASES.values():
            pg.drop_database(base_url, name)
    if extras:
        rows += pgbench_rows(base_url, sizes.pgbench_seconds)
        rows += replay_rows(app, base_url, sizes)
    meta["load_after"] = load_average()
    meta["versions"] = {"dbos": dbos_version, "postgres": meta["postgres"]}
    return rows, meta


def main() -> None:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--json", type=Path, help="write the rows here (for run_all.py)")
    parser.add_argument("--database-url", help=f"a server's maintenance database ({DEFAULT_URL})")
    parser.add_argument("--rounds", type=int, help="override the number of A/B rounds")
    parser.add_argument(
        "--workloads-only",
        action="store_true",
        help="skip the pgbench floor and the replay rows (A/B runs of the workloads)",
    )
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "continuum-bench" / "runtime"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.rounds:
        sizes = Sizes(**{**sizes.__dict__, "rounds": args.rounds})
    base_url = maintenance_url(args.database_url)
    rows, meta = measure(sizes, base_url, args.work, extras=not args.workloads_only)
    env = environment()
    meta = {**env, **meta, "quick": args.quick, "versions": {**env["versions"], **meta["versions"]}}
    path = save("runtime", rows, meta, args.json)
    print(render_table(rows))
    print(f"\nmachine load (1/5/15 min) before: {meta['load_before']}, after: {meta['load_after']}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
