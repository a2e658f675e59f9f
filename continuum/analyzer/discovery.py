"""Finding the files to check: walk paths, apply excludes, skip generated files, prefilter."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .config import DEFAULT_EXCLUDE, Config

#: Marker of generated files (LibCST/Fixit convention); such files are skipped.
GENERATED_MARKER = b"@" + b"generated"
#: Files that never mention this are not workflow modules and are not parsed up front.
PREFILTER = b"continuum"


def _matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(rel, pattern):
            return True
        # "dir/**" also excludes "dir" itself and "a/**/b" matches at any depth.
        if pattern.endswith("/**") and (
            fnmatch.fnmatchcase(rel, pattern[:-3]) or fnmatch.fnmatchcase(rel + "/", pattern[:-2])
        ):
            return True
    return False


def is_excluded(path: Path, config: Config) -> bool:
    """Whether ``path`` (or one of its directories) matches the exclusion settings."""
    try:
        rel_parts = path.resolve().relative_to(config.root).parts
    except ValueError:
        rel_parts = path.parts
    user = (*config.exclude, *config.extend_exclude)
    for i in range(1, len(rel_parts) + 1):
        name = rel_parts[i - 1]
        rel = "/".join(rel_parts[:i])
        if _matches(rel, name, DEFAULT_EXCLUDE) or _matches(rel, name, user):
            return True
    return False


def iter_python_files(paths: Sequence[str | Path], config: Config) -> Iterator[Path]:
    """Absolute ``.py`` files under ``paths``, sorted, excludes applied, each once."""
    seen: set[Path] = set()
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_file():
            if path.suffix in {".py", ".pyi"} or raw in paths:
                candidates: Iterable[Path] = [path]
            else:
                candidates = []
        elif path.is_dir():
            candidates = _walk(path, config)
        else:
            continue
        for candidate in candidates:
            if candidate not in seen and not is_excluded(candidate, config):
                seen.add(candidate)
                found.append(candidate)
    yield from sorted(found)


def _walk(top: Path, config: Config) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        directory = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not is_excluded(directory / d, config))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield directory / name


def worth_parsing(data: bytes, markers: Iterable[bytes] = (PREFILTER,)) -> bool:
    """The cheap prefilter: mentions one of ``markers`` and is not a generated file.

    >>> worth_parsing(b"from continuum import Workflow"), worth_parsing(b"import os")
    (True, False)
    """
    return any(m in data for m in markers) and GENERATED_MARKER not in data[:2048]
