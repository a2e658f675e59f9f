"""The frozen copy of a module's statements by splicing its text, from the stdlib `ast`.

`freeze_statements` makes exactly what `continuum.codegen.rewrite.freeze_statements_cst`
(the LibCST transformer, the reference) makes: the copied statements with their comments,
every effect call stamped with ``_command=(...)`` and the root class given
``workflow="..."``. It works on the `ast` tree the build parsed already, and edits the
source bytes at the positions the tree gives, so a build does not re-parse each module
with LibCST and resolve its scopes (most of a cold build's cost before).

It handles the layouts real code has, and checks each one it relies on: every argument
list it edits is re-scanned token by token from the tree's positions (no parentheses
around an argument, commas where expected), and it refuses anything whose LibCST output
it does not reproduce with certainty (semicolons, odd comment placement, ``global``,
star imports, ...). Then `freeze_statements` falls back to the LibCST reference, as it
does on any other exception from the splicer (a bug there must never fail a build);
the result is the same bytes either way (``tests/codegen/test_splice.py`` compares both on
the codegen cases, the example app, the benchmark's generated project and randomly
reformatted workflows).
"""

from __future__ import annotations

import ast
import itertools
import logging
from collections.abc import Iterable, Sequence

from .bindings import EFFECT_KINDS, NESTED_SCOPES, effect_kind
from .render import py_string
from .stamp import COMMAND_KEYWORD, FrozenCode, StampedCommand, command_literal, shape_hash

logger = logging.getLogger(__name__)


class Unsupported(Exception):
    """The fast path does not reproduce the reference output for this input."""


def freeze_statements(
    source: str,
    *,
    indices: Sequence[int],
    workflow: str,
    class_name: str,
    function_prefix: str = "",
    tree: ast.Module | None = None,
) -> FrozenCode:
    """The frozen copy of the statements of ``source`` at ``indices`` (`ast` numbering).

    Same contract and output as `rewrite.freeze_statements_cst`; ``tree`` is
    ``ast.parse(source)`` when the caller has it. Whatever the splicer raises (it
    refuses the input, or fails unexpectedly) sends the input to the LibCST reference.
    """
    if tree is None:
        tree = ast.parse(source)  # a syntax error is the caller's, not the splicer's
    try:
        return _Splicer(source, tree, workflow, class_name, function_prefix).run(indices)
    except Unsupported as refused:
        logger.debug("splice: deferring to LibCST (%s)", refused)
    except Exception:
        logger.debug("splice: unexpected error, deferring to LibCST", exc_info=True)
    from .rewrite import freeze_statements_cst  # LibCST: only for what splicing cannot do

    return freeze_statements_cst(
        source,
        indices=indices,
        workflow=workflow,
        class_name=class_name,
        function_prefix=function_prefix,
    )


# --- scopes ---------------------------------------------------------------------------

#: A binding of a name in one scope: the absolute dotted target of an import, "" for a
#: relative import (never an effect), None for anything else (def, class, assignment...).
Target = str | None
#: Prefix of the target of a dotted import without ``as`` (``import a.b``).
DOTTED = "<dotted>"


