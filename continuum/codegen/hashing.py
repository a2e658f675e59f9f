"""``version_hash``: sha256 over the canonical form of a workflow's closure."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from .closure import Closure, ClosureEntry
from .normalize import SCHEME_VERSION, canonical

#: Hex digits of the hash used in generated file names (``V_<hash16>.py``).
SHORT_HASH_LENGTH = 16


def closure_text(closure: Closure) -> str:
    """The exact text that is hashed: scheme tag, root, then one line per entry by key."""
    lines = [SCHEME_VERSION, f"root {closure.module.name}:{closure.class_name}"]
    lines.extend(_entry_line(entry) for entry in sorted(closure.entries, key=lambda e: e.key))
    return "\n".join(lines) + "\n"


# Entries compare by identity of their statements: workflows of one build that reach
# the same helper share its line instead of rendering it again.
@lru_cache(maxsize=4096)
def _entry_line(entry: ClosureEntry) -> str:
    # An import is hashed as what it binds, not as its whole statement, so adding an
    # unrelated name to the same ``from x import ...`` line changes nothing.
    body = canonical(list(entry.target) if entry.kind == "import" else list(entry.nodes))
    return f"{entry.key}\t{entry.kind}\t{body}"


def version_hash(closure: Closure) -> str:
    """The full (64 hex digits) version hash of a workflow closure.

    Invariant under formatting, comments, docstrings and line numbers anywhere in the
    closure; any change to its behaviour (a literal, an argument, a helper) changes it.
    """
    return hashlib.sha256(closure_text(closure).encode("utf-8")).hexdigest()


def short_hash(full: str) -> str:
    """The first `SHORT_HASH_LENGTH` hex digits, used in file and module names.

    >>> short_hash("0123456789abcdef" * 4)
    '0123456789abcdef'
    """
    return full[:SHORT_HASH_LENGTH]
