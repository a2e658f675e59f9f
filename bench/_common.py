"""Shared pieces of the benchmark scripts: result rows, the table, JSON output, timing.

Every ``bench/bench_*.py`` script produces `Row`s. Run alone it prints its own table;
``bench/run_all.py`` runs each script with ``--json FILE`` and prints all rows in one
table. A row compares Continuum's figure with one peer's (or with an absolute target
when there is no peer) and says whether the target from the issues is met.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
WORK = BENCH / "work"
#: The product's virtualenv (Continuum, LibCST) and the peers' one (Fixit, ruff, DBOS).
PRODUCT_PY = ROOT / ".venv" / "bin" / "python"
PRODUCT_BIN = ROOT / ".venv" / "bin"
PEERS_BIN = BENCH / ".venv" / "bin"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    #: Which workload (``"analyzer: generated 854 files"``).
    workload: str
    #: What is measured (``"check cold, files/s"``).
    measure: str
    #: Unit of ``continuum`` and ``peer_value``.
    unit: str
    #: Continuum's figure (None when it could not be measured; see ``note``).
    continuum: float | None
    #: Who it is compared with (``"Fixit 2.2.1"``), or None for an absolute figure.
    peer: str | None = None
    peer_value: float | None = None
    #: Target from the issues: ``(">=" | "<=", number, "ratio" | "value")``.
    target: tuple[str, float, str] | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Continuum's figure divided by the peer's."""
        if self.continuum is None or not self.peer_value:
            return None
        return self.continuum / self.peer_value

    @property
    def met(self) -> bool | None:
        """Whether the target holds (None: no target, or nothing to compare)."""
        if self.target is None:
            return None
        op, bound, on = self.target
        value = self.ratio if on == "ratio" else self.continuum
        if value is None:
            return None
        return value >= bound if op == ">=" else value <= bound

    def to_json(self) -> dict[str, Any]:
        """The row with its derived ratio and verdict."""
        data = asdict(self)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        """Inverse of `to_json`."""
        fields = {k: v for k, v in data.items() if k not in ("ratio", "met")}
        if fields.get("target") is not None:
            fields["target"] = tuple(fields["target"])
        return cls(**fields)


def fmt(value: float | None) -> str:
    """A figure with three significant digits (``12.3k``), or ``—``."""
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value / 1000:,.0f}k"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _target_text(row: Row) -> str:
    if row.target is None:
        return ""
    op, bound, on = row.target
    op = "≥" if op == ">=" else "≤"
    return f"{op} {fmt(bound)}×" if on == "ratio" else f"{op} {fmt(bound)} {row.unit}"


def render_table(rows: list[Row]) -> str:
    """The rows as an aligned text table, grouped by workload."""
    header = ("measure", "unit", "continuum", "peer", "peer value", "ratio", "target", "ok")
    lines: list[tuple[str, ...]] = []
    workload = None
    for row in rows:
        if row.workload != workload:
            workload = row.workload
            lines.append((f"[{workload}]", "", "", "", "", "", "", ""))
        ok = {True: "yes", False: "NO", None: ""}[row.met]
        ratio = f"{fmt(row.ratio)}×" if row.ratio is not None else "—"
        lines.append(
            (
                "  " + row.measure,
                row.unit,
                fmt(row.continuum),
                row.peer or "",
                fmt(row.peer_value) if row.peer else "",
                ratio if row.peer else "",
                _target_text(row),
                ok + (f"  ({row.note})" if row.note else ""),
            )
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    out = []
    for line in [header, *lines]:
        cells = [
            line[i].ljust(widths[i]) if i == 0 or i == 3 else line[i].rjust(widths[i])
            for i in range(len(widths))
        ]
        out.append("  ".join(cells) + "  " + line[-1])
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def environment() -> dict[str, Any]:
    """Date, machine and versions, stored with every result file."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "versions": versions(),
    }


def versions() -> dict[str, str]:
    """Versions of the tools compared (empty string when one is not installed)."""
    found = {
        "continuum": _dist_version(PRODUCT_PY, "continuum"),
        "libcst": _dist_version(PRODUCT_PY, "libcst"),
        "fixit": _dist_version(PEERS_BIN / "python", "fixit"),
        "ruff": _dist_version(PEERS_BIN / "python", "ruff"),
    }
    return found


def _dist_version(python: Path, dist: str) -> str:
    if not python.exists():
        return ""
    code = f"import importlib.metadata as m\ntry: print(m.version({dist!r}))\nexcept Exception: print('')"
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return result.stdout.strip()


def write_results(
    name: str, rows: list[Row], meta: dict[str, Any], path: Path | None = None
) -> Path:
    """Write rows and meta as JSON: to ``path``, or ``bench/results/<name>-<stamp>.json``.

    Also refreshes ``bench/results/<name>-latest.json`` so runs can be compared.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "rows": [row.to_json() for row in rows]}
    text = json.dumps(data, indent=2) + "\n"
    if path is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"{name}-{stamp}.json"
        (RESULTS / f"{name}-latest.json").write_text(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@dataclass
class Sample:
    """One measured run of a command."""

    seconds: float
    cpu_s: float
    max_rss_kb: int
    returncode: int
    output: str = field(repr=False, default="")


#: A full check writes its warm-replay record only when nothing it read changed within
#: the last 2 s (`continuum.cli.warm.RACY_NS`, git's "racily clean" rule), so a priming
#: run right after the tree (or the cache directory) was written leaves none.
REPLAY_SETTLE_SECONDS = 2.1


def prime_replay(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    """Untimed: fill the cache, wait out the racy window, and run again to record.

    What a user gets on the third check of an unchanged tree, which the timed run then
    measures.
    """
    measure(command, cwd=cwd, env=env)
    time.sleep(REPLAY_SETTLE_SECONDS)
    measure(command, cwd=cwd, env=env)


def measure(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run ``command`` in ``cwd`` under `bench/_measure.py`; return its figures and output."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result, output = Path(tmp) / "result.json", Path(tmp) / "output.txt"
        subprocess.run(
            [sys.executable, str(BENCH / "_measure.py"), str(result), str(output), "--", *command],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            check=True,
        )
        data = json.loads(result.read_text())
        return Sample(**data, output=output.read_text(errors="replace"))


def median(samples: list[Sample]) -> Sample:
    """The sample with the median time (the peak memory is the highest seen)."""
    ordered = sorted(samples, key=lambda s: s.seconds)
    middle = (
        ordered[(len(ordered) - 1) // 2] if len(ordered) % 2 == 0 else ordered[len(ordered) // 2]
    )
    return Sample(
        seconds=statistics.median(s.seconds for s in samples),
        cpu_s=statistics.median(s.cpu_s for s in samples),
        max_rss_kb=max(s.max_rss_kb for s in samples),
        returncode=middle.returncode,
        output=middle.output,
    )
