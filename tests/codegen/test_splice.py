"""The text splicer makes exactly what the LibCST reference makes, or defers to it.

`continuum.codegen.splice` is what builds use; `rewrite.freeze_statements_cst` is the
reference. Every input here is frozen both ways: where the splicer answers, its output
(code, commands, patch sites) must be the reference's, byte for byte.
"""

from __future__ import annotations

import ast
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.codegen import splice
from continuum.codegen.rewrite import freeze_statements_cst
from continuum.codegen.stamp import FrozenCode

from .conftest import EXAMPLE_SHOP, REPO
from .reformat import reformat
from .test_rewrite import SOURCE

CASES = sorted((Path(__file__).parent / "cases").glob("*.py"))
SHOP = sorted(p for p in EXAMPLE_SHOP.rglob("*.py") if "_continuum" not in p.parts)


def try_splice(
    source: str,
    tree: ast.Module,
    *,
    indices: Sequence[int],
    workflow: str,
    class_name: str,
    function_prefix: str = "",
) -> FrozenCode | None:
    """The splicer alone: its result, or None where it defers to LibCST."""
    try:
        return splice._Splicer(source, tree, workflow, class_name, function_prefix).run(indices)
    except splice.Unsupported:
        return None


def every_statement_but_imports(source: str) -> list[int]:
    body = ast.parse(source).body
    return [i for i, s in enumerate(body) if not isinstance(s, ast.Import | ast.ImportFrom)]


def classes(source: str) -> list[str]:
    return [s.name for s in ast.parse(source).body if isinstance(s, ast.ClassDef)] or [""]


def compare(source: str, *, class_name: str = "", prefix: str = "") -> bool:
    """Freeze ``source`` both ways; True when the splicer answered (and agreed)."""
    indices = every_statement_but_imports(source)
    args = {"indices": indices, "workflow": "app.flows:Flow", "class_name": class_name}
    expected = freeze_statements_cst(source, function_prefix=prefix, **args)
    fast = try_splice(source, ast.parse(source), function_prefix=prefix, **args)
    if fast is not None:
        assert fast.code == expected.code
        assert fast.commands == expected.commands
        assert fast.patch_sites == expected.patch_sites
    # With its fallback, the public function always gives the reference's result.
    assert splice.freeze_statements(source, function_prefix=prefix, **args) == expected
    return fast is not None


