"""Name binding and resolution: what a name refers to at its position."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.analyzer.api import check_source
from continuum.analyzer.denylist import DENYLIST
from continuum.analyzer.rule import workflow


def codes(source: str) -> list[str]:
    return [d.code for d in check_source(source)]


@pytest.mark.parametrize(
    ("body", "imports", "expected"),
    [
        # Parameters, assignments, loop and with targets shadow the module.
        ("time = order\nreturn time.time()", "import time", []),
        ("for random in order:\n    random.random()", "import random", []),
        ("with open_it() as os:\n    return os.getpid()", "import os\nopen_it = dict", []),
        ("try:\n    pass\nexcept Exception as time:\n    time.time()", "import time", []),
        # A name assigned later in the function is local everywhere in it (Python's rule).
        ("x = time.time()\ntime = 1\nreturn x", "import time", []),
        # Comprehension and lambda variables are their own scope.
        ("return [time.time() for time in order]", "import time", []),
        ("return (lambda time: time.time())(order)", "import time", []),
        ("return [time.time() for x in order]", "import time", ["CN101"]),
        # An import inside the function binds the module there.
        ("import time as clock\nreturn clock.time()", "", ["CN101"]),
        ("from os import environ\nreturn environ['A']", "", ["CN105"]),
        # A nested function sees the enclosing function's names, not the module's.
        (
            "random = order\ndef pick():\n    return random.choice(order)\nreturn pick()",
            "import random",
            [],
        ),
        # `global` makes the module's binding visible again.
        ("global time\nreturn time.time()", "import time", ["CN109", "CN101"]),
    ],
)
def test_resolution_follows_python_scoping(body: str, imports: str, expected: list[str]) -> None:
    assert codes(workflow(body, imports)) == expected


def test_defaults_are_evaluated_in_the_enclosing_scope() -> None:
    # `clock=time.time` reads the module's time.time when the method is defined, inside
    # the class body: it is not workflow code, but the parameter is then a local.
    source = (
        "import time\nfrom continuum import Workflow\n\n\nclass F(Workflow):\n"
        "    def run(self, order, time=time):\n        return time.time()\n"
    )
    assert codes(source) == []


def test_class_attributes_are_not_visible_inside_methods() -> None:
    source = (
        "import random\nfrom continuum import Workflow\n\n\nclass F(Workflow):\n"
        "    random = None\n\n    def run(self, order):\n        return random.random()\n"
    )
    assert codes(source) == ["CN102"]


def test_builtins_can_be_shadowed_at_module_level() -> None:
    assert codes(workflow("return id(order)", "def id(x):\n    return x")) == []
    assert codes(workflow("print(order)", "print = str")) == []


_MODULES = sorted(
    {key.split(".")[0] for key, (code, _) in DENYLIST.items() if code and "." in key} - {"builtins"}
)


@settings(max_examples=40, deadline=None)
@given(
    module=st.sampled_from(_MODULES),
    attr=st.sampled_from(["time", "random", "getenv", "now", "open", "run", "choice"]),
    binding=st.sampled_from(["param", "assign", "for", "with", "lambda"]),
)
def test_a_local_named_like_a_forbidden_module_is_never_reported(
    module: str, attr: str, binding: str
) -> None:
    use = f"{module}.{attr}()"
    body = {
        "param": f"return (lambda {module}: {use})(order)",
        "assign": f"{module} = order\nreturn {use}",
        "for": f"for {module} in order:\n    {use}",
        "with": f"with make() as {module}:\n    return {use}",
        "lambda": f"f = lambda {module}: {use}\nreturn f(order)",
    }[binding]
    source = workflow(body, f"import {module}\nmake = dict")
    assert [d.code for d in check_source(source) if d.code.startswith("CN1")] == []
