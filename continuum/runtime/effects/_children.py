"""Replay and live logic of child workflows and `continue_as_new`.

A child's run id is derived from the parent's id, the start's command identity and
journal position, and the caller's ``id=``, so a replayed (or crashed and retried)
start finds the same child instead of creating a second one: the store's
``create_run`` is idempotent on the id. ``child_started`` is journaled after the child
exists; ``await_child`` journals ``child_completed`` / ``child_failed`` once the child
is terminal, else suspends with ``waiting_on="child:<id>"`` (the store wakes the parent
in the transaction that finishes the child). A child that continued as new is
followed to the run that holds its final result.

What `await_child` gives back: the child's result; `ChildCancelledError` (a
`ChildError` with ``error_type="cancelled"``) for a cancelled child; `ChildError` for
one that failed or drifted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

from ..command import CommandId
from ..errors import ChildCancelledError, ChildError, ContinueAsNew, ContinuumError
from ..journal import (
    CHILD_COMPLETED,
    CHILD_FAILED,
    CHILD_STARTED,
    ChildStep,
    jsonable,
    load_payload,
    user_value,
)
from ..store.base import CANCELLED, COMPLETED, CONTINUED, TERMINAL, NewRun, waiting_on_child
from ._dispatch import RunContext

#: Namespace of the UUIDv5 child run ids.
_CHILD_NAMESPACE = uuid.UUID("6f1c1f0e-8a57-4f59-9d0e-2a0c1c1f0e57")


@dataclass(frozen=True, slots=True)
class ChildRef:
    """A child run started by `start_child`; pass it to `await_child`."""

    #: The child's run id (deterministic).
    run_id: str
    #: The child's workflow name.
    workflow: str


def _flow_name(flow: Any) -> str:
    if isinstance(flow, str):
        return flow
    name = getattr(flow, "__continuum_name__", None)
    if name is None:
        raise ContinuumError(f"{flow!r} is neither a Workflow subclass nor a workflow name")
    return str(name)


def child_run_id(parent_id: str, seq: int, key: str | None, command: CommandId) -> str:
    """The deterministic id of the child started at ``seq`` by ``command`` (with ``id=``).

    >>> cmd = CommandId("start_child", "app:P", "P.run", 3, "ab12cd34")
    >>> child_run_id("p1", 4, "x", cmd) == child_run_id("p1", 4, "x", cmd)
    True
    >>> child_run_id("p1", 4, "x", cmd) != child_run_id("p1", 4, "y", cmd)
    True
    """
    identity = "|".join(str(part) for part in command)
    return str(uuid.uuid5(_CHILD_NAMESPACE, f"{parent_id}|{seq}|{identity}|{key or ''}"))


def start_child(
    ctx: RunContext,
    flow: Any,
    input: Any,
    *,
    id: str | None = None,
    command: Any = None,
    kind: str = "start_child",
) -> ChildRef:
    """The `start_child()` effect."""
    name = _flow_name(flow)
    cmd = ctx.command(kind, command, name)
    ctx.enter()
    event = ctx.expect(cmd, (CHILD_STARTED,))
    if event is not None:
        fields = event.fields if type(event) is ChildStep else load_payload(event.payload)
        return ChildRef(fields["child_run_id"], fields["workflow"])
    payload = json.dumps(jsonable(input, what=f"the input of child workflow {name}", root="input"))
    run_id = child_run_id(ctx.run_id, ctx.cursor.next_seq, id, cmd)
    new = NewRun(
        run_id=run_id,
        workflow=name,
        input=payload,
        namespace=ctx.run.namespace,
        attributes=dict(ctx.run.attributes),
        parent_id=ctx.run_id,
        correlation_id=ctx.run.correlation_id or ctx.run_id,
    )
    with ctx.storage() as store:
        record, _ = store.create_run(new)
    if record.parent_id != ctx.run_id:
        raise ContinuumError(f"run id {run_id} already exists and is not a child of {ctx.run_id}")
    ctx.write(CHILD_STARTED, cmd, {"child_run_id": run_id, "workflow": name, "id": id})
    return ChildRef(run_id, name)


def await_child(
    ctx: RunContext, ref: Any, *, command: Any = None, kind: str = "await_child"
) -> Any:
    """The `await_child()` effect: the child's result, or `ChildError`."""
    if not isinstance(ref, ChildRef):
        raise ContinuumError(
            f"await_child() needs the ChildRef start_child() returned, got {ref!r}"
        )
    cmd = ctx.command(kind, command, ref.workflow)
    ctx.enter()
    event = ctx.expect(cmd, (CHILD_COMPLETED, CHILD_FAILED))
    if event is None:
        event_kind, fields = _live_outcome(ctx, ref, cmd)
    elif type(event) is ChildStep:
        event_kind, fields = event.kind, event.fields
    else:
        event_kind, fields = event.kind, load_payload(event.payload)
    if event_kind == CHILD_COMPLETED:
        return user_value(fields.get("result"))
    if fields.get("status") == CANCELLED:
        raise ChildCancelledError(ref.run_id, "cancelled", fields.get("message", ""))
    raise ChildError(
        ref.run_id, fields.get("error_type", fields["status"]), fields.get("message", "")
    )


def _live_outcome(ctx: RunContext, ref: ChildRef, cmd: Any) -> tuple[str, dict[str, Any]]:
    run_id = ref.run_id
    while True:
        with ctx.storage() as store:
            child = store.get_run(run_id)
        if child is None:
            raise ContinuumError(f"child run {run_id} is missing from the store")
        if child.status != CONTINUED:
            break
        # Follow the child's continue_as_new chain to the run that holds the result.
        run_id = json.loads(child.result or "{}").get("continued_as", "")
    if child.status not in TERMINAL:
        ctx.suspend(waiting_on_child(run_id), None)
    if child.status == COMPLETED:
        fields: dict[str, Any] = {
            "child_run_id": ref.run_id,
            "result": json.loads(child.result or "null"),
        }
        kind = CHILD_COMPLETED
    else:
        error = json.loads(child.error) if child.error else {}
        fields = {
            "child_run_id": ref.run_id,
            "status": child.status,
            "error_type": error.get("type", child.status)
            if isinstance(error, dict)
            else child.status,
            "message": error.get("message", "") if isinstance(error, dict) else str(error),
        }
        kind = CHILD_FAILED
    ctx.write(kind, cmd, fields)
    return kind, fields


def run_child(
    ctx: RunContext, flow: Any, input: Any, *, id: str | None = None, command: Any = None
) -> Any:
    """The `run_child()` effect: start a child and wait for it (one command identity)."""
    name = _flow_name(flow)
    cmd = ctx.command("run_child", command, name)
    ref = start_child(ctx, flow, input, id=id, command=cmd)
    return await_child(ctx, ref, command=cmd)


def continue_as_new(ctx: RunContext, input: Any, *, command: Any = None) -> NoReturn:
    """The `continue_as_new()` effect: unwind; the engine finishes the run as ``continued``."""
    ctx.command("continue_as_new", command, "continue_as_new")
    ctx.enter()
    # Nothing is journaled here: the engine creates the successor and finishes the run
    # (and reports drift if recorded events remain past this point).
    jsonable(input, what="the input of continue_as_new", root="input")
    raise ContinueAsNew(input)


def successor_run_id(run_id: str) -> str:
    """The deterministic id of the run that continues ``run_id``."""
    return str(uuid.uuid5(_CHILD_NAMESPACE, f"{run_id}|continued"))
