"""CN206: iterating a set, whose order for str/bytes elements differs across processes."""

from __future__ import annotations

import libcst as cst

from ..cst_helpers import code_of
from ..rule import Invalid, Rule, Valid, workflow

_HINT = "iterate `sorted(...)` of the set instead"
_ORDERING_CALLS = frozenset(
    {"builtins.list", "builtins.tuple", "builtins.enumerate", "builtins.zip", "builtins.iter"}
)


class SetIteration(Rule):
    """Flags iteration over set literals, comprehensions, set() calls and locals bound to them."""

    CODES = ("CN206",)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = self.ctx.frame
        if frame is not None and frame.node is node:
            # name -> bound only to sets so far (assignments seen in source order)
            self._locals: dict[str, bool] = {}

    def _is_set(self, expr: cst.BaseExpression, locals_too: bool = True) -> bool:
        if isinstance(expr, cst.Set | cst.SetComp):
            return True
        if isinstance(expr, cst.Call):
            name = self.ctx.resolver.name(expr.func)
            return name in {"builtins.set", "builtins.frozenset"}
        if locals_too and isinstance(expr, cst.Name):
            return getattr(self, "_locals", {}).get(expr.value, False)
        return False

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if self.ctx.frame is None:
            return
        is_set = self._is_set(original_node.value, False)
        for target in original_node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                self._locals[name] = is_set and self._locals.get(name, True)

    def _flag(self, node: cst.CSTNode, expr: cst.BaseExpression, how: str) -> None:
        if self.ctx.frame is None or not self._is_set(expr):
            return
        label = code_of(expr)
        self.report(
            node,
            "CN206",
            label,
            f"{how} set `{label}` depends on hash order, which differs across processes",
            hint=_HINT,
        )

    def visit_For(self, node: cst.For) -> None:
        self._flag(node.iter, node.iter, "iterating")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._flag(node.iter, node.iter, "iterating")

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.frame is None:
            return
        func = node.func
        name = self.ctx.resolver.name(func)
        if name in _ORDERING_CALLS:
            for arg in node.args:
                self._flag(arg.value, arg.value, "ordering")
        elif isinstance(func, cst.Attribute) and func.attr.value == "join" and node.args:
            self._flag(node.args[0].value, node.args[0].value, "joining")
        elif isinstance(func, cst.Attribute) and func.attr.value == "pop" and not node.args:
            self._flag(func.value, func.value, "popping from")

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, cst.Tuple | cst.List) for t in node.targets):
            self._flag(node.value, node.value, "unpacking")

    VALID = (
        Valid(workflow("for x in sorted({'a', 'b'}):\n    activity(print, x)")),
        Valid(workflow("s = {'a'}\nreturn 'a' in s")),
        Valid(workflow("s = set(order)\ns = sorted(s)\nfor x in s:\n    pass")),
        Valid(workflow("for k in {'a': 1}:\n    pass")),
    )
    INVALID = (
        Invalid(workflow("for x in {'a', 'b'}:\n    pass"), "CN206"),
        Invalid(workflow("return [x for x in set(order)]"), "CN206"),
        Invalid(workflow("s = frozenset(order)\nreturn list(s)"), "CN206"),
        Invalid(workflow("return ','.join({x for x in order})"), "CN206"),
        Invalid(workflow("a, b = {1, 2}\nreturn a"), "CN206"),
        Invalid(workflow("s = set(order)\nreturn s.pop()"), "CN206"),
    )
