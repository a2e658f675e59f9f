"""The result cache: warm runs do not parse, helper edits invalidate, writes are atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.analyzer import engine
from continuum.analyzer.api import check_paths
from continuum.analyzer.cache import RESULTS_FILE, ResultCache
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


def _results_files(root: Path) -> list[Path]:
    return list((root / ".continuum_cache").rglob(RESULTS_FILE))


def test_results_live_in_one_file_and_a_warm_run_needs_nothing_else(make_tree) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    cold = check_paths(["app"], config=config)
    (results,) = _results_files(root)
    # The summaries are only for re-analysis: without them a warm run still parses nothing.
    shutil.rmtree(results.parent / "summaries")
    warm = check_paths(["app"], config=config)
    assert warm.files_parsed == 0 and warm.workflows == cold.workflows
    assert not (results.parent / "summaries").exists()


def test_same_size_edit_with_the_same_mtime_still_invalidates(make_tree) -> None:
    """Content hashes are the key of record: no stat shortcut can hide this edit."""
    root = make_tree(TREE)
    config = Config(root=root)
    helper = root / "app" / "pricing.py"
    helper.write_text("import os\n\n\ndef quote(o):\n    return os.path.sep\n")
    assert check_paths(["app"], config=config).diagnostics == []
    before = helper.stat()
    # Same length as before, restored mtime: only the bytes differ.
    helper.write_text("import os\n\n\ndef quote(o):\n    return os.getpid()\n")
    assert helper.stat().st_size == before.st_size
    os.utime(helper, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = check_paths(["app"], config=config)
    assert report.files_parsed >= 1
    assert [d.code for d in report.diagnostics] == ["CN105"]


def test_a_truncated_results_file_is_ignored_and_rewritten(make_tree) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    check_paths(["app"], config=config)
    (results,) = _results_files(root)
    results.write_bytes(results.read_bytes()[: len(results.read_bytes()) // 2])
    report = check_paths(["app"], config=config)
    assert report.diagnostics == [] and report.workflows == ["app.flows.orders:OrderFlow"]
    json.loads(results.read_text())  # whole again
    assert check_paths(["app"], config=config).files_parsed == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda h, deps, d: "not a list",
        lambda h, deps, d: [h],
        lambda h, deps, d: [h, [1, 2], d, {}],
        lambda h, deps, d: [h, deps, d, "payload"],
        lambda h, deps, d: [h, deps, d, {"diagnostics": [{"path": "x"}]}],
        lambda h, deps, d: [h, deps, d, {"workflows": 3}],
        lambda h, deps, d: [h, deps, d, {"suppressions": [["x"]]}],
    ],
)
def test_a_damaged_entry_is_a_miss(make_tree, damage) -> None:
    root = make_tree(TREE)
    config = Config(root=root)
    expected = check_paths(["app"], config=config)
    (results,) = _results_files(root)
    original = json.loads(results.read_text())
    data = json.loads(results.read_text())
    assert data["entries"]
    for key, (digest, deps, deps_digest, _payload) in data["entries"].items():
        data["entries"][key] = damage(digest, deps, deps_digest)
    results.write_text(json.dumps(data))
    report = check_paths(["app"], config=config)
    assert report.diagnostics == expected.diagnostics
    assert report.workflows == expected.workflows
    # The damaged entry was a miss: the file was checked again and its entry rewritten.
    assert json.loads(results.read_text()) == original


def test_concurrent_flushes_merge_instead_of_clobbering(tmp_path: Path) -> None:
    """Two runs sharing a scope each keep what the other stored; no temp file is left."""
    first = ResultCache(tmp_path / "scope", "s")
    second = ResultCache(tmp_path / "scope", "s")
    hashes = {"/p/a.py": "ha", "/p/b.py": "hb", "/p/h.py": "hh"}
    # Both load (an empty cache) before either writes: the racy interleaving.
    assert first.load(Path("/p/a.py"), "ha", hashes.get) is None
    assert second.load(Path("/p/b.py"), "hb", hashes.get) is None
    first.store(Path("/p/a.py"), "ha", [("/p/a.py", "ha"), ("/p/h.py", "hh")], {"workflows": ["a"]})
    second.store(Path("/p/b.py"), "hb", [("/p/b.py", "hb")], {})
    first.flush()
    second.flush()
    fresh = ResultCache(tmp_path / "scope", "s")
    assert fresh.load(Path("/p/a.py"), "ha", hashes.get) == {"workflows": ["a"]}
    assert fresh.load(Path("/p/b.py"), "hb", hashes.get) == {}
    # A closure file that changed (or vanished) invalidates the entry.
    assert fresh.load(Path("/p/a.py"), "ha", {**hashes, "/p/h.py": "new"}.get) is None
    assert fresh.load(Path("/p/a.py"), "ha", {"/p/a.py": "ha"}.get) is None
    assert not list(tmp_path.rglob("*.tmp"))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc_", min_size=1, max_size=8),
            st.lists(st.text(alphabet="abc_", min_size=1, max_size=8), max_size=4),
            st.dictionaries(st.text(alphabet="xyz/", max_size=6), st.text(max_size=5), max_size=3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_stored_entries_round_trip_through_the_file(tmp_path_factory, items) -> None:
    directory = tmp_path_factory.mktemp("cache")
    cache = ResultCache(directory, "s")
    hashes: dict[str, str | None] = {}
    expected: dict[str, dict[str, str]] = {}
    for name, deps, payload in items:
        key = f"/p/{name}.py"
        hashes[key] = f"h-{name}"
        closure = [(f"/p/{d}.py", f"h-{d}") for d in deps]
        hashes.update({p: h for p, h in closure})
        cache.store(Path(key), f"h-{name}", closure, payload)
        expected[key] = payload
    cache.flush()
    fresh = ResultCache(directory, "s")
    for key, payload in expected.items():
        assert fresh.load(Path(key), hashes[key] or "", hashes.get) == payload
