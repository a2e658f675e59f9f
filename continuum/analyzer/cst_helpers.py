"""Small helpers over LibCST nodes shared by the engine, the scopes and the rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst


def target_names(target: cst.CSTNode) -> Iterator[cst.Name]:
    """The names an assignment target binds (``a``, ``a, (b, *c)``), in source order."""
    # An explicit stack, not recursion: ``((((a,),),),)`` may nest arbitrarily deep.
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node
        elif isinstance(node, cst.Tuple | cst.List):
            stack.extend(element.value for element in reversed(node.elements))
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)


def code_of(node: cst.CSTNode) -> str:
    """Source text of ``node`` on one line (for labels)."""
    text = cst.Module([]).code_for_node(node)
    return " ".join(text.split())


def refs_in(node: cst.CSTNode) -> list[cst.Name | cst.Attribute]:
    """Maximal dotted names (``a.b.c`` but not its ``a.b``) inside ``node``, lambdas excluded."""
    refs: list[cst.Name | cst.Attribute] = []

    def visit(current: cst.CSTNode) -> bool:
        kind = type(current)
        if kind is cst.Attribute:
            refs.append(current)  # type: ignore[arg-type]
            return type(current.value) not in (cst.Name, cst.Attribute)  # type: ignore[attr-defined]
        if kind is cst.Name:
            refs.append(current)  # type: ignore[arg-type]
        return kind is not cst.Lambda

    traverse(node, visit)
    return refs


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


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of ``node`` that can hold code, in source order."""
    out: list[cst.CSTNode] = []
    for name in node_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif isinstance(value, tuple | list):
            out.extend(item for item in value if isinstance(item, cst.CSTNode))
    return out


def traverse(
    root: cst.CSTNode,
    visit: Callable[[cst.CSTNode], bool],
    leave: Callable[[cst.CSTNode], None] | None = None,
) -> None:
    """Pre-order walk of ``root``: ``visit`` each node (True = enter its children), then
    ``leave`` it after its children (also when they were not entered).

    Iterative, so the depth of the tree does not matter: a long implicit string
    concatenation (``"a" "b" "c" …``, a right-nested `ConcatenatedString`) or a chain of
    thousands of binary operators would overflow Python's recursion limit in a
    recursive walk (and LibCST's own ``visit`` is recursive).
    """
    if not visit(root):
        if leave is not None:
            leave(root)
        return
    stack = [(root, iter(children(root)))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if visit(child):
                stack.append((child, iter(children(child))))
                break
            if leave is not None:
                leave(child)
        else:
            stack.pop()
            if leave is not None:
                leave(node)
