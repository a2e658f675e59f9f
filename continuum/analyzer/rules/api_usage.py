"""CN301–CN305: misuse of the workflow API.

Found here: CN301 (activity or ``compensate=`` target a worker cannot import: a lambda,
a function defined inside the workflow, a method bound to ``self`` or a local object, a
computed value), CN304 for literal/lambda child workflows and CN305 (``async def``). The
reachability pass reads the recorded effect calls for the rest: CN302 (an effect called
at import time, or inside a project function used as an activity target), CN303 (an
``await_signal`` name missing from the class's literal ``signals=[...]``) and CN304 when
the child resolves to a project function or a class that is not a workflow.
"""

from __future__ import annotations

import libcst as cst

from .. import denylist
from ..cst_helpers import code_of
from ..rule import Invalid, Rule, Valid, workflow

_IMPORTABLE = (
    "pass a module-level function (workers import activities by 'module:function'), "
    "and pass what it needs as arguments"
)


class ApiUsage(Rule):
    """Flags activity targets, child workflows and async defs the runtime cannot handle."""

    CODES = ("CN301", "CN302", "CN303", "CN304", "CN305")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = self.ctx.frame
        if frame is None or node.asynchronous is None:
            return
        label = f"async def {node.name.value}"
        self.report(
            node,
            "CN305",
            label,
            f"`{label}` in workflow code is not supported yet: workflows are synchronous",
            hint="write the workflow and its helpers as plain `def`; run async code in an activity",
        )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        frame = ctx.frame
        if frame is None:
            return
        effect = next(
            (e for e in map(denylist.effect_name, ctx.resolver.names(node.func)) if e), None
        )
        if effect == "activity":
            first = next((a for a in node.args if a.keyword is None and not a.star), None)
            targets = [first.value] if first is not None else []
            targets += [
                a.value
                for a in node.args
                if a.keyword is not None and a.keyword.value == "compensate"
            ]
            for target in targets:
                self._check_target(target)
        elif effect in {"start_child", "run_child"}:
            first = next((a for a in node.args if a.keyword is None and not a.star), None)
            if first is not None and self._not_a_class(first.value):
                label = code_of(first.value)
                self.report(
                    first.value,
                    "CN304",
                    label,
                    f"`{effect}` needs a Workflow class as its first argument, got `{label}`",
                    hint=f"pass the workflow class itself: {effect}(OrderFlow, input, id=...)",
                )

    def _check_target(self, target: cst.BaseExpression) -> None:
        frame = self.ctx.frame
        if frame is None:  # only called inside a function
            return
        label = code_of(target)
        reason = ""
        if isinstance(target, cst.Lambda):
            reason = "a lambda"
        elif isinstance(target, cst.Name) and target.value in frame.nested_defs:
            reason = "a function defined inside the workflow"
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            base = target.value.value
            if base == frame.self_name or (
                not self.ctx.resolver.names(target.value) and not self._is_module_name(target.value)
            ):
                reason = "a method bound to a local object"
        elif isinstance(target, cst.Call | cst.Subscript):
            reason = "a computed value"
        if reason:
            self.report(
                target,
                "CN301",
                label,
                f"activity target `{label}` is {reason}, which a worker cannot import",
                hint=_IMPORTABLE,
            )

    def _is_module_name(self, node: cst.Name) -> bool:
        return bool(self.ctx.resolver.names(node))

    def _not_a_class(self, expr: cst.BaseExpression) -> bool:
        if isinstance(
            expr,
            cst.Lambda
            | cst.SimpleString
            | cst.ConcatenatedString
            | cst.FormattedString
            | cst.Integer
            | cst.Float
            | cst.List
            | cst.Dict
            | cst.Tuple,
        ):
            return True
        frame = self.ctx.frame
        return isinstance(expr, cst.Name) and frame is not None and expr.value in frame.nested_defs

    VALID = (
        Valid(workflow("return activity(charge, order)", "def charge(order):\n    return order")),
        Valid(
            workflow(
                "return activity(payments.charge, order, compensate=payments.refund)",
                "from shop import payments",
            ),
            files={
                "shop/__init__.py": "",
                "shop/payments.py": "def charge(o): ...\ndef refund(o): ...\n",
            },
        ),
        Valid(
            workflow(
                "return run_child(Child, order)",
                "from continuum import run_child\n\nclass Child(Workflow):\n    def run(self, x):\n        return x",
            )
        ),
        Valid(
            workflow(
                "return await_signal('approve')",
                "from continuum import await_signal",
                keywords="signals=['approve']",
            )
        ),
        Valid(workflow("return await_signal('anything')", "from continuum import await_signal")),
        Valid(
            workflow(
                "return helper(order)",
                "from continuum import timer\n\ndef helper(o):\n    timer(5)\n    return o",
            )
        ),
    )
    INVALID = (
        Invalid(workflow("return activity(lambda: 1)"), "CN301"),
        Invalid(workflow("def inner():\n    return 1\nreturn activity(inner)"), "CN301"),
        Invalid(workflow("return activity(self.step)"), "CN301"),
        Invalid(workflow("client = make()\nreturn activity(client.fetch)", "make = dict"), "CN301"),
        Invalid(workflow("return 1", "from continuum import timer\ntimer(5)"), "CN302"),
        Invalid(
            workflow(
                "return activity(step, order)",
                "from continuum import timer\n\ndef step(o):\n    timer(5)\n    return o",
            ),
            "CN302",
        ),
        Invalid(
            workflow(
                "return await_signal('aprove')",
                "from continuum import await_signal",
                keywords="signals=['approve']",
            ),
            "CN303",
        ),
        Invalid(
            workflow(
                "return start_child('shop.flows:Child', order)", "from continuum import start_child"
            ),
            "CN304",
        ),
        Invalid(
            workflow(
                "return run_child(helper, order)",
                "from continuum import run_child\n\ndef helper(o):\n    return o",
            ),
            "CN304",
        ),
        Invalid(
            workflow(
                "return run_child(Plain, order)",
                "from continuum import run_child\n\nclass Plain:\n    pass",
            ),
            "CN304",
        ),
        Invalid(
            "from continuum import Workflow\n\n\nclass Flow(Workflow):\n"
            "    async def run(self, order):\n        return order\n",
            "CN305",
        ),
    )
