"""Semantics-preserving rewrites of Python source, driven by a random source (for hypothesis).

Each rewrite is one a formatter or a tidy human might make: other quotes, one
argument per line with a trailing comma, redundant parentheses, comments, blank
lines, docstrings added or reworded.
"""

from __future__ import annotations

import random

import libcst as cst


def _newline_indent(width: int) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=False,
        last_line=cst.SimpleWhitespace(" " * width),
    )


class _Reformat(cst.CSTTransformer):
    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def _coin(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.BaseExpression:
        value = updated_node.value
        prefix = updated_node.prefix
        body = value[len(prefix) + 1 : -1]
        if len(value) - len(prefix) < 2 or value[len(prefix) :][:3] in ('"""', "'''"):
            return updated_node
        if "\\" in body or "'" in body or '"' in body or not self._coin():
            return updated_node
        quote = "'" if value[len(prefix)] == '"' else '"'
        return updated_node.with_changes(value=f"{prefix}{quote}{body}{quote}")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        args = list(updated_node.args)
        if not args or not self._coin(0.4):
            return updated_node
        width = self.rng.choice([4, 8, 12])
        wrapped = [
            arg.with_changes(comma=cst.Comma(whitespace_after=_newline_indent(width)))
            for arg in args[:-1]
        ]
        # A trailing comma, then ``)`` on its own line.
        last = args[-1].with_changes(comma=cst.Comma(whitespace_after=_newline_indent(0)))
        return updated_node.with_changes(
            args=[*wrapped, last], whitespace_before_args=_newline_indent(width)
        )

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if updated_node.star or not self._coin(0.2):
            return updated_node
        value = updated_node.value
        return updated_node.with_changes(
            value=value.with_changes(
                lpar=[cst.LeftParen(), *value.lpar], rpar=[*value.rpar, cst.RightParen()]
            )
        )

    def _decorate_lines(self, node: cst.CSTNode) -> list[cst.EmptyLine]:
        lines = list(getattr(node, "leading_lines", []))
        if self._coin(0.3):
            lines.append(cst.EmptyLine(comment=cst.Comment(f"# note {self.rng.randrange(1000)}")))
        if self._coin(0.2):
            lines.insert(0, cst.EmptyLine())
        return lines

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        trailing = updated_node.trailing_whitespace
        if self._coin(0.2):
            trailing = cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("# trailing")
            )
        return updated_node.with_changes(
            leading_lines=self._decorate_lines(updated_node), trailing_whitespace=trailing
        )

    def _with_docstring(
        self, node: cst.FunctionDef | cst.ClassDef
    ) -> cst.FunctionDef | cst.ClassDef:
        body = node.body
        if not isinstance(body, cst.IndentedBlock) or not self._coin(0.5):
            return node
        statements = list(body.body)
        doc = cst.SimpleStatementLine(
            body=[cst.Expr(cst.SimpleString(f'"""Reworded {self.rng.randrange(1000)}."""'))]
        )
        first = statements[0] if statements else None
        has_doc = (
            isinstance(first, cst.SimpleStatementLine)
            and isinstance(first.body[0], cst.Expr)
            and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
        )
        statements = [doc, *statements[1:]] if has_doc else [doc, *statements]
        return node.with_changes(body=body.with_changes(body=statements))

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        node = self._with_docstring(updated_node)
        return node.with_changes(leading_lines=self._decorate_lines(node))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        node = self._with_docstring(updated_node)
        return node.with_changes(leading_lines=self._decorate_lines(node))


def reformat(source: str, seed: int) -> str:
    """``source`` rewritten without changing what it does (deterministic per ``seed``)."""
    module = cst.parse_module(source)
    return module.visit(_Reformat(random.Random(seed))).code
