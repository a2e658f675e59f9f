"""Postgres ``jsonb @>`` containment in Python, so the in-memory store filters like Postgres.

`Client.query(attributes=...)` and ``continuum runs list --attr`` select runs whose
attributes *contain* the given document. Postgres decides that with ``@>``; the
in-memory store must give the same answer, nested values included:

>>> contains({"plan": {"tier": "pro", "seats": 5}}, {"plan": {"tier": "pro"}})
True
>>> contains({"tags": ["a", "b"]}, {"tags": ["b"]})
True
>>> contains({"flag": 1}, {"flag": True})
False
"""

from __future__ import annotations

from typing import Any


def contains(document: Any, pattern: Any) -> bool:
    """True when JSON value ``document`` contains ``pattern`` as Postgres ``@>`` decides.

    Objects contain objects whose keys they all have with contained values; arrays
    contain arrays whose every element some element of theirs contains (order and
    duplicates do not matter); scalars must be equal, and booleans are never numbers.
    """
    if isinstance(pattern, dict):
        return isinstance(document, dict) and all(
            key in document and contains(document[key], value) for key, value in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(document, list) and all(
            any(_element_contains(item, wanted) for item in document) for wanted in pattern
        )
    return _scalar_equal(document, pattern)


def _element_contains(item: Any, wanted: Any) -> bool:
    # Inside an array a scalar only matches a scalar, a container only a container.
    if isinstance(wanted, dict | list):
        return contains(item, wanted)
    return not isinstance(item, dict | list) and _scalar_equal(item, wanted)


def _scalar_equal(left: Any, right: Any) -> bool:
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right
