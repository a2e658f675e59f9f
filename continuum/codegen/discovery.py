"""Finding the files that may define workflows, for ``build`` and ``inspect``.

Uses the analyzer's walk and exclusions (`continuum.analyzer.discovery`), with two
additions: a path named explicitly is searched even when it lies in an excluded
directory, and the text prefilter learns the names of workflow classes found so far
(a workflow deriving from a project base class need not mention ``continuum``).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..analyzer.config import Config
from ..analyzer.discovery import is_excluded, iter_python_files, worth_parsing

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


def read_all(
    paths: Sequence[str | Path], config: Config, settings: dict[Path, Config] | None = None
) -> list[Candidate]:
    """Every Python file under ``paths`` with its bytes; ``settings`` gets each file's config."""
    found: dict[Path, bytes] = {}
    for raw in paths:
        effective = settings_for(Path(raw), config)
        for path in iter_python_files([raw], effective):
            try:
                found.setdefault(path, path.read_bytes())
            except OSError:
                continue  # vanished or unreadable: the analyzer reports unreadable files
            if settings is not None:
                settings.setdefault(path, effective)
    return sorted(found.items())


def settings_for(path: Path, config: Config) -> Config:
    """``config``, unless ``path`` itself lies in an excluded directory.

    A path named explicitly is built even then (as ruff checks explicitly named
    paths unless ``--force-exclude``): exclusions apply only below it, so a scratch
    copy under ``.continuum/`` or ``build/`` can be built.
    """
    path = path.resolve()
    if not is_excluded(path, config):
        return config
    return replace(config, root=path if path.is_dir() else path.parent)


def markers_for(config: Config) -> set[bytes]:
    """The prefilter's first markers: ``continuum`` and the configured workflow bases."""
    return {b"continuum", *(b.rpartition(".")[2].encode() for b in config.workflow_bases)}


def admit(pending: list[Candidate], markers: set[bytes]) -> tuple[list[Candidate], list[Candidate]]:
    """Split ``pending`` into files that pass the prefilter and the rest."""
    admitted = [(p, d) for p, d in pending if worth_parsing(d, markers)]
    rest = [(p, d) for p, d in pending if not worth_parsing(d, markers)]
    return admitted, rest
