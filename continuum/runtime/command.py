"""Command identity: how an effect call is recognised again on replay.

Generated ``V_<hash>`` modules pass it to every effect call as the keyword
``_command=(kind, workflow, function, line, shape)``, a literal tuple:

- ``kind``: the effect's name (``"activity"``, ``"await_signal"``, ``"timer"`` …);
- ``workflow``: the logical workflow name ``"pkg.mod:Class"``;
- ``function``: the qualified name of the function holding the call (``"OrderFlow.run"``);
- ``line``: the call's line in the workflow's source at build time;
- ``shape``: a short hash of the call's shape (callee text, argument count, keyword names).

Code that is not generated (a workflow run straight from source in a unit test) gets
an identity derived from the caller's frame instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class CommandId(NamedTuple):
    """The identity of one effect call site."""

    kind: str
    workflow: str
    function: str
    line: int
    shape: str

    @classmethod
    def coerce(cls, value: Any) -> CommandId:
        """Accept a `CommandId` or the 5-tuple/list a generated module or journal holds."""
        if isinstance(value, CommandId):
            return value
        kind, workflow, function, line, shape = value
        return cls(str(kind), str(workflow), str(function), int(line), str(shape))

    def matches(self, other: CommandId, *, ignore_line: bool = False) -> bool:
        """Same call site; ``ignore_line`` compares kind, function and shape only."""
        if ignore_line:
            return (self.kind, self.function, self.shape) == (
                other.kind,
                other.function,
                other.shape,
            )
        return self == other
