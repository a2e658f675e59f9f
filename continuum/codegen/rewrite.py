"""LibCST transformers that turn a workflow module into its frozen copy.

`CommandStamper` gives every effect call its command identity as a literal
``_command=(kind, workflow, function, line, shape)`` keyword and names the root
class's logical identity (``workflow="pkg.mod:Name"``). `freeze_statements` runs it
and keeps only the statements of the frozen set. Transformers build on
``updated_node`` and read metadata through ``original_node`` (STYLE §1).

This is the reference implementation. Builds use `continuum.codegen.splice`, which
makes the same bytes from the stdlib `ast` without re-parsing, and falls back to this
module for the layouts it does not handle.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from .bindings import effect_kind
from .render import py_string
from .stamp import COMMAND_KEYWORD, FrozenCode, StampedCommand, command_literal, shape_hash

__all__ = [
    "COMMAND_KEYWORD",
    "CommandStamper",
    "FrozenCode",
    "StampedCommand",
    "freeze_statements",
    "freeze_statements_cst",
    "shape_hash",
]


def _call_shape(kind: str, call: cst.Call) -> str:
    positional = [a for a in call.args if a.keyword is None and a.star != "**"]
    keywords = [
        a.keyword.value if a.keyword is not None else "**"
        for a in call.args
        if (a.keyword is not None and a.keyword.value != COMMAND_KEYWORD) or a.star == "**"
    ]
    target = ""
    if kind == "activity" and positional and not positional[0].star:
        target = get_full_name_for_node(positional[0].value) or ""
    return shape_hash(kind, target, len(positional), keywords)


def _with_keyword(args: Sequence[cst.Arg], name: str, value: cst.BaseExpression) -> list[cst.Arg]:
    """``args`` with keyword ``name`` set to ``value`` (replaced in place, else appended)."""
    result = list(args)
    for index, arg in enumerate(result):
        if arg.keyword is not None and arg.keyword.value == name:
            result[index] = arg.with_changes(value=value)
            return result
    new = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if result and isinstance(result[-1].comma, cst.Comma):
        # A call already ending in a comma (usually one argument per line): the new
        # argument takes over that trailing comma and the layout before ``)``, and is
        # separated from the previous one the way the earlier arguments are.
        between: cst.Comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if len(result) > 1 and isinstance(result[-2].comma, cst.Comma):
            between = result[-2].comma
        new = new.with_changes(comma=result[-1].comma)
        result[-1] = result[-1].with_changes(comma=between)
    result.append(new)
    return result


def _string(value: str) -> cst.SimpleString:
    # py_string() is repr()-based: no source text can close the string and inject code.
    return cst.SimpleString(py_string(value))


class CommandStamper(cst.CSTTransformer):
    """Stamp effect calls with their command identity; name the root class's identity."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, *, workflow: str, class_name: str, function_prefix: str = "") -> None:
        super().__init__()
        self.workflow = workflow
        self.class_name = class_name
        self.function_prefix = function_prefix
        self.commands: list[StampedCommand] = []
        #: ``(line, change id)`` of each ``patched("...")`` call with a literal id.
        self.patch_sites: list[tuple[int, str]] = []
        self._scope: list[tuple[str, bool]] = []

    # Qualified names follow Python's __qualname__: "Flow.run", "Flow.run.<locals>.inner".
    def _push(self, name: str, *, is_class: bool) -> None:
        self._scope.append((name, is_class))

    def _pop(self) -> None:
        self._scope.pop()

    def _function(self) -> str:
        parts: list[str] = []
        for index, (name, _) in enumerate(self._scope):
            if index and not self._scope[index - 1][1]:  # inside a function
                parts.append("<locals>")
            parts.append(name)
        return ".".join([self.function_prefix, *parts] if self.function_prefix else parts) or (
            "<module>"
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._push(node.name.value, is_class=True)
        return True

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._pop()
        if self._scope or original_node.name.value != self.class_name:
            return updated_node
        keywords = _with_keyword(updated_node.keywords, "workflow", _string(self.workflow))
        return updated_node.with_changes(keywords=keywords)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._push(node.name.value, is_class=False)
        return True

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._pop()
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._push("<lambda>", is_class=False)
        return True

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        self._pop()
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        names = self.get_metadata(QualifiedNameProvider, original_node.func, set())
        kinds = {effect_kind(q.name) for q in names} - {None}
        if len(kinds) != 1:
            return updated_node
        kind = str(kinds.pop())
        line = self.get_metadata(PositionProvider, original_node).start.line
        command = StampedCommand(kind, self._function(), line, _call_shape(kind, original_node))
        self.commands.append(command)
        if kind == "patched":
            self._record_patch_site(original_node, line)
        literal = cst.parse_expression(
            command_literal(kind, self.workflow, command.function, line, command.shape)
        )
        return updated_node.with_changes(
            args=_with_keyword(updated_node.args, COMMAND_KEYWORD, literal)
        )

    def _record_patch_site(self, call: cst.Call, line: int) -> None:
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        if isinstance(first, cst.SimpleString | cst.ConcatenatedString):
            value = first.evaluated_value
            if isinstance(value, str):
                self.patch_sites.append((line, value))


def freeze_statements(
    source: str,
    *,
    indices: Sequence[int],
    workflow: str,
    class_name: str,
    function_prefix: str = "",
) -> FrozenCode:
    """Rewrite ``source`` and keep its top-level statements at ``indices`` (`ast` numbering).

    ``indices`` count statements the way `ast.Module.body` does: each small statement
    of a ``a = 1; b = 2`` line is one. ``class_name`` is the workflow class that gets
    ``workflow=`` ("" for none); ``function_prefix`` is prepended to the function names
    in command identities (the module name, for helpers frozen from another module).
    """
    # A fresh parse nobody else holds: no need for the defensive deep copy.
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    wanted = set(indices)
    # Lines of the copied statements in the source, before any rewriting.
    kept = _kept_lines(wrapper, wanted)
    stamper = CommandStamper(
        workflow=workflow, class_name=class_name, function_prefix=function_prefix
    )
    module = wrapper.visit(stamper)
    blocks: list[str] = []
    position = 0
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            small = [
                s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                for offset, s in enumerate(statement.body)
                if position + offset in wanted
            ]
            position += len(statement.body)
            if small:
                blocks.append(_code(module, statement.with_changes(body=small)))
        else:
            if position in wanted:
                blocks.append(_code(module, statement))
            position += 1
    # Calls in statements that were not copied do not belong to this version.
    commands = tuple(c for c in stamper.commands if c.line in kept)
    patch_sites = dict.fromkeys(cid for line, cid in stamper.patch_sites if line in kept)
    return FrozenCode("\n\n\n".join(blocks), commands, tuple(patch_sites))


def _code(module: cst.Module, statement: cst.BaseStatement) -> str:
    # Keep comments written above a statement, drop the blank lines around it: the
    # template decides the spacing.
    lines = [line for line in statement.leading_lines if line.comment is not None]
    return module.code_for_node(statement.with_changes(leading_lines=lines)).strip("\n")


def _kept_lines(wrapper: MetadataWrapper, wanted: set[int]) -> set[int]:
    positions = wrapper.resolve(PositionProvider)
    lines: set[int] = set()
    position = 0
    for statement in wrapper.module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if any(position + offset in wanted for offset in range(count)):
            span = positions[statement]
            lines.update(range(span.start.line, span.end.line + 1))
        position += count
    return lines


#: The LibCST implementation under the name `continuum.codegen.splice` falls back to (and
#: that the tests compare the splicer with).
freeze_statements_cst = freeze_statements
