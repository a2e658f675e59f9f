"""CN201 (handlers that can swallow the runtime's ``Suspend``) and CN202 (``except Exception``).

``Suspend`` is a ``BaseException``: a bare ``except:``, ``except BaseException`` or
``contextlib.suppress(BaseException)`` can catch it, and ``return``/``break``/``continue``
in ``finally`` discards it. A handler that re-raises with a bare ``raise`` is fine.
"""

from __future__ import annotations

import libcst as cst

from ..cst_helpers import traverse
from ..rule import Invalid, Rule, Valid, workflow

_HINT_201 = (
    "catch specific exceptions (or `Exception`), or re-raise with a bare `raise`; the "
    "runtime suspends a workflow by raising a BaseException"
)
_HINT_FINALLY = "move the return/break/continue out of the finally block"


def _reraises(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """Whether the handler body contains a bare ``raise`` (not inside a nested def)."""
    found = False

    def visit(node: cst.CSTNode) -> bool:
        nonlocal found
        if type(node) is cst.Raise and node.exc is None:  # type: ignore[attr-defined]
            found = True
        # A raise in a nested def does not re-raise this exception.
        return not found and type(node) is not cst.FunctionDef

    traverse(handler.body, visit)
    return found


_LOOPS = (cst.For, cst.While)
#: Scopes a return/break/continue cannot leave the finally block from.
_NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _jumps(body: cst.CSTNode) -> list[cst.CSTNode]:
    """return/break/continue that leave a finally block (not those of nested loops/defs)."""
    found: list[cst.CSTNode] = []
    loops = 0

    def visit(node: cst.CSTNode) -> bool:
        nonlocal loops
        kind = type(node)
        if kind in _NESTED_SCOPES:
            return False
        if kind in _LOOPS:
            loops += 1
        elif kind is cst.Return or (kind in (cst.Break, cst.Continue) and not loops):
            found.append(node)
        return True

    def leave(node: cst.CSTNode) -> None:
        nonlocal loops
        if type(node) in _LOOPS:
            loops -= 1

    traverse(body, visit, leave)
    return found


class ExceptionHandling(Rule):
    """Flags handlers and finally blocks that can swallow ``Suspend``."""

    CODES = ("CN201", "CN202")

    def _caught(self, expr: cst.BaseExpression | None) -> set[str]:
        if expr is None:
            return {"builtins.BaseException"}
        elements = expr.elements if isinstance(expr, cst.Tuple) else None
        exprs = [e.value for e in elements] if elements is not None else [expr]
        return {n for e in exprs for n in self.ctx.resolver.names(e)}

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.visit_ExceptHandler(node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        if self.ctx.frame is None or _reraises(node):
            return
        caught = self._caught(node.type)
        if node.type is None:
            self.report(
                node,
                "CN201",
                "except:",
                "bare `except:` can swallow the runtime's Suspend",
                hint=_HINT_201,
            )
        elif "builtins.BaseException" in caught:
            self.report(
                node,
                "CN201",
                "except BaseException",
                "`except BaseException` without a bare `raise` can swallow the runtime's Suspend",
                hint=_HINT_201,
            )
        elif "builtins.Exception" in caught:
            self.report(
                node,
                "CN202",
                "except Exception",
                "`except Exception` is broad (it cannot catch Suspend; style only)",
                hint="catch the specific exceptions you expect",
            )

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if self.ctx.frame is None or not isinstance(node.item, cst.Call):
            return
        if self.ctx.resolver.name(node.item.func) != "contextlib.suppress":
            return
        caught = {n for a in node.item.args for n in self.ctx.resolver.names(a.value)}
        if "builtins.BaseException" in caught:
            self.report(
                node,
                "CN201",
                "suppress(BaseException)",
                "`contextlib.suppress(BaseException)` can swallow the runtime's Suspend",
                hint=_HINT_201,
            )

    def visit_Finally(self, node: cst.Finally) -> None:
        if self.ctx.frame is None:
            return
        for jump in _jumps(node.body):
            word = type(jump).__name__.lower()
            self.report(
                jump,
                "CN201",
                f"{word} in finally",
                f"`{word}` in `finally` discards an in-flight exception such as Suspend",
                hint=_HINT_FINALLY,
            )

    VALID = (
        Valid(workflow("try:\n    return 1\nexcept ValueError:\n    return 2")),
        Valid(workflow("try:\n    return 1\nexcept BaseException:\n    cleanup = 1\n    raise")),
        Valid(workflow("try:\n    return 1\nexcept:\n    raise")),
        Valid(workflow("try:\n    x = 1\nfinally:\n    for i in order:\n        break\nreturn x")),
        Valid(
            workflow(
                "with suppress(KeyError):\n    return order['x']", "from contextlib import suppress"
            )
        ),
    )
    INVALID = (
        Invalid(workflow("try:\n    return 1\nexcept:\n    return 2"), "CN201", line=9),
        Invalid(workflow("try:\n    return 1\nexcept BaseException:\n    return 2"), "CN201"),
        Invalid(
            workflow("try:\n    return 1\nexcept (ValueError, BaseException):\n    return 2"),
            "CN201",
        ),
        Invalid(
            workflow("with contextlib.suppress(BaseException):\n    return 1", "import contextlib"),
            "CN201",
        ),
        Invalid(workflow("try:\n    x = 1\nfinally:\n    return 2"), "CN201"),
        Invalid(workflow("try:\n    return 1\nexcept* BaseException:\n    pass"), "CN201"),
        Invalid(workflow("try:\n    return 1\nexcept Exception:\n    return 2"), "CN202"),
        Invalid(
            workflow("for i in order:\n    try:\n        x = 1\n    finally:\n        continue"),
            "CN201",
        ),
    )
