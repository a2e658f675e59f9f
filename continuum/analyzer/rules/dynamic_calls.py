"""CN203: calls the analyzer cannot see through (eval, getattr(...)(), calling a subscript…)."""

from __future__ import annotations

import libcst as cst

from .. import denylist
from ..cst_helpers import code_of
from ..rule import Invalid, Rule, Valid, workflow

_HINT = "call the function by name so `continuum check` can follow it"


class DynamicCalls(Rule):
    """Flags dynamic code execution and calls through computed callables."""

    CODES = ("CN203",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.frame is None:
            return
        func = node.func
        names = self.ctx.resolver.names(func)
        hit = next((n for n in names if n in denylist.DYNAMIC), None)
        if hit is not None:
            label = f"{code_of(func)}()"
            self.report(
                node,
                "CN203",
                label,
                f"`{label}` runs code the analyzer cannot see",
                hint=_HINT,
                target=hit,
            )
            return
        if isinstance(func, cst.Subscript):
            label = f"{code_of(func)}(...)"
            self.report(
                node,
                "CN203",
                label,
                f"calling `{code_of(func)}` hides which function runs",
                hint=_HINT,
            )
        elif isinstance(func, cst.Call):
            inner = func
            if self.ctx.resolver.name(inner.func) == "builtins.getattr":
                attr = inner.args[1].value if len(inner.args) > 1 else None
                if isinstance(attr, cst.SimpleString):
                    return  # getattr(obj, "name")() names the method: no worse than obj.name()
            label = f"{code_of(func)}(...)"
            self.report(
                node,
                "CN203",
                label,
                f"calling the result of `{code_of(func)}` hides which function runs",
                hint=_HINT,
            )

    VALID = (
        Valid(workflow("return getattr(order, 'total')()")),
        Valid(workflow("handler = HANDLERS['a']\nreturn order", "HANDLERS = {}")),
        Valid(workflow("return len(order)")),
    )
    INVALID = (
        Invalid(workflow("return eval(order['expr'])"), "CN203"),
        Invalid(
            workflow("return importlib.import_module(order['m'])", "import importlib"), "CN203"
        ),
        Invalid(workflow("return getattr(order, order['m'])()"), "CN203"),
        Invalid(workflow("return HANDLERS[order['kind']](order)", "HANDLERS = {}"), "CN203"),
        Invalid(workflow("return make()()", "make = dict"), "CN203"),
    )