@pytest.mark.parametrize("path", SHOP, ids=lambda p: p.relative_to(EXAMPLE_SHOP).as_posix())
def test_example_app_modules(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for name in classes(source):
        assert compare(source, class_name=name)
    assert compare(source, prefix="shop.module")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_codegen_cases(path: Path) -> None:
    source = path.read_text(encoding="utf-8").partition("# output\n")[0]
    for name in classes(source):
        assert compare(source, class_name=name)


def test_rewrite_fixture() -> None:
    assert compare(SOURCE, class_name="Flow")


#: Layouts the splicer must handle itself (and get right).
HANDLED = {
    "trailing commas": """
        from continuum import Workflow, activity, timer
        from app import acts


        class Flow(
            Workflow,
            version=1,
        ):
            def run(self, x):
                activity(
                    acts.one,
                    x,
                )
                activity(
                    acts.two,  # why
                    x,  # and why
                )
                timer(5,)
                return activity(acts.three,
                                x)
        """,
    "no arguments and odd spacing": """
        from continuum import Workflow, now, activity, await_signal as wait
        import continuum as cn


        class Flow(Workflow):
            def run(self, x):
                now( )
                cn.now()
                wait ("go")
                activity(*x)
                activity(x, **x)
                activity(x, *x, k=1, **x)
                return activity(x, activity(x, x), key=activity(x))
        """,
    "unicode and a base with a trailing comma": """
        from continuum import Workflow, activity


        class Flow(
            Workflow,
        ):
            def run(self, x):
                cafe = "crème brûlée — ünïcode"
                return activity(x, cafe, "日本語"), activity(
                    x,  # ça va
                    note="é",
                )
        """,
    "single argument with a trailing comma": """
        from continuum import Workflow, timer


        class Flow(Workflow, version=1,):
            def run(self, x):
                return timer(
                    x,
                )
        """,
    "existing keywords are replaced": """
        from continuum import Workflow, activity


        class Flow(Workflow, version=2, workflow="old:Name"):
            def run(self, x):
                return activity(x, _command=("old",), retry=None)
        """,
    "scopes": """
        from continuum import Workflow, activity, patched, sleep


        def helper(activity):
            return activity(1)


        def local_import():
            from continuum import timer as t

            return t(3)


        class Flow(Workflow):
            sleep = 5

            @staticmethod
            def deco(f):
                return f

            def run(self, x):
                ys = [activity(y) for y in x]
                zs = {k: sleep(v) for k, v in x}
                f = lambda sleep: sleep(1)
                g = lambda: sleep(2)

                def inner():
                    def deeper():
                        return activity(x)

                    return deeper()

                if patched("fee-v2") and patched("x" "y") and patched(f"{x}"):
                    pass
                return ys, zs, f, g, inner(), f"{x.upper()}"
        """,
    "comments and decorators": """
        \"\"\"Doc.\"\"\"
        # the imports
        from continuum import Workflow, activity

        # a constant
        LIMIT = 3  # three


        # a helper
        # in two lines
        def helper(x):
            return activity(x)



        @decorate(activity(1))
        # between
        class Flow(Workflow, version=LIMIT):  # keyword
            \"\"\"Doc.\"\"\"

            def run(self, x):
                # before
                return helper(x)  # after

        # trailing comment before the next statement
        OTHER = 1
        """,
}

#: Layouts the splicer leaves to LibCST.
DEFERRED = {
    "semicolons": "from continuum import timer\nA = 1; B = timer(1)\n",
    "global": "from continuum import timer\ndef f():\n    global timer\n    return timer(1)\n",
    "walrus": "from continuum import timer\ndef f():\n    return (t := timer(1))\n",
    "parenthesized argument": "from continuum import timer\ndef f(x):\n    return timer((x))\n",
    "parenthesized callee": "from continuum import timer\ndef f(x):\n    return (timer)(x)\n",
    "header comment": "# header\ndef f(x):\n    return x\n",
    "bare generator": "from continuum import timer\ndef f(x):\n    return timer(y for y in x)\n",
    "effect in f-string": "from continuum import now\ndef f(x):\n    return f'{now()}'\n",
    "star import": "from continuum import *\ndef f(x):\n    return timer(x)\n",
    "dotted import": "import continuum.runtime\ndef f(x):\n    return continuum.timer(x)\n",
    "indented comment after a block": "def f(x):\n    return x\n    # deeper\n\n\nY = 1\n",
    "non-ASCII identifier": "from continuum import timer\ndef f(x):\n    ｔimer(x)\n    return timer(x)\n",
    "crlf": "from continuum import timer\r\ndef f(x):\r\n    return timer(x)\r\n",
}


@pytest.mark.parametrize("name", sorted(HANDLED))
def test_handled_layouts(name: str) -> None:
    source = textwrap.dedent(HANDLED[name]).lstrip("\n")
    assert compare(source, class_name="Flow")
    assert compare(source, prefix="app.helpers")


@pytest.mark.parametrize("name", sorted(DEFERRED))
def test_deferred_layouts(name: str) -> None:
    assert not compare(DEFERRED[name])


@pytest.mark.parametrize("error", [IndexError, KeyError, AttributeError, RecursionError])
def test_any_error_of_the_splicer_falls_back_to_libcst(monkeypatch, caplog, error) -> None:
    # A bug in the splicer must not fail a build: the reference makes the same bytes.
    source = textwrap.dedent(HANDLED["trailing commas"]).lstrip("\n")
    args = {"indices": every_statement_but_imports(source), "workflow": "a:F", "class_name": "Flow"}
    expected = freeze_statements_cst(source, **args)
    assert try_splice(source, ast.parse(source), **args) == expected  # handled, normally

    def broken(self, indices):
        raise error("a bug in the splicer")

    monkeypatch.setattr(splice._Splicer, "run", broken)
    with caplog.at_level(logging.DEBUG, logger=splice.__name__):
        assert splice.freeze_statements(source, **args) == expected
    assert "unexpected error, deferring to LibCST" in caplog.text
    assert "a bug in the splicer" in caplog.text


def test_a_syntax_error_is_the_callers() -> None:
    with pytest.raises(SyntaxError):
        splice.freeze_statements("def f(:\n", indices=[0], workflow="a:F", class_name="")


def test_nothing_wanted() -> None:
    source = "from continuum import timer\n"
    assert splice.freeze_statements(source, indices=[], workflow="a:F", class_name="F").code == ""


ORDERS = (EXAMPLE_SHOP / "flows/orders.py").read_text(encoding="utf-8")
BILLING = (EXAMPLE_SHOP / "flows/billing.py").read_text(encoding="utf-8")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    text=st.sampled_from(
        [ORDERS, BILLING, SOURCE, *(textwrap.dedent(s) for s in HANDLED.values())]
    ),
)
def test_reformatted_sources_agree(seed: int, text: str) -> None:
    source = reformat(text.lstrip("\n"), seed)
    for name in classes(source):
        compare(source, class_name=name)


def test_a_module_that_never_names_continuum_is_copied_as_is() -> None:
    # Nothing in it can be an effect: constructs that only matter to name resolution
    # (global, walrus, del) do not send it to LibCST.
    source = textwrap.dedent(
        """\
        COUNT = 0


        def bump(items):
            global COUNT
            if (n := len(items)) > 2:
                del items[0]
            COUNT += n
            return [timer(i) for i in items]  # a local "timer", not an effect
        """
    )
    assert compare(source, prefix="app.helpers")


def test_generated_project_modules(tmp_path: Path) -> None:
    # The benchmark's generated project: workflow modules, helpers calling helpers
    # across modules, activity modules. Every module frozen whole, both ways.
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen_corpus
    finally:
        sys.path.remove(str(REPO / "bench"))
    gen_corpus.generate(tmp_path / "corpus", gen_corpus.Sizes(flows=6, helpers=6, activities=2))
    modules = sorted((tmp_path / "corpus").rglob("*.py"))
    assert len(modules) > 10
    for path in modules:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        # Only a workflow class (it has bases) is given ``workflow=``.
        names = [s.name for s in tree.body if isinstance(s, ast.ClassDef) and s.bases]
        for name in names or [""]:
            assert compare(source, class_name=name), path
