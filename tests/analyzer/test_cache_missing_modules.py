"""The caches notice a module that was looked for, not found, and then created.

Whether a name is project or third-party code depends on which modules exist, so a
cached summary and a cached result must both be dropped when a module they looked up
in vain appears: at the first import root or at another one, whether the check names
the file or its directory, and whether the summaries were computed in this process or
in worker processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from continuum.analyzer import engine
from continuum.analyzer.project import ProjectIndex, SourceFiles
from continuum.cli import cli

FLOW = """\
{import_line}
from continuum import Workflow


class Flow{n}(Workflow):
    def run(self, x):
        return {call}()
"""

#: The two ways of importing the helper module named by the bug report.
IMPORTS = {
    "import": ("import app.lib.pricing", "app.lib.pricing.compute"),
    "from": ("from app.lib import pricing", "pricing.compute"),
}

CLOCK = "import time\n\n\ndef compute():\n    return time.time()\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTINUUM_OUTPUT_FORMAT", raising=False)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def check(*args: str) -> Result:
    result = CliRunner().invoke(
        cli, ["check", "--output-format", "json", *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return result


def codes(result: Result) -> list[str]:
    return [record["code"] for record in json.loads(result.stdout)]


def app_tree(root: Path, style: str, flows: int = 1) -> None:
    import_line, call = IMPORTS[style]
    write(
        root,
        {
            "app/__init__.py": "",
            "app/flows/__init__.py": "",
            "app/lib/__init__.py": "",
            **{
                f"app/flows/f{n}.py": FLOW.format(import_line=import_line, call=call, n=n)
                for n in range(flows)
            },
        },
    )


@pytest.mark.parametrize("style", sorted(IMPORTS))
@pytest.mark.parametrize("target", ["app/flows/f0.py", "app"])
def test_creating_a_missing_module_invalidates_the_cache(tree: Path, style: str, target: str):
    app_tree(tree, style)
    first = check(target)
    assert first.exit_code == 0 and codes(first) == []
    assert check(target).exit_code == 0  # now served from the cache
    write(tree, {"app/lib/pricing.py": CLOCK})
    warm = check(target)
    assert codes(warm) == ["CN101"] and warm.exit_code == 1
    assert warm.stdout == check("--no-cache", target).stdout
    # And back: deleting it again is noticed too.
    (tree / "app/lib/pricing.py").unlink()
    assert check(target).exit_code == 0


def test_a_missing_package_module_is_noticed_too(tree: Path) -> None:
    app_tree(tree, "from")
    assert check("app").exit_code == 0
    write(tree, {"app/lib/pricing/__init__.py": CLOCK})
    assert codes(check("app")) == ["CN101"]


def two_roots(root: Path, flows: int = 1) -> None:
    write(
        root,
        {
            "pyproject.toml": '[tool.continuum]\nsrc = ["src", "vendor"]\n',
            "src/app/__init__.py": "",
            **{
                f"src/app/f{n}.py": FLOW.format(
                    import_line="import extlib", call="extlib.compute", n=n
                )
                for n in range(flows)
            },
        },
    )


def test_a_module_created_at_a_second_import_root(tree: Path) -> None:
    two_roots(tree)
    before = check("src/app/f0.py")
    assert codes(before) == ["CN205"]  # not found anywhere: third-party code
    assert codes(check("src/app/f0.py")) == ["CN205"]
    write(tree, {"vendor/extlib.py": CLOCK})
    after = check("src/app/f0.py")
    assert codes(after) == ["CN101"] and after.exit_code == 1
    assert after.stdout == check("--no-cache", "src/app/f0.py").stdout


def test_summaries_from_worker_processes_carry_their_missing_modules(tree: Path) -> None:
    two_roots(tree, flows=10)
    assert codes(check("--jobs", "2", "src")) == ["CN205"] * 10
    write(tree, {"vendor/extlib.py": CLOCK})
    # Drop the cached results: the cached summaries (computed by the workers) must
    # notice the new module on their own.
    (results,) = tree.glob(".continuum_cache/*/*/results.json")
    results.unlink()
    assert codes(check("--jobs", "2", "src")) == ["CN101"] * 10


def test_an_unchanged_tree_is_still_served_from_the_cache(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_tree(tree, "import", flows=2)
    write(tree, {"app/lib/other.py": "def helper():\n    return 1\n"})
    cold = check("app")
    parsed: list[str] = []
    original = engine.summarize

    def counting(path, data, **kw):  # type: ignore[no-untyped-def]
        parsed.append(path.name)
        return original(path, data, **kw)

    monkeypatch.setattr(engine, "summarize", counting)
    warm = check("app")
    assert parsed == [] and warm.stdout == cold.stdout
    # An unrelated new file is not a module the check looked for: still nothing parsed.
    write(tree, {"app/lib/unrelated.py": "def nothing():\n    return 1\n"})
    assert check("app").stdout == cold.stdout and parsed == []
    # The module looked for is: the workflows are checked again, the other helper is not.
    write(tree, {"app/lib/pricing.py": CLOCK})
    assert codes(check("app")) == ["CN101", "CN101"]
    assert "pricing.py" in parsed and set(parsed) <= {"pricing.py", "f0.py", "f1.py"}


def test_the_index_records_only_modules_that_could_appear() -> None:
    root = Path("/p")
    files = {root / rel: b"" for rel in ("shop/__init__.py", "shop/pricing.py", "lib/x.py")}
    index = ProjectIndex(SourceFiles(files))
    index.add_roots([root, root / "lib"])
    index.missing = set()
    # Below a plain module nothing is a module: no lookup of `shop.pricing.quote`.
    assert index.split("shop.pricing.quote") == ("shop.pricing", "quote")
    assert index.split("shop.tax.rate") == ("shop", "tax.rate")
    assert index.split("requests.get") is None
    assert index.missing == {"shop.tax", "shop.tax.rate", "requests", "requests.get"}
    # Memoized answers are recorded too, and each module has one candidate pair per root.
    index.missing = set()
    assert index.find_module("requests") is None and index.missing == {"requests"}
    assert index.candidates("requests") == (
        root / "lib" / "requests.py",
        root / "lib" / "requests" / "__init__.py",
        root / "requests.py",
        root / "requests" / "__init__.py",
    )
