"""Suppression comments, their placement rules, and CN290 under --strict."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from continuum.analyzer.api import check_source
from continuum.analyzer.rule import workflow
from continuum.analyzer.summary import Pos, Suppression
from continuum.analyzer.suppressions import matching, parse_suppressions


def codes(source: str, **kw) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in check_source(source, **kw)]


def test_parse_forms() -> None:
    text = (
        "x = 1  # continuum: ignore[CN201]\n"
        "# continuum: ignore[CN101, cn105]\n"
        "y = 2  # continuum: ignore\n"
        "z = 3  # noqa: E501, CN103\n"
        "w = 4  # noqa: E501\n"
        "v = 5  # noqa\n"
        "s = '# continuum: ignore'\n"
    )
    assert parse_suppressions(text) == (
        Suppression(1, ("CN201",), False, "continuum"),
        Suppression(2, ("CN101", "CN105"), True, "continuum"),
        Suppression(3, (), False, "continuum"),
        Suppression(4, ("CN103",), False, "noqa"),
        Suppression(6, (), False, "noqa"),
    )


def test_trailing_comment_suppresses_only_the_named_code() -> None:
    body = "return time.time(), os.getpid()  # continuum: ignore[CN101]"
    assert codes(workflow(body, "import os, time")) == [("CN105", 7)]


def test_comment_above_covers_a_multiline_statement() -> None:
    body = "# continuum: ignore[CN101]\nreturn (\n    1,\n    time.time(),\n)"
    assert codes(workflow(body, "import time")) == []


def test_comment_two_lines_above_does_not_apply() -> None:
    body = "# continuum: ignore[CN101]\nx = 1\nreturn time.time()"
    assert codes(workflow(body, "import time")) == [("CN101", 9)]


def test_noqa_forms() -> None:
    assert codes(workflow("return id(order)  # noqa: CN103")) == []
    assert codes(workflow("return id(order)  # noqa")) == []
    assert codes(workflow("return id(order)  # noqa: E501")) == [("CN103", 7)]


def test_chain_findings_are_suppressed_at_the_call_site_or_at_the_bad_call() -> None:
    helper = "import time\n\n\ndef stamp():\n    return time.time()\n"
    files = {"app/__init__.py": "", "app/h.py": helper}
    base = "from continuum import Workflow\nfrom app.h import stamp\n\n\nclass F(Workflow):\n    def run(self, x):\n        return stamp()"
    assert codes(base + "\n", extra_files=files) == [("CN101", 7)]
    assert codes(base + "  # continuum: ignore[CN101]\n", extra_files=files) == []
    at_origin = {**files, "app/h.py": helper.replace("time.time()", "time.time()  # noqa: CN101")}
    assert codes(base + "\n", extra_files=at_origin) == []


def test_strict_reports_unused_suppressions() -> None:
    body = (
        "x = 1  # continuum: ignore[CN101]\ny = 2  # noqa\nreturn id(order)  # noqa: CN103, CN105"
    )
    source = workflow(body)
    assert codes(source) == []
    found = check_source(source, strict=True)
    assert [(d.code, d.line) for d in found] == [("CN290", 7), ("CN290", 9)]
    assert "CN105" in found[1].message and "CN103" not in found[1].message


@given(
    line=st.integers(1, 50),
    stmt=st.integers(1, 50),
    own=st.booleans(),
    sup_line=st.integers(1, 50),
    listed=st.booleans(),
)
def test_matching_rule(line: int, stmt: int, own: bool, sup_line: int, listed: bool) -> None:
    sup = Suppression(sup_line, ("CN101",) if listed else ("CN999",), own)
    hit = matching([sup], "CN101", Pos(line=line, column=1, stmt_line=stmt))
    expected = listed and (sup_line == line or (own and sup_line == stmt - 1))
    assert (hit is not None) == expected
