"""Writing generated files: atomically, and never over an existing version module."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _temp_copy(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when writing: a check that writes nothing skips its import

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(name)


def write_new(path: Path, text: str) -> bool:
    """Create ``path`` with ``text``; False (and nothing written) if it already exists.

    The file appears complete or not at all, and an existing file is never replaced,
    not even by a concurrent build: the final step is a hard link, which fails if the
    name is taken.
    """
    if path.exists():
        return False
    temp = _temp_copy(path, text)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError:
        # No hard links on this filesystem: exclusive create still never replaces.
        return _create_exclusive(path, text)
    finally:
        temp.unlink()
    return True


def _create_exclusive(path: Path, text: str) -> bool:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        return False
    return True


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace ``path`` with ``text`` unless it already holds exactly that."""
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return False
    temp = _temp_copy(path, text)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True
