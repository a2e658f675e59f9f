"""Generate a large, plausible Continuum project for the analyzer benchmarks.

Deterministic: the same arguments always write byte-identical files (the digest printed
at the end proves it). The project looks like a real service that grew over time:

- ``bigapp/flows/flow_NNNN.py``: workflow modules. Each defines an input dataclass and
  one or two `continuum.Workflow` classes whose ``run`` calls activities, timers and
  signals, local helpers and helpers from other modules.
- ``bigapp/helpers/h_NNNN.py``: plain helper modules (no mention of continuum) with pure
  functions that call one another across modules, so the analyzer must follow them.
- ``bigapp/activities/a_NNNN.py``: activity modules doing I/O, as activities should.

One helper in 25 reads the clock, randomness or the environment (reached from
workflows through ``normalize``), and one workflow module in 30 swallows exceptions with
a bare ``except:``; real projects have a few. Ruff's
E722/BLE001 and the Fixit rule see the same files.

With ``--stdlib`` it writes the second workload instead: a copy of the running Python's
standard library as project helper code, plus workflow modules that call into it.

Usage: ``python bench/gen_corpus.py OUT_DIR [--preset full|quick] [--flows N] [--helpers N]
[--activities N] [--stdlib]``
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import keyword
import random
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "bigapp"
WORDS = [
    "order",
    "invoice",
    "customer",
    "account",
    "payment",
    "refund",
    "shipment",
    "parcel",
    "carrier",
    "quote",
    "discount",
    "coupon",
    "ledger",
    "balance",
    "report",
    "audit",
    "review",
    "approval",
    "tenant",
    "region",
    "inventory",
    "stock",
    "warehouse",
    "basket",
    "item",
    "price",
    "tax",
    "fee",
    "rate",
    "limit",
    "batch",
    "export",
]
VIOLATIONS = (
    ("import time", "time.time()"),
    ("import random", "random.random()"),
    ("from datetime import datetime", "datetime.now().timestamp()"),
    ("import os", "float(len(os.environ.get('REGION', 'eu')))"),
    ("import uuid", "float(uuid.uuid4().int % 7)"),
)


@dataclass(frozen=True)
class Sizes:
    """How many modules of each kind to write."""

    flows: int
    helpers: int
    activities: int


def _name(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def _helper_function(rng: random.Random, name: str, callees: list[str]) -> list[str]:
    """One pure helper of several shapes; may call helpers from other modules."""
    shape = rng.randrange(5)
    lines = [f"def {name}(value: float, rows: list[dict] | None = None) -> float:"]
    lines.append(f'    """Compute the {_name(rng, 3).replace("_", " ")} figure."""')
    if shape == 0:
        rate = rng.randint(1, 40) / 100
        lines += [
            f"    rate = {rate}",
            "    total = value * (1 + rate)",
            f"    if total > {rng.randint(100, 10_000)}:",
            f"        total -= {rng.randint(1, 99)}",
            "    return round(total, 2)",
        ]
    elif shape == 1:
        key = rng.choice(WORDS)
        lines += [
            "    rows = rows or []",
            f"    picked = [row.get({key!r}, 0) for row in rows if row.get('active', True)]",
            "    if not picked:",
            "        return value",
            "    return value + sum(picked) / len(picked)",
        ]
    elif shape == 2:
        lines += [
            "    buckets: dict[str, float] = {}",
            "    for index, row in enumerate(rows or []):",
            f"        label = str(row.get({rng.choice(WORDS)!r}, index))",
            "        buckets[label] = buckets.get(label, 0.0) + value / (index + 1)",
            "    return max(buckets.values(), default=value)",
        ]
    elif shape == 3:
        lines += [
            "    try:",
            f"        ratio = value / {rng.randint(1, 9)}",
            "    except ZeroDivisionError:",
            "        ratio = 0.0",
            "    return math.floor(ratio * 100) / 100",
        ]
    else:
        lines += [
            f"    text = f'{{value:.{rng.randint(0, 4)}f}}'",
            "    digits = re.sub(r'[^0-9]', '', text)",
            "    return float(digits or 0) / 10",
        ]
    if callees:
        callee = rng.choice(callees)
        lines[-1] = lines[-1].replace("return ", f"return {callee}(", 1) + ")"
    return [*lines, "", ""]


def helper_module(
    rng: random.Random, index: int, helpers_before: list[str]
) -> tuple[str, list[str]]:
    """Source of one helper module and the names of the functions it defines."""
    violation = VIOLATIONS[(index // 25) % len(VIOLATIONS)] if index % 25 == 7 else None
    imported = rng.sample(helpers_before, k=min(len(helpers_before), rng.randint(0, 2)))
    header = [f'"""Helpers for {_name(rng, 2).replace("_", " ")} (module {index})."""', ""]
    header += ["from __future__ import annotations", "", "import math", "import re"]
    if violation:
        header.append(violation[0])
    callees: list[str] = []
    for module in imported:
        alias = module.rsplit(".", 1)[-1]
        header.append(f"from {PACKAGE}.helpers import {alias}")
        callees.append(f"{alias}.{rng.choice(HELPER_NAMES)}")
    header += [
        "",
        f"SCALE = {rng.randint(2, 50)}",
        f"LABELS = {sorted(rng.sample(WORDS, 3))!r}",
        "",
        "",
    ]
    body: list[str] = []
    for fn in HELPER_NAMES:
        # A helper that reads the clock (or similar) is reached through `normalize`.
        chosen = ["stamp"] if violation and fn == "normalize" else callees
        body += _helper_function(rng, fn, chosen if rng.random() < 0.5 or violation else [])
    if violation:
        body += [
            "def stamp(value: float) -> float:",
            '    """Add a marker to the value."""',
            f"    return value + {violation[1]}",
            "",
            "",
        ]
    return "\n".join(header + body).rstrip() + "\n", HELPER_NAMES


HELPER_NAMES = [
    "normalize",
    "weigh",
    "score",
    "adjust",
    "summarize",
    "clamp_total",
    "round_up",
    "blend",
]


def activity_module(rng: random.Random, index: int) -> str:
    """Source of one activity module: I/O is fine here, activities run outside replay."""
    lines = [
        f'"""Activities that talk to the {rng.choice(WORDS)} service (module {index})."""',
        "",
        "from __future__ import annotations",
        "",
        "import json",
        "import logging",
        "import urllib.request",
        "from pathlib import Path",
        "",
        "logger = logging.getLogger(__name__)",
        f'BASE_URL = "https://{rng.choice(WORDS)}.internal.example/api"',
        "",
        "",
    ]
    for name in ACTIVITY_NAMES:
        lines += [
            f"def {name}(key: str, amount: float = 0.0) -> dict:",
            f'    """Call the {name.replace("_", " ")} endpoint."""',
            f'    request = urllib.request.Request(f"{{BASE_URL}}/{name}/{{key}}", method="POST")',
            "    try:",
            "        with urllib.request.urlopen(request, timeout=10) as response:",
            "            body = json.loads(response.read() or b'{}')",
            "    except OSError as err:",
            f'        logger.warning("{name} failed for %s: %s", key, err)',
            "        raise",
            f'    Path("/tmp/{name}.log").write_text(json.dumps(body))',
            "    return {'key': key, 'amount': amount, 'status': body.get('status', 'ok')}",
            "",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


ACTIVITY_NAMES = ["reserve", "charge", "notify", "release", "record"]


def flow_module(rng: random.Random, index: int, sizes: Sizes) -> str:
    """Source of one workflow module with one or two workflow classes."""
    helpers = sorted(rng.sample(range(sizes.helpers), k=min(sizes.helpers, rng.randint(1, 3))))
    acts = sorted(rng.sample(range(sizes.activities), k=min(sizes.activities, rng.randint(1, 2))))
    swallow = index % 30 == 11
    lines = [
        f'"""Workflows for {_name(rng, 2).replace("_", " ")} (module {index})."""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "",
        "from continuum import Retry, Workflow, activity, await_signal, hours, minutes, timer",
    ]
    lines += [f"from {PACKAGE}.activities import a_{a:04d}" for a in acts]
    lines += [f"from {PACKAGE}.helpers import h_{h:04d}" for h in helpers]
    lines += [
        "",
        "",
        "@dataclass(frozen=True)",
        f"class Request{index}:",
        '    """What starts the workflow."""',
        "",
        "    key: str",
        "    amount: float",
        "    rows: tuple = ()",
        "",
        "",
        "def _fee(amount: float) -> float:",
        f"    return round(amount * {rng.randint(1, 9) / 100}, 2)",
        "",
        "",
    ]
    for cls in range(rng.randint(1, 2)):
        signal = f"{rng.choice(WORDS)}_decision"
        lines += [
            f'class Flow{index}x{cls}(Workflow, version=1, signals=["{signal}"]):',
            f'    """{_name(rng, 3).replace("_", " ").capitalize()} from request to settlement."""',
            "",
            f"    def run(self, request: Request{index}) -> dict:",
            "        total = request.amount + _fee(request.amount)",
        ]
        for step in range(rng.randint(4, 12)):
            kind = rng.randrange(5)
            if kind <= 1:
                h = rng.choice(helpers)
                lines.append(
                    f"        total = h_{h:04d}.{rng.choice(HELPER_NAMES)}(total, list(request.rows))"
                )
            elif kind == 2:
                a = rng.choice(acts)
                lines += [
                    f"        result_{step} = activity(",
                    f"            a_{a:04d}.{rng.choice(ACTIVITY_NAMES)},",
                    "            request.key,",
                    "            total,",
                    f'            retry=Retry(max_attempts={rng.randint(2, 6)}, backoff="exponential"),',
                    "        )",
                    f"        total += float(result_{step}.get('amount', 0))",
                ]
            elif kind == 3:
                lines.append(f"        timer(minutes({rng.randint(1, 90)}))")
            else:
                lines += [
                    f'        decision = await_signal("{signal}", timeout=hours({rng.randint(1, 48)}))',
                    "        if decision == 'rejected':",
                    "            return {'key': request.key, 'status': 'rejected'}",
                ]
        if swallow and cls == 0:
            a = rng.choice(acts)
            lines += [
                "        try:",
                f"            activity(a_{a:04d}.notify, request.key)",
                "        except:",
                "            pass",
            ]
        lines += ["        return {'key': request.key, 'status': 'done', 'total': total}", "", ""]
    return "\n".join(lines).rstrip() + "\n"


def generate(out: Path, sizes: Sizes, *, seed: int = 20240501) -> tuple[int, int, str]:
    """Write the project into ``out`` (replacing it); return (files, lines, digest)."""
    if out.exists():
        shutil.rmtree(out)
    rng = random.Random(seed)
    files: dict[str, str] = {
        "pyproject.toml": f'[project]\nname = "{PACKAGE}"\nversion = "0"\n\n[tool.continuum]\n',
        f"{PACKAGE}/__init__.py": '"""Generated benchmark project."""\n',
        f"{PACKAGE}/helpers/__init__.py": "",
        f"{PACKAGE}/activities/__init__.py": "",
        f"{PACKAGE}/flows/__init__.py": "",
    }
    helper_modules: list[str] = []
    for index in range(sizes.helpers):
        source, _ = helper_module(rng, index, helper_modules)
        files[f"{PACKAGE}/helpers/h_{index:04d}.py"] = source
        helper_modules.append(f"{PACKAGE}.helpers.h_{index:04d}")
    for index in range(sizes.activities):
        files[f"{PACKAGE}/activities/a_{index:04d}.py"] = activity_module(rng, index)
    for index in range(sizes.flows):
        files[f"{PACKAGE}/flows/flow_{index:04d}.py"] = flow_module(rng, index, sizes)
    return _write(out, files)


# --- the standard library as helper code --------------------------------------------

#: Parts of the stdlib never copied: tests, GUIs, the 2to3 grammar, bundled wheels.
STDLIB_SKIP = (
    "test",
    "tests",
    "idlelib",
    "lib2to3",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "site-packages",
    "__pycache__",
    "__phello__",
)
#: The subset used by ``--preset quick`` (about 8k lines).
STDLIB_QUICK = ("json", "logging", "csv.py", "string.py", "textwrap.py", "calendar.py")
STDLIB_PACKAGE = "stdcopy"
MODULES_PER_FLOW = 25


def _stdlib_sources(stdlib: Path, only: tuple[str, ...] | None) -> list[Path]:
    found = []
    for path in sorted(stdlib.rglob("*.py")):
        rel = path.relative_to(stdlib)
        if any(part in STDLIB_SKIP or part.startswith("config-") for part in rel.parts):
            continue
        if only is not None and rel.parts[0] not in only:
            continue
        if not all(part.isidentifier() for part in rel.with_suffix("").parts):
            continue
        found.append(path)
    return found


def _public_functions(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ][:2]


def generate_stdlib(out: Path, *, quick: bool = False) -> tuple[int, int, str]:
    """Copy the running Python's stdlib into ``out/stdcopy`` and add workflows calling it.

    Each workflow module imports 25 stdlib modules and calls up to two public functions
    of each, so ``continuum check`` follows into the stdlib as project helper code, while
    ruff and Fixit check every file. Returns (files, lines, digest).
    """
    if out.exists():
        shutil.rmtree(out)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files: dict[str, str] = {
        "pyproject.toml": '[project]\nname = "stdbench"\nversion = "0"\n\n[tool.continuum]\n',
        f"{STDLIB_PACKAGE}/__init__.py": "",
        "stdflows/__init__.py": "",
    }
    calls: list[tuple[str, list[str]]] = []
    for path in _stdlib_sources(stdlib, STDLIB_QUICK if quick else None):
        rel = path.relative_to(stdlib)
        source = path.read_text(encoding="utf-8", errors="replace")
        files[f"{STDLIB_PACKAGE}/{rel.as_posix()}"] = source
        parts = rel.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        functions = _public_functions(source)
        if parts and functions and not any(keyword.iskeyword(p) for p in parts):
            calls.append((".".join((STDLIB_PACKAGE, *parts)), functions))
    for batch, start in enumerate(range(0, len(calls), MODULES_PER_FLOW)):
        chunk = calls[start : start + MODULES_PER_FLOW]
        lines = [
            f'"""Workflows calling into the standard library (batch {batch})."""',
            "",
            "from __future__ import annotations",
            "",
            "from continuum import Workflow",
        ]
        lines += [f"import {module} as m{i}" for i, (module, _) in enumerate(chunk)]
        lines += [
            "",
            "",
            f"class StdFlow{batch}(Workflow, version=1):",
            '    """Calls stdlib helpers the way application code calls its own."""',
            "",
            "    def run(self, request: dict) -> dict:",
        ]
        for i, (_, functions) in enumerate(chunk):
            lines += [f"        m{i}.{name}(request)" for name in functions]
        lines.append("        return request")
        files[f"stdflows/flows_{batch:03d}.py"] = "\n".join(lines) + "\n"
    return _write(out, files)


def _write(out: Path, files: dict[str, str]) -> tuple[int, int, str]:
    digest = hashlib.sha256()
    lines = 0
    for rel in sorted(files):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")
        digest.update(rel.encode() + b"\0" + files[rel].encode("utf-8", "surrogatepass"))
        lines += files[rel].count("\n")
    python_files = sum(1 for rel in files if rel.endswith(".py"))
    return python_files, lines, digest.hexdigest()[:16]


PRESETS = {
    "full": Sizes(flows=400, helpers=300, activities=150),
    "quick": Sizes(flows=25, helpers=20, activities=10),
}


def main() -> None:
    """Command line: write the corpus and print its size and digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full")
    parser.add_argument("--flows", type=int)
    parser.add_argument("--helpers", type=int)
    parser.add_argument("--activities", type=int)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--stdlib", action="store_true", help="write the stdlib project instead")
    args = parser.parse_args()
    if args.stdlib:
        files, lines, digest = generate_stdlib(args.out, quick=args.preset == "quick")
        print(f"wrote {files} Python files, {lines} lines, to {args.out} (digest {digest})")
        return
    base = PRESETS[args.preset]
    sizes = Sizes(
        flows=args.flows or base.flows,
        helpers=args.helpers or base.helpers,
        activities=args.activities or base.activities,
    )
    files, lines, digest = generate(args.out, sizes, seed=args.seed)
    print(f"wrote {files} Python files, {lines} lines, to {args.out} (digest {digest})")


if __name__ == "__main__":
    main()
