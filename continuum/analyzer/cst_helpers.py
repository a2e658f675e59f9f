"""Small helpers over LibCST nodes shared by the engine, the scopes and the rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst


def target_names(target: cst.CSTNode) -> Iterator[cst.Name]:
    """The names an assignment target binds (``a``, ``a, (b, *c)``)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


def code_of(node: cst.CSTNode) -> str:
    """Source text of ``node`` on one line (for labels)."""
    text = cst.Module([]).code_for_node(node)
    return " ".join(text.split())


class _RefCollector(cst.CSTVisitor):
    """Maximal dotted names (``a.b.c`` but not its ``a.b``) inside an expression."""

    def __init__(self) -> None:
        self.refs: list[cst.Name | cst.Attribute] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.refs.append(node)
        return not isinstance(node.value, cst.Name | cst.Attribute)

    def visit_Name(self, node: cst.Name) -> None:
        self.refs.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def refs_in(node: cst.CSTNode) -> list[cst.Name | cst.Attribute]:
    """Maximal dotted names inside ``node``."""
    collector = _RefCollector()
    node.visit(collector)
    return collector.refs


def literal_strings(node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """The strings of a literal list/tuple/set of plain strings, else None."""
    if not isinstance(node, cst.List | cst.Tuple | cst.Set):
        return None
    values: list[str] = []
    for element in node.elements:
        value = element.value
        if not isinstance(value, cst.SimpleString):
            return None
        evaluated = value.evaluated_value
        if not isinstance(evaluated, str):
            return None
        values.append(evaluated)
    return tuple(values)


#: Node fields that only hold punctuation, whitespace or comments (nothing to analyze).
_TRIVIA = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "equal",
        "colon",
        "dot",
        "semicolon",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "newline",
        "trailing_whitespace",
        "asynchronous",
        "star",
        "operator",
        "default_indent",
        "default_newline",
        "encoding",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def node_fields(kind: type) -> tuple[str, ...]:
    """Names of the fields of a node type that can hold code (not punctuation/whitespace)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in _TRIVIA and not f.name.startswith("whitespace")
        )
        _FIELDS[kind] = names
    return names
