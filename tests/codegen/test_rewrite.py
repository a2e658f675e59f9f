"""Effect calls get their command identity; the root class its logical name."""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.codegen.bindings import EFFECT_KINDS
from continuum.codegen.rewrite import freeze_statements, shape_hash

from .conftest import EXAMPLE_SHOP
from .reformat import reformat

SOURCE = textwrap.dedent(
    """\
    from continuum import Workflow, activity as act, patched, timer
    import continuum as cn
    import continuum
    from shop import payments


    def notify(order):
        return act(payments.charge, order)


    class Flow(Workflow, version=2):
        def run(self, order):
            act(payments.charge, order, retry=None)
            cn.await_signal("go", timeout=5)
            if patched("v2-fee"):
                continuum.sleep(3)
            timer(1)

            def inner():
                return cn.now()

            check = lambda: cn.uuid4()
            notify(order)
            return inner(), check()


    def unrelated():
        return cn.today()
    """
)


def stamped_calls(code: str) -> list[tuple[str, tuple]]:
    """(callee text, _command literal) of every call carrying ``_command``."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "_command":
                    found.append((ast.unparse(node.func), ast.literal_eval(keyword.value)))
    return sorted(found, key=lambda item: item[1][3])


def freeze(indices=(4, 5)):
    return freeze_statements(SOURCE, indices=indices, workflow="app.flows:Flow", class_name="Flow")


def test_every_effect_call_carries_its_identity() -> None:
    frozen = freeze()
    calls = stamped_calls(frozen.code)
    assert [(callee, cmd[0], cmd[2], cmd[3]) for callee, cmd in calls] == [
        ("act", "activity", "notify", 8),
        ("act", "activity", "Flow.run", 13),
        ("cn.await_signal", "await_signal", "Flow.run", 14),
        ("patched", "patched", "Flow.run", 15),
        ("continuum.sleep", "timer", "Flow.run", 16),
        ("timer", "timer", "Flow.run", 17),
        ("cn.now", "now", "Flow.run.<locals>.inner", 20),
        ("cn.uuid4", "uuid4", "Flow.run.<locals>.<lambda>", 22),
    ]
    assert all(cmd[1] == "app.flows:Flow" for _, cmd in calls)
    assert all(len(cmd[4]) == 8 for _, cmd in calls)
    assert [c.line for c in frozen.commands] == [cmd[3] for _, cmd in calls]


def test_calls_outside_the_frozen_set_are_not_reported() -> None:
    frozen = freeze()
    assert "unrelated" not in frozen.code
    assert all(c.kind != "today" for c in frozen.commands)


def test_patch_sites_are_collected() -> None:
    assert freeze().patch_sites == ("v2-fee",)


def test_root_class_gets_its_logical_name() -> None:
    code = freeze().code
    cls = next(n for n in ast.parse(code).body if isinstance(n, ast.ClassDef))
    assert {k.arg: ast.literal_eval(k.value) for k in cls.keywords} == {
        "version": 2,
        "workflow": "app.flows:Flow",
    }


def test_existing_workflow_keyword_and_command_are_replaced() -> None:
    source = textwrap.dedent(
        """\
        from continuum import Workflow, activity

        class Flow(Workflow, workflow="old.place:Flow"):
            def run(self, x):
                return activity(f, x, _command=("forged",))
        """
    )
    frozen = freeze_statements(source, indices=[1], workflow="app.flows:Flow", class_name="Flow")
    assert frozen.code.count("workflow=") == 1 and "old.place" not in frozen.code
    assert "forged" not in frozen.code
    assert stamped_calls(frozen.code)[0][1][:2] == ("activity", "app.flows:Flow")


def test_shadowed_effect_names_are_left_alone() -> None:
    source = textwrap.dedent(
        """\
        from continuum import Workflow

        class Flow(Workflow):
            def run(self, activity):
                return activity(1)
        """
    )
    frozen = freeze_statements(source, indices=[1], workflow="a.b:Flow", class_name="Flow")
    assert "_command" not in frozen.code


def test_multiline_calls_stay_tidy() -> None:
    source = textwrap.dedent(
        """\
        from continuum import Workflow, activity

        class Flow(Workflow):
            def run(self, x):
                return activity(
                    f,
                    x,
                )
        """
    )
    code = freeze_statements(source, indices=[1], workflow="a.b:Flow", class_name="Flow").code
    assert "            x,\n            _command=(" in code
    assert code.rstrip().endswith("        )")


def test_shape_depends_on_call_shape_not_values() -> None:
    assert shape_hash("activity", "p.charge", 2, ["retry"]) == shape_hash(
        "activity", "p.charge", 2, ["retry"]
    )
    assert shape_hash("activity", "p.charge", 2, ["a", "b"]) == shape_hash(
        "activity", "p.charge", 2, ["b", "a"]
    )
    variants = {
        shape_hash("activity", "p.charge", 2, []),
        shape_hash("activity", "p.refund", 2, []),
        shape_hash("activity", "p.charge", 3, []),
        shape_hash("activity", "p.charge", 2, ["retry"]),
        shape_hash("timer", "", 2, []),
    }
    assert len(variants) == 5


@pytest.mark.parametrize("name", sorted(EFFECT_KINDS))
def test_every_public_effect_is_recognised(name: str) -> None:
    source = f"import continuum\n\ndef f():\n    return continuum.{name}()\n"
    frozen = freeze_statements(source, indices=[1], workflow="a.b:Flow", class_name="Flow")
    assert [c.kind for c in frozen.commands] == [EFFECT_KINDS[name]]


def test_effect_table_matches_the_public_api() -> None:
    import inspect

    import continuum.runtime.effects as effects

    accepting = {
        name
        for name in effects.__all__
        if callable(getattr(effects, name))
        and "_command" in inspect.signature(getattr(effects, name)).parameters
    }
    assert accepting == set(EFFECT_KINDS)


def test_statement_indices_follow_ast_numbering() -> None:
    source = (
        "import os\na = 1; b = 2;  c = 3\nif a:\n    d = 4; e = 5\n\n\ndef f():\n    return b\n"
    )
    assert [type(s).__name__ for s in ast.parse(source).body] == [
        "Import",
        "Assign",
        "Assign",
        "Assign",
        "If",
        "FunctionDef",
    ]
    code = freeze_statements(source, indices=[2, 4, 5], workflow="a.b:F", class_name="F").code
    assert code == "b = 2\n\n\nif a:\n    d = 4; e = 5\n\n\ndef f():\n    return b"


def _identities(text: str) -> list[tuple[str, str, str]]:
    index = [i for i, n in enumerate(ast.parse(text).body) if isinstance(n, ast.ClassDef)]
    frozen = freeze_statements(text, indices=index, workflow="w:F", class_name="OrderFlow")
    return [(c.kind, c.function, c.shape) for c in frozen.commands]


ORDERS = (EXAMPLE_SHOP / "flows/orders.py").read_text(encoding="utf-8")


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_command_identities_ignore_formatting_except_lines(seed: int) -> None:
    assert _identities(reformat(ORDERS, seed)) == EXPECTED_IDENTITIES


EXPECTED_IDENTITIES = _identities(ORDERS)
