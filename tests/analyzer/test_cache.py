"""The result cache: warm runs do not parse, helper edits invalidate, writes are atomic."""

from __future__ import annotations

from continuum.analyzer import engine
from continuum.analyzer.api import check_paths
from continuum.analyzer.config import Config

TREE = {
    "app/__init__.py": "",
    "app/flows/__init__.py": "",
    "app/flows/orders.py": (
        "from continuum import Workflow\nfrom app import pricing\n\n\n"
        "class OrderFlow(Workflow):\n    def run(self, order):\n        return pricing.quote(order)\n"
    ),
    "app/pricing.py": "def quote(o):\n    return o\n",
    "app/unrelated.py": "def nothing():\n    return 1\n",
}


def _count_summaries(monkeypatch) -> list[str]:
    seen: list[str] = []
    original = engine.summarize

    def counting(path, data, **kw):
        seen.append(path.name)
        return original(path, data, **kw)

    monkeypatch.setattr(engine, "summarize", counting)
    return seen


def test_warm_run_parses_nothing_and_gives_identical_results(make_tree, monkeypatch) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    cold = check_paths(["app"], config=config)
    seen = _count_summaries(monkeypatch)
    warm = check_paths(["app"], config=config)
    assert seen == []
    assert warm.files_parsed == 0
    assert warm.diagnostics == cold.diagnostics
    assert warm.workflows == cold.workflows == ["app.flows.orders:OrderFlow"]
    cache_root = root / ".continuum_cache"
    assert (
        (cache_root / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert (cache_root / ".gitignore").read_text().strip().endswith("*")
    assert not list(cache_root.rglob("*.tmp"))


def test_editing_a_reached_helper_invalidates_the_workflow(make_tree, monkeypatch) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    assert check_paths(["app"], config=config).diagnostics == []
    (root / "app" / "pricing.py").write_text(
        "import time\n\n\ndef quote(o):\n    return time.time()\n"
    )
    seen = _count_summaries(monkeypatch)
    report = check_paths(["app"], config=config)
    assert [d.code for d in report.diagnostics] == ["CN101"]
    # The workflow is re-checked; its own unchanged file is parsed again at most to
    # compute the positions of the newly reported chain (it had none to report before).
    assert seen[0] == "pricing.py" and set(seen) <= {"pricing.py", "orders.py"}
    (root / "app" / "pricing.py").write_text(
        "import os\n\n\ndef quote(o):\n    return os.getpid()\n"
    )
    seen.clear()
    report = check_paths(["app"], config=config)
    assert [d.code for d in report.diagnostics] == ["CN105"]
    assert seen == ["pricing.py"]


def test_editing_an_unreached_file_keeps_the_cache(make_tree, monkeypatch) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    check_paths(["app"], config=config)
    (root / "app" / "unrelated.py").write_text("import time\nX = time.time()\n")
    seen = _count_summaries(monkeypatch)
    check_paths(["app"], config=config)
    assert seen == []


def test_config_change_uses_another_cache(make_tree, monkeypatch) -> None:
    root = make_tree(TREE)
    check_paths(["app"], config=Config(root=root))
    seen = _count_summaries(monkeypatch)
    check_paths(["app"], config=Config(root=root, trusted_modules=("yaml",)))
    assert "orders.py" in seen


def test_no_cache_writes_nothing(make_tree) -> None:
    root = make_tree(TREE)
    check_paths(["app"], config=Config(root=root), use_cache=False)
    assert not (root / ".continuum_cache").exists()


def test_corrupt_entries_are_ignored(make_tree) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    check_paths(["app"], config=config)
    for entry in (root / ".continuum_cache").rglob("*.json"):
        entry.write_text("{not json")
    report = check_paths(["app"], config=config)
    assert report.files_parsed >= 1 and report.diagnostics == []
