"""Module-level bindings and effect resolution."""

from __future__ import annotations

import ast
import pickle
import textwrap
from pathlib import Path

from continuum.codegen.bindings import ModuleTable, absolute_module, effect_kind, references
from continuum.codegen.errors import CodegenError
from continuum.codegen.project import ModuleSource


def table(source: str, name: str = "app.flows", *, package: bool = False) -> ModuleTable:
    text = textwrap.dedent(source)
    return ModuleTable.build(ModuleSource(name, Path("x.py"), text, ast.parse(text), package))


def test_bindings_by_kind() -> None:
    found = table(
        """
        from __future__ import annotations
        import a.b
        import c.d as e
        from . import sibling
        from .. import up
        from x import *
        X, Y = 1, 2
        def f(): pass
        class C: pass
        try:
            import ujson as json
        except ImportError:
            import json
        """
    )
    kinds = {name: [b.kind for b in bs] for name, bs in found.bindings.items()}
    assert kinds == {
        "a": ["import"],
        "e": ["import"],
        "sibling": ["import"],
        "up": ["import"],
        "X": ["assign"],
        "Y": ["assign"],
        "f": ["function"],
        "C": ["class"],
        "json": ["compound"],
    }
    assert found.bindings["sibling"][0].target == "app.sibling"
    assert found.bindings["up"][0].target == "up"
    assert found.bindings["e"][0].target == "c.d"
    assert found.future == [0] and len(found.star_imports) == 1
    assert found.qualify(("a", "b", "f")) == "a.b.f"
    assert found.qualify(("X",)) is None


def test_relative_imports_in_a_package() -> None:
    found = table("from . import helpers\n", "app.flows", package=True)
    assert found.bindings["helpers"][0].target == "app.flows.helpers"
    source = ModuleSource("app", Path("x.py"), "", ast.Module([], []), True)
    assert absolute_module(source, "util", 1) == "app.util"


def test_effect_kinds_resolve_only_continuum_names() -> None:
    assert effect_kind("continuum.runtime.effects.timers.sleep") == "timer"
    assert effect_kind("continuum.runtime.effects.activity") == "activity"
    assert effect_kind("mylib.activity") is None
    assert effect_kind(None) is None


def test_references_respect_globals_lambdas_and_activity_targets() -> None:
    found = table(
        """
        import continuum as cn
        COUNT = 0
        def f(x, y=DEFAULT):
            global COUNT
            COUNT += 1
            g = lambda COUNT: COUNT
            cn.activity(acts.charge, helper(x), compensate=acts.refund)
            return g
        """
    )
    refs = {(r.chain, r.opaque) for r in references(found.stmt(2), found)}
    assert (("COUNT",), False) in refs and (("DEFAULT",), False) in refs
    assert (("acts", "charge"), True) in refs and (("acts", "refund"), True) in refs
    assert (("helper",), False) in refs
    assert (("cn", "activity"), False) in refs


def test_codegen_error_pickles() -> None:
    error = CodegenError("bad", path="a.py", line=3)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.path, copy.line, str(copy)) == ("bad", "a.py", 3, "a.py:3: bad")
