"""Replay and live logic of the deterministic primitives, attributes and patch markers.

Each journals one ``side_effect`` (or ``attributes_set`` / ``patched``) event at the
live tail and returns the recorded value on replay.
"""

from __future__ import annotations

import random as _random
import secrets
import uuid as _uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..journal import (
    ATTRIBUTES_SET,
    PATCHED,
    SIDE_EFFECT,
    PatchStep,
    ValueStep,
    jsonable,
    load_payload,
    recorded_command,
    user_value,
)
from ._dispatch import RunContext


def _recorded(ctx: RunContext, kind: str, command: Any, produce: Callable[[], Any]) -> Any:
    """Return the JSON data recorded for this call, producing and journaling it if live."""
    cmd = ctx.command(kind, command, kind)
    ctx.enter()
    event = ctx.expect(cmd, (SIDE_EFFECT,))
    if event is not None:
        if type(event) is ValueStep:
            return event.value
        return load_payload(event.payload).get("value")
    data = produce()
    ctx.write(SIDE_EFFECT, cmd, {"kind": kind, "value": data})
    return data


def now(ctx: RunContext, *, command: Any = None) -> datetime:
    """`continuum.now()`."""
    return datetime.fromisoformat(_recorded(ctx, "now", command, lambda: ctx.clock().isoformat()))


def today(ctx: RunContext, *, command: Any = None) -> date:
    """`continuum.today()` (UTC)."""
    text = _recorded(ctx, "today", command, lambda: ctx.clock().date().isoformat())
    return date.fromisoformat(text)


def uuid4(ctx: RunContext, *, command: Any = None) -> _uuid.UUID:
    """`continuum.uuid4()`."""
    return _uuid.UUID(_recorded(ctx, "uuid4", command, lambda: str(_uuid.uuid4())))


def seeded_random(ctx: RunContext, *, command: Any = None) -> _random.Random:
    """`continuum.random()`: a generator seeded from a journaled 64-bit seed."""
    return _random.Random(_recorded(ctx, "random", command, lambda: secrets.randbits(64)))


def side_effect(ctx: RunContext, fn: Callable[[], Any], *, command: Any = None) -> Any:
    """`continuum.side_effect(fn)`: ``fn()`` once, its JSON result replayed afterwards."""
    name = getattr(fn, "__qualname__", "side_effect")
    data = _recorded(
        ctx,
        "side_effect",
        command,
        lambda: jsonable(fn(), what=f"the result of side_effect {name}"),
    )
    return user_value(data)


def set_attributes(ctx: RunContext, attributes: dict[str, Any], *, command: Any = None) -> None:
    """`continuum.set_attributes(**kv)`: journaled and merged into the run in one step."""
    cmd = ctx.command("set_attributes", command, ",".join(sorted(attributes)))
    ctx.enter()
    if ctx.expect(cmd, (ATTRIBUTES_SET,)) is not None:
        return
    data = {
        key: jsonable(value, what=f"attribute {key!r}", root=key)
        for key, value in attributes.items()
    }
    with ctx.step() as writer:
        writer.step.set_attributes(data)
        writer.emit(ATTRIBUTES_SET, cmd, {"attributes": data})


def patched(ctx: RunContext, change_id: str, *, command: Any = None) -> bool:
    """`continuum.patched(change_id)`.

    Live, it journals a marker and returns True. Replaying, it returns True only when
    the marker is recorded at this position; a history made before the patch has
    something else there, so it returns False without consuming anything. The first
    answer per change id is kept for the rest of the run.
    """
    if change_id in ctx.patches:
        return ctx.patches[change_id]
    cmd = ctx.command("patched", command, change_id)
    ctx.enter()
    event = ctx.cursor.peek()
    if event is None:
        ctx.write(PATCHED, cmd, {"change_id": change_id})
        decision = True
    elif (
        event.kind == PATCHED
        and recorded_command(event) == cmd
        and (
            event.change_id
            if type(event) is PatchStep
            else load_payload(event.payload).get("change_id")
        )
        == change_id
    ):
        ctx.cursor.advance()
        decision = True
    else:
        decision = False
    ctx.patches[change_id] = decision
    return decision
