"""The per-file result cache: content hashes in, final results out, written atomically.

A result entry belongs to one checked file and records the content hash of every file its
analysis read (the file itself, the helpers and base classes it reached). It is valid only
while all of those hashes match, so editing a helper invalidates every workflow that
reaches it. Per-file summaries are cached too, by path and content hash, so that
re-checking such a workflow parses only the edited helper. The directory is ``<cache-dir>/<tool version>-<analyzer digest>/`` with a
``CACHEDIR.TAG`` and a ``*`` ``.gitignore``, like ruff's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .config import Config
from .summary import FileSummary, summary_from_json, summary_to_json

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


@dataclass(slots=True)
class ResultCache:
    """Reads and writes cache entries for one configuration."""

    directory: Path
    scope: str

    @classmethod
    def for_config(cls, config: Config, scope: str) -> ResultCache:
        """The cache of ``config``; ``scope`` adds what else the results depend on."""
        root = config.cache_path
        key = hashlib.sha256(f"{config.cache_key()}|{scope}".encode()).hexdigest()[:16]
        return cls(root / tool_digest() / key, scope)

    def _entry(self, path: Path) -> Path:
        name = hashlib.sha256(str(path).encode()).hexdigest()[:32]
        return self.directory / f"{name}.json"

    def load(self, path: Path, digest: str, hash_of: Any) -> dict[str, Any] | None:
        """The cached payload of ``path`` if its content and whole closure are unchanged.

        ``hash_of(path) -> str | None`` gives the current content hash of a closure file.
        """
        try:
            entry = json.loads(self._entry(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("hash") != digest:
            return None
        for dep, dep_hash in entry.get("closure", []):
            if hash_of(Path(dep)) != dep_hash:
                return None
        payload = entry.get("payload")
        return payload if isinstance(payload, dict) else None

    def store(
        self, path: Path, digest: str, closure: list[tuple[str, str]], payload: dict[str, Any]
    ) -> None:
        """Write an entry atomically (temp file + ``os.replace``); failures are ignored."""
        entry = {"hash": digest, "closure": closure, "payload": payload}
        self._write(self._entry(path), entry)

    def _write(self, target: Path, data: Any) -> None:
        """Atomic JSON write: a temp file in the same directory, then ``os.replace``."""
        with contextlib.suppress(OSError):
            self._prepare()
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, sort_keys=True)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        root = self.directory.parent.parent
        tag = root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="utf-8")
        ignore = root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by continuum.\n*\n", encoding="utf-8")

    # -- per-file summaries ------------------------------------------------------------
    def _summary_entry(self, path: Path, digest: str) -> Path:
        name = hashlib.sha256(f"{path}|{digest}".encode()).hexdigest()[:32]
        return self.directory / "summaries" / f"{name}.json"

    def load_summary(self, path: Path, digest: str) -> FileSummary | None:
        """The cached summary of ``path`` with content hash ``digest``, if any."""
        try:
            data = json.loads(self._summary_entry(path, digest).read_text(encoding="utf-8"))
            summary = summary_from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return summary if summary.content_hash == digest else None

    def store_summary(self, path: Path, summary: FileSummary) -> None:
        """Cache a summary (never one carrying CN901–CN903: those are cheap to redo)."""
        if summary.errors:
            return
        self._write(self._summary_entry(path, summary.content_hash), summary_to_json(summary))
