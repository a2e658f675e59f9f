"""The per-file result cache: content hashes in, final results out, written atomically.

A result entry belongs to one checked file and records its content hash, the paths of
every other file its analysis read (the helpers and base classes it reached) and of every
candidate file of a module it looked for and did not find (as absent), and one digest of
their content hashes. It is valid only while all of those match, so editing a helper
invalidates every workflow that reaches it, and creating a module it looked for in vain
invalidates it too. All result entries of a cache scope live in ONE file,
``results.json``, read once per run and rewritten once at its end (merged with what a
concurrent run wrote meanwhile, then ``os.replace``): a warm run opens one cache file
instead of one per checked file. Per-file summaries are cached too, one file each by
path and content hash (they are only read for files that must be re-analyzed, and
dropped when a module they looked for in vain now exists), so that re-checking such a
workflow parses only the edited helper. The
directory is ``<cache-dir>/<tool version>-<analyzer digest>/<scope>/`` with a
``CACHEDIR.TAG`` and a ``*`` ``.gitignore`` at ``<cache-dir>``, like ruff's.
``<cache-dir>/warm/`` holds the records of the warm replay (`continuum.cli.warm`), which
answers an identical re-run on an unchanged tree before any of this is imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config

if TYPE_CHECKING:
    from .summary import FileSummary

_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by continuum.\n"
)


@cache
def tool_digest() -> str:
    """The tool version plus a digest of the analyzer's own source (a dev edit busts caches)."""
    from continuum import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"


def prepare_cache_root(root: str | os.PathLike[str]) -> None:
    """Create the cache directory with its ``CACHEDIR.TAG`` and ``*`` ``.gitignore``.

    Raises OSError when it cannot be created.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tag = root / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(_TAG, encoding="utf-8")
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Automatically created by continuum.\n*\n", encoding="utf-8")


#: Bumped when the layout of ``results.json`` changes; another version reads as empty.
#: 3: closures name the candidate files of modules looked up in vain.
RESULTS_FORMAT = 3
RESULTS_FILE = "results.json"


def closure_digest(hashes: Iterable[str | None]) -> str:
    """One digest of the content hashes of a closure's files (None: unreadable)."""
    digest = hashlib.sha256()
    for value in hashes:
        digest.update((value or "-").encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(slots=True)
class ResultCache:
    """Reads and writes cache entries for one configuration."""

    directory: Path
    scope: str
    #: ``results.json``'s entries by path, read on first use.
    _entries: dict[str, Any] | None = field(default=None, repr=False)
    #: Entries stored by this run, written by `flush`.
    _dirty: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def for_config(cls, config: Config, scope: str) -> ResultCache:
        """The cache of ``config``; ``scope`` adds what else the results depend on."""
        root = config.cache_path
        key = hashlib.sha256(f"{config.cache_key()}|{scope}".encode()).hexdigest()[:16]
        return cls(root / tool_digest() / key, scope)

    def _read_results(self) -> dict[str, Any]:
        """The entries on disk; a missing, truncated or foreign file reads as empty."""
        try:
            data = json.loads((self.directory / RESULTS_FILE).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def load(
        self, path: Path, digest: str, hash_of: Callable[[str], str | None]
    ) -> dict[str, Any] | None:
        """The cached payload of ``path`` if its content and whole closure are unchanged.

        ``hash_of(path) -> str | None`` gives the current content hash of a closure file
        (named by its absolute path as a string), None when it is absent.
        """
        if self._entries is None:
            self._entries = self._read_results()
        entry = self._entries.get(str(path))
        # Entry: [content hash, [other closure paths], digest of their hashes, payload].
        if not isinstance(entry, list) or len(entry) != 4 or entry[0] != digest:
            return None
        _, deps, deps_digest, payload = entry
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            return None
        if closure_digest(hash_of(dep) for dep in deps) != deps_digest:
            return None
        return payload if isinstance(payload, dict) else None

    def store(
        self, path: Path, digest: str, closure: list[tuple[str, str]], payload: dict[str, Any]
    ) -> None:
        """Record an entry; `flush` writes it. ``closure`` is (path, content hash) pairs
        ("" for a file that must stay absent)."""
        key = str(path)
        deps = sorted((p, h) for p, h in closure if p != key)
        entry = [digest, [p for p, _ in deps], closure_digest(h for _, h in deps), payload]
        if self._entries is None:
            self._entries = self._read_results()
        self._entries[key] = entry
        self._dirty[key] = entry

    def flush(self) -> None:
        """Write this run's entries into ``results.json`` atomically; failures are ignored.

        The file is read again first and this run's entries merged over it, so what a
        concurrent run stored meanwhile is kept unless both wrote the same path (then
        the last writer wins, and both entries were valid for their contents). Two runs
        flushing at the same moment can still lose one's new entries: a later run just
        recomputes them. ``os.replace`` means a reader never sees a half-written file.
        """
        if not self._dirty:
            return
        entries = self._read_results()
        entries.update(self._dirty)
        self._write(self.directory / RESULTS_FILE, {"format": RESULTS_FORMAT, "entries": entries})
        self._dirty.clear()

    def _write(self, target: Path, data: Any) -> None:
        """Atomic JSON write: a temp file in the same directory, then ``os.replace``."""
        with contextlib.suppress(OSError):
            self._prepare()
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, sort_keys=True, separators=(",", ":"))
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        prepare_cache_root(self.directory.parent.parent)

    # -- per-file summaries ------------------------------------------------------------
    def _summary_entry(self, path: Path, digest: str) -> Path:
        name = hashlib.sha256(f"{path}|{digest}".encode()).hexdigest()[:32]
        return self.directory / "summaries" / f"{name}.json"

    def load_summary(
        self, path: Path, digest: str, find_module: Callable[[str], object]
    ) -> FileSummary | None:
        """The cached summary of ``path`` with content hash ``digest``, if any.

        A summary classified names by which modules exist: it is discarded when
        ``find_module`` now finds one it recorded as missing.
        """
        from .summary import summary_from_json  # not needed by a run answered from results

        try:
            data = json.loads(self._summary_entry(path, digest).read_text(encoding="utf-8"))
            summary = summary_from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if summary.content_hash != digest:
            return None
        if any(find_module(module) is not None for module in summary.missing):
            return None
        return summary

    def store_summary(self, path: Path, summary: FileSummary) -> None:
        """Cache a summary (never one carrying CN901–CN903: those are cheap to redo)."""
        if summary.errors:
            return
        from .summary import summary_to_json

        self._write(self._summary_entry(path, summary.content_hash), summary_to_json(summary))
