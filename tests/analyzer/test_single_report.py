"""One problem, one diagnostic: what follows a forbidden call does not repeat it.

``datetime.now().hour`` reads the clock once; the attribute, subscript or method chain
after the call must not produce a second finding (it once did, labelled
``datetime.datetime.now.hour``). A forbidden *value reference* is reported once too.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.analyzer.api import check_source
from continuum.analyzer.rule import workflow

IMPORTS = """
import datetime as dtm
import os
import random
import requests
import threading
import time
import uuid
from datetime import datetime
from datetime import datetime as dt
from pathlib import Path
"""

#: (forbidden call, its code).
CALLS = [
    ("datetime.now()", "CN101"),
    ("dt.now()", "CN101"),
    ("dtm.datetime.now()", "CN101"),
    ("dtm.date.today()", "CN101"),
    ("time.time()", "CN101"),
    ("random.random()", "CN102"),
    ("random.Random()", "CN102"),
    ("uuid.uuid4()", "CN103"),
    ("os.getenv('A')", "CN105"),
    ("os.environ['A']", "CN105"),
    ("requests.get('x')", "CN107"),
    ("Path('x').read_text()", "CN106"),
    ("threading.Event().wait()", "CN104"),
]

#: Pieces of a trailing chain: attributes, subscripts, method calls (none forbidden).
TRAILERS = st.lists(
    st.sampled_from(
        [".hour", ".year", ".real", "[0]", "['k']", "[1:]", ".date()", ".isoformat()", ".hex"]
    ),
    max_size=4,
).map("".join)


def _codes(body: str, files: dict[str, str] | None = None) -> list[tuple[str, int]]:
    diagnostics = check_source(workflow(body, IMPORTS), extra_files=files)
    return [(d.code, d.line) for d in diagnostics]


@settings(max_examples=60, deadline=None)
@given(call=st.sampled_from(CALLS), trailer=TRAILERS)
def test_a_forbidden_call_is_reported_once_whatever_follows_it(
    call: tuple[str, str], trailer: str
) -> None:
    expression, code = call
    assert [c for c, _ in _codes(f"return {expression}{trailer}")] == [code]


@settings(max_examples=20, deadline=None)
@given(call=st.sampled_from(CALLS), trailer=TRAILERS)
def test_a_forbidden_call_in_a_helper_is_reported_once(call: tuple[str, str], trailer: str) -> None:
    expression, code = call
    helper = f"{IMPORTS}\n\ndef peek():\n    return {expression}{trailer}\n"
    found = _codes("import helpers\nreturn helpers.peek()", {"helpers.py": helper})
    assert [c for c, _ in found] == [code]


def test_the_datetime_now_hour_of_the_broken_example_is_one_diagnostic() -> None:
    diagnostics = check_source(workflow("return datetime.now().hour == 17", IMPORTS))
    (diagnostic,) = diagnostics
    assert diagnostic.code == "CN101"
    assert "datetime.datetime.now.hour" not in diagnostic.message
    assert diagnostic.message.startswith("`datetime.now()`")


def test_method_on_a_forbidden_constructor_is_reported_as_the_method() -> None:
    (diagnostic,) = check_source(workflow("threading.Event().wait()", IMPORTS))
    assert diagnostic.code == "CN104"  # the blocking wait, not also CN108 for Event()


def test_a_forbidden_value_reference_is_reported_once() -> None:
    for body in (
        "return sorted(order, key=time.time)",
        "f = time.time\nreturn f()",
        "return sorted(order, key=random.random)",
    ):
        assert len(_codes(body)) == 1, body


def test_distinct_forbidden_calls_in_one_expression_are_each_reported() -> None:
    found = _codes("return time.time() + random.random()")
    assert sorted(c for c, _ in found) == ["CN101", "CN102"]
