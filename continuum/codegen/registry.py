"""The output tree of ``continuum build``: version modules on disk and the registry.

An output directory ``<out>`` is an importable package (``shop._continuum``). It holds
``<out>/<module path>/V_<hash16>.py`` per version and ``<out>/__init__.py``, the
registry: ``VERSIONS`` (every version module on disk) and ``CURRENT`` (per logical
workflow, the version its source has now). Workers import the registry by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CodegenError
from .render import RegistryRow, digest, render_registry, split_header, verify_digest

#: Directory name of the default output package, inside the workflow's top-level package.
DEFAULT_OUT_NAME = "_continuum"


@dataclass(frozen=True, slots=True)
class OutputDir:
    """Where generated code goes, and the package name it imports under."""

    #: The directory (absolute).
    path: Path
    #: Its dotted package name (``"shop._continuum"``).
    package: str

    @property
    def registry_path(self) -> Path:
        """``<out>/__init__.py``."""
        return self.path / "__init__.py"

    def version_path(self, module: str, file_name: str) -> Path:
        """Where the version module of workflow module ``module`` goes."""
        return self.path.joinpath(*module.split("."), file_name)

    def dotted(self, path: Path) -> str:
        """The import name of a ``.py`` file under this directory."""
        parts = path.relative_to(self.path).with_suffix("").parts
        return ".".join((self.package, *parts))


def default_output(root: Path, module: str) -> OutputDir:
    """``_continuum`` inside the workflow's top-level package (``root/shop/_continuum``).

    A workflow module at the top level of its root (no package) gets ``root/_continuum``.
    """
    top = module.split(".")[0]
    if (root / top).is_dir() and "." in module:
        return OutputDir((root / top / DEFAULT_OUT_NAME).resolve(), f"{top}.{DEFAULT_OUT_NAME}")
    return OutputDir((root / DEFAULT_OUT_NAME).resolve(), DEFAULT_OUT_NAME)


def explicit_output(path: Path) -> OutputDir:
    """An ``--out`` directory; its package name comes from the ``__init__.py`` files above it."""
    path = path.resolve()
    parts = [path.name]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.append(directory.name)
        directory = directory.parent
    if not all(part.isidentifier() for part in parts):
        raise CodegenError(f"output directory {path} is not importable as a package")
    return OutputDir(path, ".".join(reversed(parts)))


@dataclass(frozen=True, slots=True)
class VersionFile:
    """A generated version module found on disk."""

    #: The file.
    path: Path
    #: Its import name.
    module: str
    #: Its ``__continuum_workflow__`` (empty when it cannot be read).
    metadata: Mapping[str, Any]
    #: True when its header digest matches its content.
    intact: bool
    #: Modules its top-level imports name (``None`` when it cannot be read as UTF-8
    #: Python); kept from the one parse `scan_versions` makes, for `imported_helpers`.
    imports: tuple[str, ...] | None = None

    @property
    def version_hash(self) -> str:
        """The full version hash it declares ("" if unreadable)."""
        return str(self.metadata.get("version_hash", ""))

    @property
    def well_named(self) -> bool:
        """True when the file name carries the hash the module declares."""
        return bool(self.version_hash) and self.path.stem == f"V_{self.version_hash[:16]}"

    @property
    def workflow(self) -> str:
        """The logical workflow name it declares ("" if unreadable)."""
        return str(self.metadata.get("workflow", ""))


def read_metadata(text: str) -> dict[str, Any]:
    """The ``__continuum_workflow__`` literal of a version module, without importing it."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    return _metadata_of(tree)


def _metadata_of(tree: ast.Module) -> dict[str, Any]:
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "__continuum_workflow__"
        ):
            try:
                value = ast.literal_eval(stmt.value)
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _imported_modules(tree: ast.Module) -> tuple[str, ...]:
    """The absolute modules named by the top-level imports of ``tree``."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return tuple(names)


def scan_versions(out: OutputDir) -> list[VersionFile]:
    """Every ``V_*.py`` under ``out``, sorted by path; each file is read and parsed once."""
    if not out.path.is_dir():
        return []
    found = []
    for path in sorted(out.path.rglob("V_*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree: ast.Module | None = ast.parse(text)
        except SyntaxError:
            tree = None
        metadata = _metadata_of(tree) if tree is not None else {}
        imports = _imported_modules(tree) if tree is not None and _is_utf8(path, text) else None
        found.append(
            VersionFile(path, out.dotted(path), metadata, verify_digest(text) is True, imports)
        )
    return found


def _is_utf8(path: Path, text: str) -> bool:
    # A replacement character is either in the file or stands for undecodable bytes:
    # only then is the (rare) strict read needed to tell which.
    if "\ufffd" not in text:
        return True
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class HelperFile:
    """A generated helpers module (``H_<digest>.py``) found on disk."""

    path: Path
    #: True when its header digest matches its content and its name carries that digest.
    intact: bool


def scan_helpers(out: OutputDir) -> list[HelperFile]:
    """Every ``H_*.py`` under ``out``, sorted by path."""
    if not out.path.is_dir():
        return []
    found = []
    for path in sorted(out.path.rglob("H_*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        named = path.stem == f"H_{digest(split_header(text)[1])[:16]}"
        found.append(HelperFile(path, named and verify_digest(text) is True))
    return found


def imported_helpers(
    out: OutputDir, versions: list[VersionFile] | None = None
) -> list[tuple[Path, Path]]:
    """``(version module, missing helper file)`` for each helper import that has no file.

    ``versions`` is `scan_versions` of ``out`` when the caller has it already.
    """
    missing = []
    prefix = out.package + "."
    for version in scan_versions(out) if versions is None else versions:
        for name in version.imports or ():
            if not name.startswith(prefix) or not name.rpartition(".")[2].startswith("H_"):
                continue
            path = out.path.joinpath(*name[len(prefix) :].split(".")).with_suffix(".py")
            if not path.is_file():
                missing.append((version.path, path))
    return missing


def read_current(out: OutputDir) -> dict[str, str]:
    """``CURRENT`` of the existing registry ({} when there is none or it is unreadable)."""
    try:
        tree = ast.parse(out.registry_path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "CURRENT"
        ):
            try:
                value = ast.literal_eval(stmt.value)
            except ValueError:
                return {}
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
    return {}


def registry_text(versions: Iterable[VersionFile], current: Mapping[str, str]) -> str:
    """The registry for ``versions``; ``current`` entries without a module are dropped.

    Deterministic: versions sorted by workflow then hash, current by workflow.
    """
    rows = {
        v.version_hash: RegistryRow(v.workflow, v.module, str(v.metadata.get("entrypoint", "")))
        for v in versions
        if v.well_named
    }
    ordered = sorted(rows.items(), key=lambda item: (item[1].workflow, item[0]))
    live = sorted((name, h) for name, h in current.items() if h in rows)
    return render_registry(ordered, live)
