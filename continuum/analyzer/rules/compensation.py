"""CN204: activities a saga's compensation does not cover.

Decided by the reachability pass over the recorded effect calls of everything a workflow
reaches: with ``compensate_all()`` present, every activity should say ``compensate=`` (or
``compensate=None``); a ``compensate=`` that no ``compensate``/``compensate_all`` call can
ever trigger is dead. This class carries the cases.
"""

from __future__ import annotations

from ..rule import Invalid, Rule, Valid, workflow

_IMPORTS = "from continuum import compensate, compensate_all\n\ndef step(o): ...\ndef undo(o): ..."


class Compensation(Rule):
    """Cases for CN204 (the logic is in ``reach.py``)."""

    CODES = ("CN204",)

    VALID = (
        Valid(
            workflow(
                "activity(step, order, compensate=undo)\nactivity(step, order, "
                "compensate=None)\ncompensate_all()",
                _IMPORTS,
            )
        ),
        Valid(workflow("ref = activity(step, order, compensate=undo)\ncompensate(ref)", _IMPORTS)),
        Valid(workflow("activity(step, order)\nreturn 1", _IMPORTS)),
    )
    INVALID = (
        Invalid(
            workflow(
                "activity(step, order, compensate=undo)\nactivity(step, order)\ncompensate_all()",
                _IMPORTS,
            ),
            "CN204",
            line=11,
        ),
        Invalid(workflow("activity(step, order, compensate=undo)\nreturn 1", _IMPORTS), "CN204"),
    )
