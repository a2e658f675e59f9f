"""Finding the files to check: walk paths, apply excludes, skip generated files, prefilter."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from .config import DEFAULT_EXCLUDE, Config

#: Marker of generated files (LibCST/Fixit convention); such files are skipped.
GENERATED_MARKER = b"@" + b"generated"
#: Files that never mention this are not workflow modules and are not parsed up front.
PREFILTER = b"continuum"


def _matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    name_re, rel_re, dir_re = _compiled(tuple(patterns))
    return bool(name_re.match(name) or rel_re.match(rel) or dir_re.match(rel + "/"))


@lru_cache(maxsize=64)
def _compiled(
    patterns: tuple[str, ...],
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns as three alternations: one regex each instead of one fnmatch per pattern.

    The rules: a pattern matches a component's name or its root-relative path; ``dir/**``
    also matches ``dir`` itself, and ``a/**/b`` matches at any depth (tested on ``rel/``).
    """
    names: list[str] = []
    rels: list[str] = []
    dirs: list[str] = []
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        names.append(fnmatch.translate(pattern))
        rels.append(fnmatch.translate(pattern))
        if pattern.endswith("/**"):
            rels.append(fnmatch.translate(pattern[:-3]))
            dirs.append(fnmatch.translate(pattern[:-2]))
    never = r"(?!)"
    return (
        re.compile("|".join(names) or never),
        re.compile("|".join(rels) or never),
        re.compile("|".join(dirs) or never),
    )


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
        walked = False
        if path.is_file():
            if path.suffix in {".py", ".pyi"} or raw in paths:
                candidates: Iterable[Path] = [path]
            else:
                candidates = []
        elif path.is_dir():
            # `_walk` tests what lies below ``path``; ``path`` and its directories (all
            # exempt unless ``force_exclude``) are tested here, once.
            if is_excluded(path, below, exempt=exempt):
                continue
            candidates = _walk(path, below, exempt)
            walked = True
        else:
            continue
        for candidate in candidates:
            if candidate in seen:
                continue
            # Walked files were tested (and their directories pruned) by `_walk` already.
            if walked or not is_excluded(candidate, below, exempt=exempt):
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
    """``.py`` files below ``top``, excluded directories pruned, excluded files dropped.

    Every directory is tested when it is entered, so a file only needs its own name and
    path tested (not each of its directories again), and without ``resolve()``: the
    walk starts from a resolved path and does not follow directory symlinks.
    """
    patterns = (*DEFAULT_EXCLUDE, *config.exclude, *config.extend_exclude)
    root = str(config.root)
    for dirpath, dirnames, filenames in os.walk(top):
        directory = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not is_excluded(directory / d, config, exempt=exempt)
        )
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/") if dirpath != root else ""
        outside = rel_dir.startswith("..")
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = directory / name
            if outside:
                # Outside the root, the components tested are the absolute path's.
                if not is_excluded(path, config, exempt=exempt):
                    yield path
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if rel.count("/") + 1 <= exempt or not _matches(rel, name, patterns):
                yield path


def worth_parsing(data: bytes, markers: Iterable[bytes] = (PREFILTER,)) -> bool:
    """The cheap prefilter: mentions one of ``markers`` and is not a generated file.

    >>> worth_parsing(b"from continuum import Workflow"), worth_parsing(b"import os")
    (True, False)
    """
    return prefilter(tuple(markers))(data)


class _Prefilter:
    """`worth_parsing` for a fixed marker set: one regex search per file.

    Testing hundreds of markers (workflow class names, in the later prefilter rounds)
    with ``in`` one by one cost more than everything else in a warm run.
    """

    __slots__ = ("_search",)

    def __init__(self, markers: tuple[bytes, ...]) -> None:
        if b"" in markers:  # the empty marker is in every file, as with ``in``
            self._search = re.compile(b"").search
            return
        alternatives = b"|".join(re.escape(m) for m in sorted(set(markers)))
        self._search = re.compile(alternatives).search if alternatives else None

    def __call__(self, data: bytes) -> bool:
        if self._search is None or self._search(data) is None:
            return False
        return GENERATED_MARKER not in data[:2048]


@lru_cache(maxsize=64)
def prefilter(markers: tuple[bytes, ...]) -> _Prefilter:
    """A reusable `worth_parsing` for ``markers`` (a tuple, so that it can be memoized)."""
    return _Prefilter(markers)
