"""Finding the files to check: walk paths, apply excludes, skip generated files, prefilter."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
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


def is_excluded(path: Path, config: Config, *, exempt: int = 0) -> bool:
    """Whether ``path`` (or one of its directories) matches the exclusion settings.

    The first ``exempt`` components of the path relative to the config root are not
    tested: they belong to a path named on the command line, which is checked even
    when it lies in an excluded directory (as in ruff, unless ``--force-exclude``).
    """
    user = (*config.exclude, *config.extend_exclude)
    return _matched(path, config, (*DEFAULT_EXCLUDE, *user), exempt)


def _matched(path: Path, config: Config, patterns: Sequence[str], exempt: int = 0) -> bool:
    """Whether one of ``patterns`` matches ``path`` or one of its directories."""
    try:
        rel_parts = path.resolve().relative_to(config.root).parts
    except ValueError:
        rel_parts = path.parts
    for i in range(exempt + 1, len(rel_parts) + 1):
        name = rel_parts[i - 1]
        rel = "/".join(rel_parts[:i])
        if _matches(rel, name, patterns):
            return True
    return False


def _depth(path: Path, config: Config) -> int:
    try:
        return len(path.relative_to(config.root).parts)
    except ValueError:
        return len(path.parts)


def iter_python_files(
    paths: Sequence[str | Path], config: Config, *, force_exclude: bool = False
) -> Iterator[Path]:
    """Absolute ``.py`` files under ``paths``, sorted, excludes applied, each once.

    A named path is exempt from the exclusions that match it or its directories, and
    the patterns that exclude it are lifted below it too (naming ``legacy`` under
    ``exclude = ["legacy/**"]`` checks all of it); the other exclusions still apply
    below it. With ``force_exclude`` (what pre-commit, which names every file, wants)
    named paths are excluded like any other.
    """
    seen: set[Path] = set()
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).resolve()
        exempt = 0
        below = config
        if not force_exclude:
            exempt = _depth(path, config)
            below = _without_patterns_excluding(path, config)
        if path.is_file():
            if path.suffix in {".py", ".pyi"} or raw in paths:
                candidates: Iterable[Path] = [path]
            else:
                candidates = []
        elif path.is_dir():
            candidates = _walk(path, below, exempt)
        else:
            continue
        for candidate in candidates:
            if candidate not in seen and not is_excluded(candidate, below, exempt=exempt):
                seen.add(candidate)
                found.append(candidate)
    yield from sorted(found)


def _without_patterns_excluding(path: Path, config: Config) -> Config:
    """``config`` minus the user patterns that exclude ``path`` itself.

    Skipping the named path's own components is not enough: ``legacy/**`` also matches
    ``legacy/old.py`` as a whole, so naming ``legacy`` would still find nothing. The
    other patterns (``**/vendored``) keep applying below the named path.
    """
    dropped = {p for p in (*config.exclude, *config.extend_exclude) if _matched(path, config, (p,))}
    if not dropped:
        return config
    return replace(
        config,
        exclude=tuple(p for p in config.exclude if p not in dropped),
        extend_exclude=tuple(p for p in config.extend_exclude if p not in dropped),
    )


def _walk(top: Path, config: Config, exempt: int) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        directory = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not is_excluded(directory / d, config, exempt=exempt)
        )
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield directory / name


def worth_parsing(data: bytes, markers: Iterable[bytes] = (PREFILTER,)) -> bool:
    """The cheap prefilter: mentions one of ``markers`` and is not a generated file.

    >>> worth_parsing(b"from continuum import Workflow"), worth_parsing(b"import os")
    (True, False)
    """
    return any(m in data for m in markers) and GENERATED_MARKER not in data[:2048]
