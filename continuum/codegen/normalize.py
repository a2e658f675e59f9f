"""A canonical text form of Python syntax trees, for the version hash.

Modelled on black's ``stringify_ast``, but stable across interpreters by
construction (``ast.dump`` changed its defaults in 3.13): node class name, then
fields in sorted order; positions, ``type_comment`` and ``Constant.kind`` are
skipped; docstrings are dropped; ``None`` and empty-list fields are omitted so fields
added by newer Pythons do not move hashes; scalars carry a type tag, so ``1``,
``"1"`` and ``True`` never collide. Formatting, comments and parentheses are gone
already in the `ast`.
"""

from __future__ import annotations

import ast
import json

#: Tag of this normalization scheme; part of every hash. Bump it when the dump changes.
SCHEME_VERSION = "continuum-hash-v1"

_SKIPPED_FIELDS = frozenset({"type_comment", "kind"})
_DOCSTRING_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def canonical(node: object) -> str:
    """The canonical text of an `ast` node (or list, or scalar).

    >>> canonical(ast.parse("x = (1)  # comment").body[0])
    'Assign(targets=[Name(ctx=Store(),id=s:"x")],value=Constant(value=i:1))'
    >>> canonical(ast.parse("x = '1'").body[0]) == canonical(ast.parse("x = 1").body[0])
    False
    """
    parts: list[str] = []
    _dump(node, parts)
    return "".join(parts)


def _dump(node: object, out: list[str]) -> None:
    if isinstance(node, ast.AST):
        out.append(type(node).__name__)
        out.append("(")
        first = True
        for name in sorted(node._fields):
            if name in _SKIPPED_FIELDS:
                continue
            value = getattr(node, name, None)
            if name == "body" and isinstance(node, _DOCSTRING_OWNERS):
                value = _without_docstring(value)
            if value is None or (isinstance(value, list) and not value):
                continue
            if not first:
                out.append(",")
            first = False
            out.append(name)
            out.append("=")
            _dump(value, out)
        out.append(")")
    elif isinstance(node, list):
        out.append("[")
        for index, item in enumerate(node):
            if index:
                out.append(",")
            _dump(item, out)
        out.append("]")
    else:
        out.append(_scalar(node))


def _scalar(value: object) -> str:
    # bool before int: True is an int too.
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"bool:{value}"
    if isinstance(value, int):
        return f"i:{value}"
    if isinstance(value, float):
        return f"f:{value!r}"
    if isinstance(value, complex):
        return f"c:{value!r}"
    if isinstance(value, str):
        return "s:" + json.dumps(value, ensure_ascii=True)
    if isinstance(value, bytes):
        return "b:" + value.hex()
    if value is Ellipsis:
        return "Ellipsis"
    raise TypeError(f"unexpected value in syntax tree: {type(value).__name__}")


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[1:]
    return body
