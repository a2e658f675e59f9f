"""Where a workflow module lives: its import root, its dotted name, its project's modules.

A *project* is every module under one import root. Module names and roots come from
the analyzer (`continuum.analyzer.project.ProjectIndex`), so both tools name a module
alike: walk up from a file while the directory holds an ``__init__.py``; the first
directory without one is the root (``examples/shop/flows/orders.py`` →
``shop.flows.orders``, root ``examples/``); a loose module below a configured ``src``
root is named relative to that root.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..analyzer.project import ProjectIndex, SourceFiles
from .errors import CodegenError

if TYPE_CHECKING:
    from .closure import ModuleTables

#: Packages that are never part of a user's project, even when they sit under its root.
NEVER_PROJECT = frozenset({"continuum"})


def locate(path: Path, src: Iterable[Path] = ()) -> tuple[str, Path]:
    """``(dotted module name, import root)`` of ``path``, named exactly as the analyzer names it.

    Delegates to the analyzer's `ProjectIndex.module_for_path` so that ``build`` and
    ``check`` agree on every module name (a workflow's logical name, and which analyzer
    findings belong to it). ``src`` are the configured resolution roots
    (`Config.resolved_src`): a loose module below one (no ``__init__.py``) is named
    relative to it, as a namespace package.

    Raises `CodegenError` when a component of the name is not an identifier (such a file
    cannot be imported, so it cannot hold a workflow a worker can load).

    >>> locate(Path("/nonexistent/app/flows.py"), [Path("/nonexistent")])
    ('app.flows', PosixPath('/nonexistent'))
    """
    path = path.resolve()
    index = ProjectIndex(SourceFiles())
    index.add_roots(src)
    name, root = index.module_for_path(path)
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise CodegenError(f"{path} is not importable as a module under {root}", path=str(path))
    return name, root


def import_root(path: Path, src: Iterable[Path] = ()) -> Path:
    """The directory ``path`` (a ``.py`` file) is imported relative to (see `locate`).

    >>> import_root(Path("/nonexistent/pkg/mod.py"))
    PosixPath('/nonexistent/pkg')
    """
    path = path.resolve()
    index = ProjectIndex(SourceFiles())
    index.add_roots(src)
    return index.module_for_path(path)[1]


def module_name(path: Path, root: Path | None = None, src: Iterable[Path] = ()) -> str:
    """The dotted module name of ``path``: relative to ``root`` when given, else see `locate`.

    Raises `CodegenError` when a path component is not an identifier.
    """
    if root is None:
        return locate(path, src)[0]
    path = path.resolve()
    root = root.resolve()
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        raise CodegenError(f"{path} is not importable as a module under {root}", path=str(path))
    return ".".join(parts)


@dataclass(slots=True)
class ModuleSource:
    """One parsed module of the project."""

    #: Dotted module name, e.g. ``"shop.pricing"``.
    name: str
    #: File on disk.
    path: Path
    #: Source text.
    text: str
    #: Parsed tree (stdlib `ast`).
    tree: ast.Module
    #: True for a package's ``__init__.py`` (relative imports resolve against itself).
    is_package: bool


@dataclass(slots=True)
class Project:
    """The modules under one import root, parsed lazily and at most once."""

    #: The import root directory.
    root: Path
    _cache: dict[str, ModuleSource | None] = field(default_factory=dict)
    #: `path_of` answers: the closure and the freezer ask about the same names often.
    _paths: dict[str, Path | None] = field(default_factory=dict)
    #: The modules' binding tables, shared by every workflow of one build
    #: (`continuum.codegen.closure.ModuleTables.of`).
    tables: ModuleTables | None = None

    def path_of(self, name: str) -> Path | None:
        """The file of module ``name`` under the root, or None if it is not a project module."""
        if name in self._paths:
            return self._paths[name]
        found: Path | None = None
        parts = name.split(".")
        if parts and parts[0] not in NEVER_PROJECT and all(p.isidentifier() for p in parts):
            base = self.root.joinpath(*parts)
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    found = candidate
                    break
        self._paths[name] = found
        return found

    def is_module(self, name: str) -> bool:
        """True when ``name`` is a module of this project."""
        return self.path_of(name) is not None

    def load(self, name: str) -> ModuleSource | None:
        """Parse module ``name``; None when it is not a project module or does not parse."""
        if name in self._cache:
            return self._cache[name]
        path = self.path_of(name)
        source: ModuleSource | None = None
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
                tree = ast.parse(text, filename=str(path))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                # The analyzer reports unparsable files (CN901/CN902); here such a module
                # simply contributes nothing it could be asked about.
                source = None
            else:
                source = ModuleSource(name, path, text, tree, path.name == "__init__.py")
        self._cache[name] = source
        return source

    def add(self, source: ModuleSource) -> None:
        """Register an already parsed module (the workflow module itself)."""
        self._cache[source.name] = source


def read_module(path: Path, root: Path | None = None, *, name: str = "") -> ModuleSource:
    """Read and parse ``path`` as a module; raises `CodegenError` if it cannot be parsed.

    ``name`` is its module name when already known (from `locate`); otherwise it is
    derived from ``root`` (or from the path alone).
    """
    path = path.resolve()
    name = name or module_name(path, root)
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise CodegenError(f"cannot read: {exc}", path=str(path)) from exc
    except SyntaxError as exc:
        raise CodegenError(
            f"syntax error: {exc.msg}", path=str(path), line=exc.lineno or 0
        ) from exc
    return ModuleSource(name, path, text, tree, path.name == "__init__.py")
