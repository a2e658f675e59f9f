"""The workflow's class keywords, evaluated statically for ``__continuum_workflow__``.

``version``, ``retention``, ``snapshot_threshold``, ``signals`` and ``workflow`` are read
from the class statement without importing user code: literals, module-level
constants, the duration helpers (``days(30)``) and ``datetime.timedelta(...)`` are
understood; anything else is a `CodegenError` that says what to write instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..runtime.workflow import DEFAULT_RETENTION
from .bindings import ModuleTable, dotted_chain
from .errors import CodegenError

_DURATIONS = {
    f"{module}.{unit}": unit
    for module in ("continuum", "continuum.runtime.durations")
    for unit in ("seconds", "minutes", "hours", "days")
}
_TIMEDELTA = frozenset({"datetime.timedelta"})
_KNOWN = frozenset({"version", "retention", "snapshot_threshold", "signals", "workflow"})


@dataclass(frozen=True, slots=True)
class WorkflowOptions:
    """The class keywords of a workflow, as plain values."""

    #: ``"pkg.mod:Name"``: the ``workflow=`` keyword or where the class is defined.
    name: str
    #: ``version=`` (default 1).
    version: int
    #: ``retention=`` in seconds, None for "keep forever".
    retention: float | None
    #: ``snapshot_threshold=`` or None.
    snapshot_threshold: int | None
    #: ``signals=`` as a tuple of names, or None for "any".
    signals: tuple[str, ...] | None
    #: True when the class names its logical identity explicitly (``workflow=``).
    explicit_name: bool


class _Unknown(Exception):
    """An expression the static evaluator does not understand."""


def workflow_options(table: ModuleTable, cls: ast.ClassDef) -> WorkflowOptions:
    """Evaluate the keywords of workflow class ``cls`` (a top-level class of ``table``).

    Raises `CodegenError` for a keyword whose value cannot be known without running
    the module, or that has the wrong type.
    """
    path = str(table.source.path)
    values: dict[str, Any] = {}
    for keyword in cls.keywords:
        if keyword.arg not in _KNOWN:
            continue
        try:
            values[keyword.arg] = _evaluate(keyword.value, table, depth=0)
        except _Unknown:
            raise CodegenError(
                f"{cls.name}: cannot evaluate {keyword.arg}= without running the module; "
                "use a literal, a module-level constant, days()/hours()/minutes()/seconds() "
                "or timedelta(...)",
                path=path,
                line=keyword.value.lineno,
            ) from None
    try:
        return _options(table.source.name, cls.name, values)
    except (TypeError, ValueError) as exc:
        raise CodegenError(f"{cls.name}: {exc}", path=path, line=cls.lineno) from None


def _options(module: str, class_name: str, values: dict[str, Any]) -> WorkflowOptions:
    version = values.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an int, got {version!r}")
    retention = values.get("retention", DEFAULT_RETENTION)
    if isinstance(retention, timedelta):
        retention = retention.total_seconds()
    elif retention is not None:
        if isinstance(retention, bool) or not isinstance(retention, int | float):
            raise TypeError(f"retention must be a duration or None, got {retention!r}")
        retention = float(retention)
    threshold = values.get("snapshot_threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1
    ):
        raise ValueError(f"snapshot_threshold must be a positive int, got {threshold!r}")
    signals = values.get("signals")
    if signals is not None:
        if not isinstance(signals, list | tuple) or not all(isinstance(s, str) for s in signals):
            raise TypeError(f"signals must be a list of strings, got {signals!r}")
        signals = tuple(signals)
    name = values.get("workflow")
    if name is not None and not _valid_name(name):
        raise ValueError(f"workflow must look like 'package.module:ClassName', got {name!r}")
    return WorkflowOptions(
        name=name or f"{module}:{class_name}",
        version=version,
        retention=retention,
        snapshot_threshold=threshold,
        signals=signals,
        explicit_name=name is not None,
    )


def _valid_name(name: object) -> bool:
    """Same rule as `continuum.Workflow`: dotted identifiers, a colon, dotted identifiers."""
    if not isinstance(name, str):
        return False
    module, sep, qualname = name.partition(":")
    parts = [*module.split("."), *qualname.split(".")]
    return bool(sep) and all(part.isidentifier() for part in parts)


def _evaluate(node: ast.expr, table: ModuleTable, *, depth: int) -> Any:
    if depth > 8:  # constants defined in terms of each other, cyclically
        raise _Unknown
    if isinstance(node, ast.Constant | ast.List | ast.Tuple | ast.UnaryOp | ast.BinOp):
        try:
            return ast.literal_eval(node)
        except ValueError:
            if isinstance(node, ast.List | ast.Tuple):
                return [_evaluate(item, table, depth=depth) for item in node.elts]
            raise _Unknown from None
    if isinstance(node, ast.Name):
        return _evaluate_constant(node.id, table, depth=depth)
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
        return _evaluate_call(node, table, depth=depth)
    raise _Unknown


def _evaluate_constant(name: str, table: ModuleTable, *, depth: int) -> Any:
    bindings = table.bindings.get(name, [])
    if len(bindings) != 1 or bindings[0].kind != "assign":
        raise _Unknown
    stmt = table.stmt(bindings[0].index)
    single = isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
    if not (single or isinstance(stmt, ast.AnnAssign)) or stmt.value is None:
        raise _Unknown
    return _evaluate(stmt.value, table, depth=depth + 1)


def _evaluate_call(node: ast.Call, table: ModuleTable, *, depth: int) -> Any:
    chain = dotted_chain(node.func)
    qualified = table.qualify(chain) if chain else None
    args = [_evaluate(arg, table, depth=depth) for arg in node.args]
    kwargs = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Unknown
        kwargs[keyword.arg] = _evaluate(keyword.value, table, depth=depth)
    if not all(isinstance(v, int | float) for v in (*args, *kwargs.values())):
        raise _Unknown
    try:
        if qualified in _DURATIONS and len(args) == 1 and not kwargs:
            return timedelta(**{_DURATIONS[qualified]: args[0]})
        if qualified in _TIMEDELTA:
            return timedelta(*args, **kwargs)
    except (TypeError, OverflowError):
        raise _Unknown from None
    raise _Unknown
