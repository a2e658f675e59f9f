"""Finding the files that may define workflows, for ``build`` and ``inspect``.

Uses the analyzer's walk and exclusions (`continuum.analyzer.discovery`: a path named
explicitly is searched even when it lies in an excluded directory), with one addition:
the text prefilter learns the names of workflow classes found so far (a workflow
deriving from a project base class need not mention ``continuum``).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from ..analyzer.config import Config
from ..analyzer.discovery import iter_python_files, prefilter

#: ``(path, content)`` of a candidate file.
Candidate = tuple[Path, bytes]


def discover(paths: Sequence[str | Path], config: Config) -> list[Path]:
    """Python files under ``paths`` that may define workflows (cheap text prefilter).

    A file qualifies when it mentions ``continuum`` or a configured workflow base, or
    names a class with bases defined in a file that qualified (a workflow deriving
    from a project base class need not mention continuum). Over-admitting is fine:
    admitted files are parsed and checked properly.
    """
    pending = read_all(paths, config)
    markers = markers_for(config)
    found: list[Path] = []
    while pending:
        admitted, pending = admit(pending, markers)
        found.extend(path for path, _ in admitted)
        names = {name.encode() for _, data in admitted for name in _subclass_names(data)}
        if names <= markers:
            break
        markers |= names
    return sorted(found)


def _subclass_names(data: bytes) -> list[str]:
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.bases]


def read_all(paths: Sequence[str | Path], config: Config) -> list[Candidate]:
    """Every Python file under ``paths`` with its bytes, sorted by path.

    A path named explicitly is searched even when it lies in an excluded directory (a
    scratch copy under ``.continuum/`` or ``build/``): `iter_python_files` applies the
    exclusions only below it, as ``continuum check`` does.
    """
    found: dict[Path, bytes] = {}
    for path in iter_python_files(paths, config):
        try:
            found[path] = path.read_bytes()
        except OSError:
            continue  # vanished or unreadable: the analyzer reports unreadable files
    return sorted(found.items())


def markers_for(config: Config) -> set[bytes]:
    """The prefilter's first markers: ``continuum`` and the configured workflow bases."""
    return {b"continuum", *(b.rpartition(".")[2].encode() for b in config.workflow_bases)}


def admit(pending: list[Candidate], markers: set[bytes]) -> tuple[list[Candidate], list[Candidate]]:
    """Split ``pending`` into files that pass the prefilter and the rest.

    Uses the analyzer's compiled prefilter, so both commands admit the same files.
    """
    worth = prefilter(tuple(sorted(markers)))
    admitted: list[Candidate] = []
    rest: list[Candidate] = []
    for candidate in pending:
        (admitted if worth(candidate[1]) else rest).append(candidate)
    return admitted, rest
