"""CN109 (writes to module-level and process-global state) and CN110 (import-time values).

CN110 is decided by the reachability pass, which sees which module-level values a workflow
reads; this rule carries its cases and detects the writes.
"""

from __future__ import annotations

import libcst as cst

from ..cst_helpers import code_of
from ..rule import Invalid, Rule, Valid, workflow

_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "appendleft",
        "extendleft",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
_HINT = (
    "module state survives between runs on one worker but not across workers: keep state "
    "in local variables or workflow input"
)
_MESSAGE = "changes module-level state shared by every run on the worker"


class GlobalState(Rule):
    """Flags ``global``/``nonlocal`` writes and mutation of module-level containers."""

    CODES = ("CN109", "CN110")

    def visit_Global(self, node: cst.Global) -> None:
        self._declared(node, "global")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._declared(node, "nonlocal")

    def _declared(self, node: cst.Global | cst.Nonlocal, keyword: str) -> None:
        if self.ctx.frame is None:
            return
        names = ", ".join(item.name.value for item in node.names)
        label = f"{keyword} {names}"
        self.report(node, "CN109", label, f"`{label}` {_MESSAGE}", hint=_HINT)

    def _module_global(self, expr: cst.BaseExpression) -> str:
        """The module-level name ``expr`` refers to, when it is one of this module's globals."""
        while isinstance(expr, cst.Subscript | cst.Attribute):
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return ""
        name = self.ctx.resolver.name(expr)
        prefix = f"{self.ctx.module}:"
        if name.startswith(prefix) and "." not in name[len(prefix) :]:
            return name[len(prefix) :]
        return ""

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.frame is None:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
            name = self._module_global(func.value)
            if name:
                label = code_of(func)
                self.report(node, "CN109", f"{label}()", f"`{label}()` {_MESSAGE}", hint=_HINT)
        elif self.ctx.resolver.name(func) == "builtins.setattr" and node.args:
            target = node.args[0].value
            if self._module_global(target) or self._imported_module(target):
                label = code_of(node)
                self.report(node, "CN109", label, f"`{label}` {_MESSAGE}", hint=_HINT)

    def _imported_module(self, expr: cst.BaseExpression) -> bool:
        """``expr`` names an imported module (``import config; config.X = 1``)."""
        if not isinstance(expr, cst.Name | cst.Attribute):
            return False
        for name in self.ctx.resolver.names(expr):
            if ":" in name:
                continue
            if name == code_of(expr) or self.ctx.resolver.index.find_module(name) is not None:
                return True
        return False

    def _check_target(self, node: cst.CSTNode, target: cst.BaseExpression) -> None:
        if self.ctx.frame is None:
            return
        if (isinstance(target, cst.Subscript) and self._module_global(target)) or (
            isinstance(target, cst.Attribute)
            and (self._module_global(target) or self._imported_module(target.value))
        ):
            pass
        else:
            return
        label = code_of(target)
        self.report(node, "CN109", label, f"writing `{label}` {_MESSAGE}", hint=_HINT)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._check_target(node.target, node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and self._module_global(node.target):
            label = code_of(node.target)
            self.report(node, "CN109", label, f"writing `{label}` {_MESSAGE}", hint=_HINT)
        else:
            self._check_target(node.target, node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._check_target(node.target, node.target)

    VALID = (
        Valid(workflow("items = []\nitems.append(order)\nreturn items")),
        Valid(workflow("return LIMIT * 2", "LIMIT = 10")),
        Valid(workflow("return dict(DEFAULTS, **order)", "DEFAULTS = {'a': 1}")),
        Valid(workflow("self.total = 1\nreturn self.total")),
    )
    INVALID = (
        Invalid(workflow("global COUNT\nCOUNT = COUNT + 1\nreturn COUNT", "COUNT = 0"), "CN109"),
        Invalid(workflow("CACHE[order['id']] = order\nreturn 1", "CACHE = {}"), "CN109"),
        Invalid(workflow("SEEN.append(order)\nreturn 1", "SEEN = []"), "CN109"),
        Invalid(
            workflow("settings.DEBUG = True", "import settings"),
            "CN109",
            files={"settings.py": "DEBUG = False\n"},
        ),
        Invalid(workflow("return REGION", "import os\nREGION = os.environ['REGION']"), "CN110"),
        Invalid(workflow("return START", "import time\nSTART = time.time()"), "CN110"),
        Invalid(
            workflow("return config.REGION", "from shop import config"),
            "CN110",
            files={
                "shop/__init__.py": "",
                "shop/config.py": "import os\nREGION = os.getenv('R')\n",
            },
        ),
    )