def _scope_bindings(body: Iterable[ast.AST]) -> dict[str, list[Target]]:
    """What each name is bound to in one scope (nested scopes not entered)."""
    found: dict[str, list[Target]] = {}
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(None)
            # Decorators, defaults and bases run in this scope; the body does not.
            stack.extend(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                stack.extend(node.bases)
                stack.extend(node.keywords)
            else:
                stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
            continue
        if isinstance(node, NESTED_SCOPES):
            if not isinstance(node, ast.Lambda):
                # A comprehension's first iterable is evaluated in this scope.
                stack.append(node.generators[0].iter)
            else:
                stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.setdefault(node.id, []).append(None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found.setdefault(alias.asname, []).append(alias.name)
                elif "." in alias.name:
                    # ``import a.b`` binds ``a``; how LibCST names its attributes is not
                    # reproduced here (refused below when ``a`` is continuum).
                    found.setdefault(alias.name.split(".")[0], []).append(DOTTED + alias.name)
                else:
                    found.setdefault(alias.name, []).append(alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                target = f"{node.module}.{alias.name}" if node.module and not node.level else ""
                found.setdefault(alias.asname or alias.name, []).append(target)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            found.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            found.setdefault(node.rest, []).append(None)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _parameters(args: ast.arguments) -> dict[str, list[Target]]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return {name: [None] for name in names}


def _merge(*tables: dict[str, list[Target]]) -> dict[str, list[Target]]:
    merged: dict[str, list[Target]] = {}
    for table in tables:
        for name, targets in table.items():
            merged.setdefault(name, []).extend(targets)
    return merged


def _check_module(tree: ast.Module) -> None:
    """Refuse modules whose name resolution this path does not model."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal | ast.NamedExpr | ast.Delete):
            raise Unsupported(type(node).__name__)
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            raise Unsupported("star import")
        if getattr(node, "type_params", None):
            raise Unsupported("type parameters")


def _check_names(data: bytes) -> None:
    """Refuse non-ASCII identifiers: `ast` normalizes them (NFKC), LibCST keeps their text."""
    import io
    import tokenize

    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            if token.type == tokenize.NAME and not token.string.isascii():
                raise Unsupported("non-ASCII identifier")
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Unsupported("tokenize") from exc


# --- text -----------------------------------------------------------------------------


class _Text:
    """The source as UTF-8 bytes with line offsets (`ast` columns count bytes)."""

    def __init__(self, source: str) -> None:
        if "\r" in source or "\f" in source or "\v" in source or source.startswith("\ufeff"):
            raise Unsupported("line endings or form feeds")
        self.data = source.encode("utf-8")
        self.lines = self.data.split(b"\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def start(self, node: ast.AST) -> int:
        return self.starts[getattr(node, "lineno", 1) - 1] + getattr(node, "col_offset", 0)

    def end(self, node: ast.AST) -> int:
        line, column = _end(node)
        return self.starts[line - 1] + column

    def skip(self, index: int) -> int:
        """The first offset from ``index`` on that is not whitespace, a comment or ``\\``-newline."""
        data = self.data
        while index < len(data):
            char = data[index]
            if char in b" \t\n":
                index += 1
            elif char == ord("#"):
                newline = data.find(b"\n", index)
                index = len(data) if newline < 0 else newline
            elif data.startswith(b"\\\n", index):
                index += 2
            else:
                break
        return index


#: ``(offset, end, text)``: replace ``data[offset:end]`` by ``text``.
Edit = tuple[int, int, bytes]


class _Module:
    """What the splicer knows of one module whatever is copied from it (made once)."""

    def __init__(self, source: str, tree: ast.Module) -> None:
        self.source = source
        self.tree = tree
        self.text = _Text(source)
        for before, after in itertools.pairwise(tree.body):
            if _first_line(after) <= _end(before)[0]:
                raise Unsupported("two statements on one line")
        #: Only an import naming continuum can make a call an effect: a module whose text
        #: never says "continuum" (most helper modules) has nothing to stamp.
        self.has_effects = b"continuum" in self.text.data
        self._scope: dict[str, list[Target]] | str | None = None

    def scope(self) -> dict[str, list[Target]]:
        """Module-level bindings, once the module is known to resolve as modelled here."""
        if self._scope is None:
            try:
                _check_module(self.tree)
                if not self.text.data.isascii():
                    _check_names(self.text.data)
                self._scope = _scope_bindings(self.tree.body)
            except Unsupported as exc:
                self._scope = str(exc)
        if isinstance(self._scope, str):
            raise Unsupported(self._scope)
        return self._scope


#: Recently prepared modules by ``id`` of their tree, with the tree and source they were
#: made from (held, so an id is not reused while cached): a helper module is copied for
#: many workflows of a build. A module refused says why.
_MODULES: dict[int, tuple[ast.Module, str, _Module | str]] = {}
_MODULES_KEPT = 64


def _module(source: str, tree: ast.Module) -> _Module:
    entry = _MODULES.get(id(tree))
    if entry is None or entry[0] is not tree or entry[1] is not source:
        try:
            prepared: _Module | str = _Module(source, tree)
        except Unsupported as exc:
            prepared = str(exc)
        if len(_MODULES) >= _MODULES_KEPT:
            _MODULES.pop(next(iter(_MODULES)))
        entry = _MODULES[id(tree)] = (tree, source, prepared)
    if isinstance(entry[2], str):
        raise Unsupported(entry[2])
    return entry[2]


class _Splicer:
    def __init__(
        self, source: str, tree: ast.Module, workflow: str, class_name: str, prefix: str
    ) -> None:
        module = _module(source, tree)
        self.text = module.text
        self.tree = tree
        self.workflow = workflow
        self.class_name = class_name
        self.prefix = prefix
        # Nothing to stamp and no class to name: the statements are copied as they are.
        self.edits_possible = module.has_effects or bool(class_name)
        self.module_scope = module.scope() if self.edits_possible else {}
        self.commands: list[tuple[StampedCommand, bool]] = []
        self.patch_sites: list[tuple[str, bool]] = []
        self.edits: list[Edit] = []
        self._names: list[tuple[str, bool]] = []
        #: Lines of the statement being copied: calls elsewhere (in its decorators) are
        #: stamped but, as in the reference, not reported.
        self._kept = (0, 0)

    # -- statements ----------------------------------------------------------------------
    def run(self, indices: Sequence[int]) -> FrozenCode:
        body = self.tree.body
        wanted = sorted(set(indices))
        if not wanted:
            return FrozenCode("", (), ())
        blocks: list[str] = []
        for index in wanted:
            stmt = body[index]
            self._check_layout(index)
            self.edits = []
            self._kept = (stmt.lineno, _end(stmt)[0])
            if self.edits_possible:
                self._visit(stmt, [])
            blocks.append(self._block(index))
        commands = tuple(command for command, kept in self.commands if kept)
        patch_sites = dict.fromkeys(cid for cid, kept in self.patch_sites if kept)
        return FrozenCode("\n\n\n".join(blocks), commands, tuple(patch_sites))

    def _check_layout(self, index: int) -> None:
        """The lines around statement ``index`` are laid out the way this path reads them."""
        body = self.tree.body
        lines = self.text.lines
        stmt = body[index]
        first = _first_line(stmt)
        previous_end = _end(body[index - 1])[0] if index else 0
        between = lines[previous_end : first - 1]
        if index == 0 and any(line for line in between):
            raise Unsupported("comments in the module header")
        following = _first_line(body[index + 1]) if index + 1 < len(body) else len(lines) + 1
        last, column = _end(stmt)
        after = lines[last : following - 1]
        if index + 1 == len(body) and any(line.strip() for line in after):
            raise Unsupported("comments after the last statement")
        for line in (*between, *after):
            if line and not line.startswith(b"#"):
                raise Unsupported("indented comment or whitespace between statements")
        rest = lines[last - 1][column:]
        if rest.strip() and not rest.lstrip().startswith(b"#"):
            raise Unsupported("text after the statement on its last line")
        if stmt.col_offset != 0:
            raise Unsupported("statement not at column 0")

    def _block(self, index: int) -> str:
        body = self.tree.body
        stmt = body[index]
        first = _first_line(stmt)
        previous_end = _end(body[index - 1])[0] if index else 0
        comments = [line for line in self.text.lines[previous_end : first - 1] if line[:1] == b"#"]
        begin = self.text.starts[first - 1]
        last = _end(stmt)[0]
        end = self.text.starts[last - 1] + len(self.text.lines[last - 1])
        code = self.text.data[begin:end]
        edits = sorted(self.edits)
        for before, after in itertools.pairwise(edits):
            if after[0] < before[1] or after[0] == before[0]:
                raise Unsupported("overlapping edits")
        for offset, stop, text in reversed(edits):
            code = code[: offset - begin] + text + code[stop - begin :]
        return b"\n".join([*comments, code]).decode("utf-8")

    # -- traversal -------------------------------------------------------------------------
    def _visit(self, node: ast.AST, scopes: list[tuple[str, dict[str, list[Target]]]]) -> None:
        """Post-order over ``node`` in source order, as LibCST's transformer goes."""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._names.append((node.name, False))
            for child in node.decorator_list:
                self._visit(child, scopes)
            self._visit_arguments(node.args, scopes)
            if node.returns is not None:
                self._visit(node.returns, scopes)
            inner = _merge(_parameters(node.args), _scope_bindings(node.body))
            for stmt in node.body:
                self._visit(stmt, [*scopes, ("function", inner)])
            self._names.pop()
            return
        if isinstance(node, ast.Lambda):
            self._names.append(("<lambda>", False))
            self._visit_arguments(node.args, scopes)
            self._visit(node.body, [*scopes, ("function", _parameters(node.args))])
            self._names.pop()
            return
        if isinstance(node, ast.ClassDef):
            self._names.append((node.name, True))
            for child in _in_source_order([*node.decorator_list, *node.bases, *node.keywords]):
                self._visit(child, scopes)
            inner = _scope_bindings(node.body)
            for stmt in node.body:
                self._visit(stmt, [*scopes, ("class", inner)])
            self._names.pop()
            if not self._names and node.name == self.class_name and self.class_name:
                self._name_class(node)
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            first, *rest = node.generators
            targets = _scope_bindings([g.target for g in node.generators])
            inner = [*scopes, ("comprehension", targets)]
            elements = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
            for element in elements:
                self._visit(element, inner)
            self._visit(first.target, inner)
            self._visit(first.iter, scopes)
            for condition in first.ifs:
                self._visit(condition, inner)
            for generator in rest:
                for part in (generator.target, generator.iter, *generator.ifs):
                    self._visit(part, inner)
            return
        if isinstance(node, ast.JoinedStr):
            # Positions inside f-strings are not reliable before Python 3.12: an effect
            # call in one is left to LibCST. Other calls there need no edit.
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and self._kind(inner.func, scopes) is not None:
                    raise Unsupported("effect call inside an f-string")
            return
        for child in _in_source_order(ast.iter_child_nodes(node)):
            self._visit(child, scopes)
        if isinstance(node, ast.Call):
            self._call(node, scopes)

    def _visit_arguments(
        self, args: ast.arguments, scopes: list[tuple[str, dict[str, list[Target]]]]
    ) -> None:
        parts: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d)]
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                parts.append(arg.annotation)
        for part in _in_source_order(parts):
            self._visit(part, scopes)

    # -- effect calls ------------------------------------------------------------------------
    def _kind(
        self, func: ast.expr, scopes: list[tuple[str, dict[str, list[Target]]]]
    ) -> str | None:
        chain = _chain(func)
        if chain is None:
            last = func.attr if isinstance(func, ast.Attribute) else None
            if last is not None and last in EFFECT_KINDS:
                raise Unsupported("effect-named attribute of an expression")
            return None
        head, attrs = chain[0], chain[1:]
        targets = self._resolve(head, scopes)
        kinds: set[str] = set()
        for target in targets:
            if target and target.startswith(DOTTED):
                if target[len(DOTTED) :].split(".")[0] == "continuum":
                    raise Unsupported("dotted import of continuum")
                continue
            if target:
                kind = effect_kind(".".join((target, *attrs)))
                if kind is not None:
                    kinds.add(kind)
        return kinds.pop() if len(kinds) == 1 else None

    def _resolve(
        self, name: str, scopes: list[tuple[str, dict[str, list[Target]]]]
    ) -> list[Target]:
        for depth, (kind, names) in enumerate(reversed(scopes)):
            if kind == "class":
                if depth == 0 and name in names:
                    raise Unsupported("name bound in a class body")
                continue
            if name in names:
                return names[name]
        return self.module_scope.get(name, [])

    def _function(self) -> str:
        parts: list[str] = []
        for index, (name, _) in enumerate(self._names):
            if index and not self._names[index - 1][1]:
                parts.append("<locals>")
            parts.append(name)
        return ".".join([self.prefix, *parts] if self.prefix else parts) or "<module>"

    def _call(self, call: ast.Call, scopes: list[tuple[str, dict[str, list[Target]]]]) -> None:
        kind = self._kind(call.func, scopes)
        if kind is None:
            return
        line = call.lineno
        items = _in_source_order([*call.args, *call.keywords])
        positional = list(call.args)
        keywords = [k.arg if k.arg is not None else "**" for k in call.keywords]
        keywords = [k for k in keywords if k != COMMAND_KEYWORD]
        target = ""
        if kind == "activity" and positional and not isinstance(positional[0], ast.Starred):
            target = _full_name(positional[0]) or ""
        command = StampedCommand(
            kind, self._function(), line, shape_hash(kind, target, len(positional), keywords)
        )
        start, end = self._kept
        kept = start <= line <= end
        self.commands.append((command, kept))
        if kind == "patched" and items and not isinstance(items[0], ast.keyword):
            first = items[0].value if isinstance(items[0], ast.Starred) else items[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.patch_sites.append((first.value, kept))
        literal = command_literal(kind, self.workflow, command.function, line, command.shape)
        open_at = self.text.skip(self.text.end(call.func))
        if self.text.data[open_at : open_at + 1] != b"(":
            raise Unsupported("parenthesized callee")
        self._keyword(open_at, self.text.end(call) - 1, items, COMMAND_KEYWORD, literal)

    def _name_class(self, node: ast.ClassDef) -> None:
        text = self.text
        head = text.start(node)
        open_at = text.skip(head + len(b"class"))
        name = node.name.encode("utf-8")
        if not text.data.startswith(name, open_at):
            raise Unsupported("class header")
        open_at = text.skip(open_at + len(name))
        items = _in_source_order([*node.bases, *node.keywords])
        if text.data[open_at : open_at + 1] != b"(" or not items:
            raise Unsupported("class without bases")
        last_end = text.end(items[-1])
        close = text.skip(last_end)
        if text.data[close : close + 1] == b",":
            close = text.skip(close + 1)
        if text.data[close : close + 1] != b")":
            raise Unsupported("class arguments")
        keywords = _in_source_order(node.keywords)
        if keywords and any(_position(b) > _position(keywords[0]) for b in node.bases):
            raise Unsupported("base after a keyword")
        self._keyword(open_at, close, items, "workflow", py_string(self.workflow), keywords)

    def _keyword(
        self,
        open_at: int,
        close: int,
        items: list[ast.AST],
        name: str,
        value: str,
        own: list[ast.AST] | None = None,
    ) -> None:
        """Set keyword ``name=value`` in the argument list ``(`` at ``open_at``, ``)`` at ``close``.

        Reproduces `rewrite._with_keyword` on the LibCST nodes, after checking that the
        text between the items is only whitespace, comments and the commas. ``own`` is
        the list it works on when that is not all of ``items`` (a class's keywords).
        """
        text = self.text
        data = text.data
        if data[close : close + 1] != b")":
            raise Unsupported("argument list")
        if any(isinstance(item, ast.GeneratorExp) for item in items):
            raise Unsupported("bare generator argument")
        commas: list[int] = []
        position = open_at + 1
        for item in items:
            if text.skip(position) != text.start(item):
                raise Unsupported("parenthesized argument")
            after = text.end(item)
            position = text.skip(after)
            if data[position : position + 1] == b",":
                if position != after:
                    raise Unsupported("space before a comma")
                commas.append(position)
                position += 1
            elif text.skip(position) != close:
                raise Unsupported("argument list")
        if text.skip(position) != close:
            raise Unsupported("argument list")
        own = items if own is None else own
        for item in own:
            if isinstance(item, ast.keyword) and item.arg == name:
                self._replace_value(item, value)
                return
        new = f"{name}={value}".encode()
        trailing = len(commas) == len(items) and bool(items)
        if own and trailing:
            # A trailing comma moves to the new argument; the last one is separated from
            # it the way it is from the one before it in the same list (or by ", ").
            between = data[commas[-2] : text.start(own[-1])] if len(own) > 1 else b", "
            self.edits.append((commas[-1], commas[-1], between + new))
            return
        # Appended with LibCST's default comma: ", " after a last argument without one
        # (it owns the whitespace before ``)``), nothing after one that has its own.
        separator = b", " if items and not trailing else b""
        self.edits.append((close, close, separator + new))

    def _replace_value(self, item: ast.keyword, value: str) -> None:
        text = self.text
        start = text.start(item) + len(item.arg or "")
        equals = text.skip(start)
        if text.data[equals : equals + 1] != b"=":
            raise Unsupported("keyword")
        if text.skip(equals + 1) != text.start(item.value) or text.end(item.value) != text.end(
            item
        ):
            raise Unsupported("parenthesized keyword value")
        self.edits.append((text.start(item.value), text.end(item.value), value.encode()))


def _end(node: ast.AST) -> tuple[int, int]:
    """``(end line, end column in bytes)`` of a node that has a position."""
    line = getattr(node, "end_lineno", None)
    column = getattr(node, "end_col_offset", None)
    if line is None or column is None:
        raise Unsupported("node without an end position")
    return line, column


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return decorators[0].lineno if decorators else stmt.lineno


def _position(node: ast.AST) -> tuple[int, int]:
    if hasattr(node, "lineno"):
        return node.lineno, getattr(node, "col_offset", 0)
    children = [_position(child) for child in ast.iter_child_nodes(node)]
    return min(children) if children else (0, 0)


def _in_source_order(nodes: Iterable[ast.AST]) -> list[ast.AST]:
    return sorted(nodes, key=_position)


def _chain(node: ast.expr) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _full_name(node: ast.AST) -> str | None:
    """`libcst.helpers.get_full_name_for_node` on the `ast` equivalent of ``node``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_full_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _full_name(node.func)
    if isinstance(node, ast.Subscript):
        return _full_name(node.value)
    return None
