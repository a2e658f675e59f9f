"""Recursion headroom for LibCST's own recursive passes over deeply nested code.

The analyzer's traversals are iterative (`cst_helpers.traverse`), but LibCST's code
generation is not: computing source positions (`PositionProvider`) and printing a node
(``code_for_node``) recurse about twice per nesting level. A long implicit string
concatenation (the standard library's ``pydoc_data/topics.py``) is a right-nested
``ConcatenatedString`` thousands of levels deep, past Python's default limit of 1000.

LibCST's native parser refuses (or cannot build) trees much deeper than a few thousand
levels, so a bounded raise is enough; anything deeper still fails as a `RecursionError`,
which the engine reports as CN903 for that one file.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Frames allowed while one file is analyzed. About 2 frames per nesting level of the
#: deepest tree LibCST's parser builds (a few thousand levels), with room to spare, and
#: far below what would exhaust an 8 MiB C stack on Python ≥ 3.11.
DEEP_LIMIT = 20_000

_lock = threading.Lock()
_users = 0
_saved = 0


@contextmanager
def recursion_headroom(limit: int = DEEP_LIMIT) -> Iterator[None]:
    """Raise the recursion limit to at least ``limit`` inside the block.

    The limit is process-wide: nested and concurrent uses (threads analyzing files at the
    same time) are counted, and the original limit is restored when the last one leaves,
    so no thread sees it drop while it is still deep in a tree. Worker processes each
    have their own limit. A limit already higher than ``limit`` is left alone.
    """
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.getrecursionlimit()
        if sys.getrecursionlimit() < limit:
            sys.setrecursionlimit(limit)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setrecursionlimit(_saved)
