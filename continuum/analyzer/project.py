"""The project index: which files exist, their module names, and module → file lookups.

Built once in the parent before any worker starts (like LibCST's ``FullRepoManager``) and
passed to workers; it is a small picklable value. Files may come from disk or, for
`check_source`, from an in-memory mapping.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Called with each path a disk lookup probed and found to be no file (the warm replay
#: records them: a module created there changes how an import resolves); None: unused.
on_missing: Callable[[Path], object] | None = None


@dataclass(slots=True)
class SourceFiles:
    """Where source text comes from: the disk, or an in-memory ``{abs path: text}`` map."""

    memory: Mapping[Path, bytes] | None = None

    def is_file(self, path: Path) -> bool:
        """Whether ``path`` is an existing file."""
        if self.memory is not None:
            return path in self.memory
        if path.is_file():
            return True
        if on_missing is not None:
            on_missing(path)
        return False

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes (raises OSError when missing)."""
        if self.memory is not None:
            try:
                return self.memory[path]
            except KeyError as exc:
                raise FileNotFoundError(path) from exc
        return path.read_bytes()


def content_hash(data: bytes) -> str:
    """The cache identity of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when below it, POSIX style."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(path)).as_posix()
        except ValueError:  # another drive on Windows
            return path.as_posix()


@dataclass(slots=True)
class ProjectIndex:
    """Module names ↔ files for the project being checked."""

    files: SourceFiles
    #: Absolute import roots, most specific first.
    roots: tuple[Path, ...] = ()
    #: While set, every module name `find_module` does not find is added to it (memoized
    #: answers too): a summary or a file check records what it looked for in vain, since
    #: creating such a module changes its result.
    missing: set[str] | None = None
    _found: dict[str, Path | None] = field(default_factory=dict, repr=False)

    def add_roots(self, roots: Iterable[Path]) -> None:
        """Add import roots (deduplicated; deeper roots are tried first)."""
        merged = set(self.roots) | {r.resolve() if self.files.memory is None else r for r in roots}
        self.roots = tuple(sorted(merged, key=lambda p: (-len(p.parts), str(p))))
        self._found.clear()

    def module_for_path(self, path: Path) -> tuple[str, Path]:
        """``(module name, import root)`` of a file.

        Walks up while the directory is a package (has ``__init__.py``); the first directory
        without one is the import root. A loose module below a configured root is named
        relative to that root (namespace packages).
        """
        directory = path.parent
        parts = [] if path.name == "__init__.py" else [path.stem]
        if self.files.is_file(directory / "__init__.py"):
            while self.files.is_file(directory / "__init__.py"):
                parts.insert(0, directory.name)
                directory = directory.parent
            return ".".join(parts), directory
        for root in self.roots:
            if root == directory or root in directory.parents:
                rel = directory.relative_to(root).parts
                return ".".join([*rel, *parts]), root
        return ".".join(parts), directory

    def candidates(self, module: str) -> tuple[Path, ...]:
        """The files that would define ``module``, in lookup order (none for a bad name)."""
        if not module or not all(p.isidentifier() for p in module.split(".")):
            return ()
        rel = Path(*module.split("."))
        file, package = rel.with_suffix(".py"), rel / "__init__.py"
        return tuple(path for root in self.roots for path in (root / file, root / package))

    def find_module(self, module: str) -> Path | None:
        """The file defining ``module`` under one of the roots, or None."""
        if module in self._found:
            found = self._found[module]
        else:
            found = next((c for c in self.candidates(module) if self.files.is_file(c)), None)
            self._found[module] = found
        if found is None and self.missing is not None:
            self.missing.add(module)
        return found

    def split(self, dotted: str) -> tuple[str, str] | None:
        """Split a dotted name into ``(project module, qualname)``; None if not project code.

        The longest module prefix that is a project file wins; the qualname may be empty
        when the name is the module itself. Prefixes are tried shortest first and the
        search ends at a plain module (a ``.py`` file, not a package), which has no
        submodules: so ``pkg.mod.func`` never looks ``pkg.mod.func`` up as a module, and a
        recording of `missing` names holds only modules that could really appear.
        """
        parts = dotted.split(".")
        best = 0
        for i in range(1, len(parts) + 1):
            found = self.find_module(".".join(parts[:i]))
            if found is not None:
                best = i
                if found.name != "__init__.py":
                    break
        if not best:
            return None
        return ".".join(parts[:best]), ".".join(parts[best:])
