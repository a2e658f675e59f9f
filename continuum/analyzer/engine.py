"""Analyze one file into a `FileSummary`: decode, parse, one traversal, positions if needed.

`summarize` never raises: a file that does not decode, parse or analyze becomes a summary
carrying CN902, CN901 or CN903 (the LibCST codemod runner's result-not-exception rule).
"""

from __future__ import annotations

import io
import logging
import tokenize
from collections.abc import Sequence
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
)

from .diagnostics import CODES, Diagnostic
from .project import ProjectIndex, content_hash, display_path
from .recursion import recursion_headroom
from .resolve import Resolver, Settings
from .rule import FileContext, RawRecord, Rule
from .summary import (
    Edge,
    EffectCall,
    FileSummary,
    Finding,
    FunctionSummary,
    Pos,
)
from .suppressions import parse_suppressions
from .walker import Walker

logger = logging.getLogger(__name__)


def _pos(positions: dict, node: cst.CSTNode, stmt: cst.CSTNode | None) -> Pos:
    rng: CodeRange = positions[node]
    stmt_line = positions[stmt].start.line if stmt is not None and stmt in positions else 0
    return Pos(
        line=rng.start.line,
        column=rng.start.column + 1,
        end_line=rng.end.line,
        end_column=rng.end.column + 1,
        stmt_line=stmt_line or rng.start.line,
    )


def _split(records: list[RawRecord], positions: dict | None) -> tuple[tuple, tuple, tuple]:
    findings: list[Finding] = []
    edges: list[Edge] = []
    effects: list[EffectCall] = []
    for record in records:
        item = record.item
        if positions is not None:
            pos = _pos(positions, record.node, record.stmt)
            item = _with_pos(item, pos)
        if isinstance(item, Finding):
            findings.append(item)
        elif isinstance(item, Edge):
            edges.append(item)
        else:
            effects.append(item)
    return tuple(findings), tuple(edges), tuple(effects)


def _with_pos(item: Finding | Edge | EffectCall, pos: Pos) -> Finding | Edge | EffectCall:
    from dataclasses import replace

    return replace(item, pos=pos)


def _error(path: str, code: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        code=code,
        message=message,
        severity=CODES[code].severity,
    )


def _syntax_position(text: str, exc: cst.ParserSyntaxError) -> tuple[int, int, str]:
    """Line, column and message of a syntax error; CPython's are more precise when it agrees."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as err:
        return err.lineno or 1, err.offset or 1, f"syntax error: {err.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    return exc.raw_line, exc.raw_column + 1, f"syntax error: {exc.message}"


def _decode(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def summarize(
    path: Path,
    data: bytes,
    *,
    settings: Settings,
    index: ProjectIndex,
    rules: Sequence[type[Rule]] | None = None,
    positions: bool = False,
) -> FileSummary:
    """Analyze one file. Never raises: failures become CN901–CN903 in ``errors``.

    Source positions cost a full code-generation pass, so by default they are computed
    only when the file has findings or effect calls; a file with nothing but references
    to other project code gets ``positioned=False`` and zero positions on its edges (the
    reachability pass asks again with ``positions=True`` if a reported chain runs through
    it).
    """
    shown = display_path(path)
    digest = content_hash(data)
    module, _root = index.module_for_path(path)
    is_package = path.name == "__init__.py"
    try:
        text = _decode(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return FileSummary(
            shown, module, digest, errors=(_error(shown, "CN902", f"cannot decode file: {exc}"),)
        )
    # LibCST's passes recurse per nesting level (positions, printing labels): give them
    # room for deeply nested but valid code while this one file is analyzed.
    with recursion_headroom():
        return _parse_and_analyze(
            shown, module, is_package, digest, text, settings, index, rules, positions
        )


def _parse_and_analyze(
    shown: str,
    module: str,
    is_package: bool,
    digest: str,
    text: str,
    settings: Settings,
    index: ProjectIndex,
    rules: Sequence[type[Rule]] | None,
    positions: bool,
) -> FileSummary:
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, column, message = _syntax_position(text, exc)
        return FileSummary(
            shown, module, digest, errors=(_error(shown, "CN901", message, line, column),)
        )
    except Exception as exc:  # the native parser can fail in other ways on odd input
        return FileSummary(
            shown,
            module,
            digest,
            errors=(_error(shown, "CN901", f"syntax error: {type(exc).__name__}: {exc}"),),
        )
    try:
        return _analyze(
            shown, module, is_package, digest, tree, text, settings, index, rules, positions
        )
    except Exception as exc:  # CN903: one file's failure must not stop the run
        logger.debug("analyzer crashed on %s", shown, exc_info=True)
        summary = f"{type(exc).__name__}: {exc}".strip()
        return FileSummary(
            shown,
            module,
            digest,
            errors=(_error(shown, "CN903", f"analyzer failed on {shown}: {summary[:300]}"),),
        )


def _analyze(
    shown: str,
    module: str,
    is_package: bool,
    digest: str,
    tree: cst.Module,
    text: str,
    settings: Settings,
    index: ProjectIndex,
    rules: Sequence[type[Rule]] | None,
    want_positions: bool,
) -> FileSummary:
    from .rules import ALL_RULES

    resolver = Resolver(module, is_package, settings, index)
    ctx = FileContext(module=module, is_package=is_package, resolver=resolver)
    instances = [rule(ctx) for rule in (ALL_RULES if rules is None else rules)]
    walker = Walker(ctx, instances)
    # The traversal is what classifies names (`Resolver.kind`): record the modules it
    # looked for in vain, then hand them on to an enclosing recording (a file check).
    outer, index.missing = index.missing, set()
    try:
        walker.walk(tree)
    finally:
        missing, index.missing = index.missing, outer
    if outer is not None:
        outer |= missing

    records = [r for frame in walker.functions for r in frame.records] + ctx.module_records
    positions = None
    if want_positions or any(not isinstance(r.item, Edge) for r in records):
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        positions = dict(wrapper.resolve(PositionProvider))
    functions: dict[str, FunctionSummary] = {}
    for frame in walker.functions:
        findings, edges, effects = _split(frame.records, positions)
        functions[frame.qualname] = FunctionSummary(
            qualname=frame.qualname,
            is_async=frame.node.asynchronous is not None,
            deterministic=frame.deterministic,
            findings=findings,
            edges=edges,
            effects=effects,
        )
    module_findings, _, module_effects = _split(ctx.module_records, positions)
    return FileSummary(
        path=shown,
        module=module,
        content_hash=digest,
        functions=functions,
        classes=walker.classes,
        imports=walker.imports,
        globals=walker.globals,
        module_findings=module_findings
        + tuple(
            Finding(
                code="CN302",
                label=f"{e.name}()",
                message=f"`{e.name}()` runs at import time, outside any workflow",
                hint="call effects only from workflow code (the workflow class and its helpers)",
                pos=e.pos,
            )
            for e in module_effects
        ),
        suppressions=parse_suppressions(text),
        positioned=positions is not None or not records,
        missing=tuple(sorted(missing)),
    )
