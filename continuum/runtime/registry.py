"""Generated registries: which version hashes this process can run, and their entrypoints.

``continuum build`` writes ``<out>/__init__.py`` with ``REGISTRY_FORMAT = 1``,
``VERSIONS`` (hash → workflow, module, entrypoint) and ``CURRENT`` (workflow → the hash
new runs are pinned to). A worker loads one or more such modules. A run pinned to a
hash no loaded registry has is ``unknown_version``: it is never run on other code.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .errors import ContinuumError

#: Registry formats this runtime understands.
SUPPORTED_FORMATS = frozenset({1})
#: What `Registry.status_of` reports for a run this registry cannot execute.
UNKNOWN_VERSION = "unknown_version"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One frozen workflow version."""

    version_hash: str
    #: Logical workflow name ``"pkg.mod:Class"``.
    workflow: str
    #: Module holding the frozen copy (``…V_<hash16>``).
    module: str
    #: Class name of the entrypoint inside ``module``.
    entrypoint: str


@dataclass(slots=True)
class Registry:
    """The union of loaded registries."""

    versions: dict[str, VersionInfo] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    _classes: dict[str, type] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, module_names: Iterable[str]) -> Registry:
        """Import registry modules (e.g. ``"shop._continuum"``) and merge them."""
        registry = cls()
        for name in module_names:
            try:
                module = importlib.import_module(name)
            except ImportError as err:
                raise ContinuumError(
                    f"cannot import registry module {name!r} ({err}); check --path/sys.path "
                    "and that `continuum build` has written it"
                ) from err
            registry.add_module(module)
        return registry

    @classmethod
    def from_classes(cls, *flows: type) -> Registry:
        """A registry running workflow classes straight from source (unit tests, `continuum.testing`).

        Each class gets a synthetic hash ``src-…`` derived from its name; runs pinned to
        it replay against whatever the source says now.
        """
        registry = cls()
        for flow in flows:
            name = flow.__continuum_name__  # type: ignore[attr-defined]
            digest = "src-" + hashlib.sha256(name.encode()).hexdigest()[:16]
            registry.versions[digest] = VersionInfo(
                digest, name, flow.__module__, flow.__qualname__
            )
            registry.current[name] = digest
            registry._classes[digest] = flow
        return registry

    def add_module(self, module: ModuleType) -> None:
        """Merge one generated registry module."""
        fmt = getattr(module, "REGISTRY_FORMAT", None)
        if fmt not in SUPPORTED_FORMATS:
            raise ContinuumError(
                f"{module.__name__} is not a registry this runtime can read (REGISTRY_FORMAT="
                f"{fmt!r}); rebuild it with this version's `continuum build`"
            )
        self.add(getattr(module, "VERSIONS", {}), getattr(module, "CURRENT", {}))

    def add(self, versions: Mapping[str, Mapping[str, Any]], current: Mapping[str, str]) -> None:
        """Merge registry data in the generated format."""
        for version_hash, entry in versions.items():
            self.versions[version_hash] = VersionInfo(
                version_hash, str(entry["workflow"]), str(entry["module"]), str(entry["entrypoint"])
            )
        self.current.update(current)

    @property
    def known_versions(self) -> frozenset[str]:
        """Every version hash this registry can execute."""
        return frozenset(self.versions)

    def entrypoint(self, version_hash: str) -> type:
        """The workflow class frozen for ``version_hash`` (imported once, then cached)."""
        with self._lock:
            cached = self._classes.get(version_hash)
            if cached is not None:
                return cached
            info = self.versions.get(version_hash)
            if info is None:
                raise ContinuumError(f"version {version_hash} is not in any loaded registry")
            try:
                target: Any = importlib.import_module(info.module)
                for part in info.entrypoint.split("."):
                    target = getattr(target, part)
            except (ImportError, AttributeError) as err:
                # Forget the version so this worker stops claiming its runs (they wait,
                # as unknown_version, for a worker that can load it) instead of spinning.
                self._disable(version_hash)
                raise ContinuumError(
                    f"cannot load {info.module}:{info.entrypoint} for version "
                    f"{version_hash[:16]} ({err}); this worker no longer runs that version"
                ) from err
            self._classes[version_hash] = target
            return target

    def _disable(self, version_hash: str) -> None:
        info = self.versions.pop(version_hash, None)
        if info is not None and self.current.get(info.workflow) == version_hash:
            del self.current[info.workflow]

    def status_of(self, status: str, version_hash: str | None, workflow: str) -> str:
        """A run's status as this registry sees it: ``unknown_version`` if it cannot run it."""
        from .store.base import TERMINAL

        if status in TERMINAL:
            return status
        if version_hash is None:
            return status if workflow in self.current else UNKNOWN_VERSION
        return status if version_hash in self.versions else UNKNOWN_VERSION


def locate_registries(target: str) -> tuple[str | None, list[str]]:
    """Find registry modules from a worker's TARGET argument.

    ``target`` is either a module name (``shop._continuum``) or a directory: a package
    holding ``_continuum/`` (``examples/shop`` → ``shop._continuum``, with ``examples``
    as the import root) or an import root whose packages hold one (``examples``).
    Returns (directory to put on ``sys.path`` or None, registry module names).
    """
    from pathlib import Path

    path = Path(target)
    if not path.is_dir():
        return None, [target]
    path = path.resolve()
    if (path / "_continuum" / "__init__.py").is_file():
        return str(path.parent), [f"{path.name}._continuum"]
    found = sorted(
        f"{child.name}._continuum"
        for child in path.iterdir()
        if (child / "_continuum" / "__init__.py").is_file()
    )
    if not found:
        raise ContinuumError(
            f"no generated registry under {target}: run `continuum build {target}` first"
        )
    return str(path), found
