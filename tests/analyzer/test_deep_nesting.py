"""Deeply nested but valid code is analyzed, not reported as an internal failure (CN903).

A long implicit string concatenation is a right-nested ``ConcatenatedString`` as deep as
it has pieces; a chain of ``+`` is a left-nested ``BinaryOperation``. Recursive walks
(the analyzer's own, once, and LibCST's position and printing passes) overflowed
Python's recursion limit on them: the standard library's ``pydoc_data/topics.py`` was
CN903.
"""

from __future__ import annotations

import sys
import sysconfig
import threading
import tokenize
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from continuum.analyzer.api import check_source
from continuum.analyzer.cst_helpers import children, traverse
from continuum.analyzer.recursion import recursion_headroom
from continuum.analyzer.rule import workflow

#: Deeper than the default recursion limit (1000) allows for a recursive walk.
DEPTH = 2500
#: Operator chains: still too deep for recursion, shallower because LibCST's parser
#: slows down on them.
CHAIN = 1200


def _codes(source: str) -> list[str]:
    return [d.code for d in check_source(source)]


def _concatenation(n: int) -> str:
    return "(" + " ".join(f"'piece {i} '" for i in range(n)) + ")"


def test_long_implicit_concatenation_in_a_workflow_is_analyzed() -> None:
    limit = sys.getrecursionlimit()
    # print() is reported, so positions and the label of the deep call are computed.
    assert _codes(workflow(f"print({_concatenation(DEPTH)})")) == ["CN106"]
    assert sys.getrecursionlimit() == limit  # restored after the file


def test_long_concatenation_at_module_level_read_by_a_workflow() -> None:
    source = workflow(
        "return TEXT + str(time.time())", f"import time\nTEXT = {_concatenation(DEPTH)}"
    )
    assert _codes(source) == ["CN101"]


def test_a_finding_at_the_bottom_of_a_long_operator_chain_is_found() -> None:
    chain = " + ".join(["order['n']"] * CHAIN + ["time.time()"])
    assert _codes(workflow(f"return {chain}", "import time")) == ["CN101"]
    chain = " and ".join(["order"] * CHAIN + ["random.random()"])
    assert _codes(workflow(f"return {chain}", "import random")) == ["CN102"]


def test_deep_code_inside_except_and_finally_blocks() -> None:
    body = (
        f"try:\n    x = 1\nexcept:\n    y = {_concatenation(DEPTH)}\n"
        f"finally:\n    z = {_concatenation(DEPTH)}\n    return z"
    )
    codes = _codes(workflow(body))
    assert "CN903" not in codes
    assert codes.count("CN201") == 2  # the bare except and the return in finally


def test_the_standard_librarys_pydoc_topics_is_not_an_internal_failure() -> None:
    path = Path(sysconfig.get_paths()["stdlib"]) / "pydoc_data" / "topics.py"
    if not path.is_file():
        pytest.skip("this Python ships without pydoc_data")
    with tokenize.open(path) as fh:
        source = fh.read()
    source += "\n\nimport continuum\n\nclass Probe(continuum.Workflow):\n    def run(self):\n"
    source += "        return topics['if'] + str(len(topics))\n"
    assert "CN903" not in _codes(source)


def test_recursion_headroom_nests_and_restores_across_threads() -> None:
    before = sys.getrecursionlimit()
    seen: list[int] = []
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with recursion_headroom(5000):
            inside.set()
            release.wait(10)
            seen.append(sys.getrecursionlimit())

    thread = threading.Thread(target=worker)
    with recursion_headroom(4000):
        thread.start()
        inside.wait(10)
    # The main thread left, the worker is still inside: its headroom must stay.
    assert sys.getrecursionlimit() >= 5000
    release.set()
    thread.join(10)
    assert seen and seen[0] >= 5000
    assert sys.getrecursionlimit() == before


def _recursive_order(node: cst.CSTNode, out: list[str]) -> None:
    out.append(type(node).__name__)
    for child in children(node):
        _recursive_order(child, out)
    out.append("/" + type(node).__name__)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(source=hypothesmith.from_grammar())
def test_traverse_visits_like_a_recursive_pre_order_walk(source: str) -> None:
    try:
        tree = cst.parse_module(source)
    except Exception:  # hypothesmith occasionally produces what LibCST rejects
        return
    expected: list[str] = []
    _recursive_order(tree, expected)
    got: list[str] = []
    traverse(
        tree,
        lambda n: got.append(type(n).__name__) is None,
        lambda n: got.append("/" + type(n).__name__),
    )
    assert got == expected
