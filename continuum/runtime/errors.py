"""Every runtime exception, in one place.

`ContinuumError` is the base of everything a caller may catch. The control-flow
exceptions at the bottom derive from `BaseException` so that an ordinary
`except Exception:` in workflow code can never swallow them.
"""

from __future__ import annotations

from typing import Any


class ContinuumError(Exception):
    """Base class of every error Continuum raises on purpose."""

    __module__ = "continuum"


class PayloadError(ContinuumError, TypeError):
    """A value cannot be encoded as a JSON payload; the message names the argument."""

    __module__ = "continuum"


class ReplayDriftError(ContinuumError):
    """Workflow code asked for a different effect than the journal recorded at this position.

    Carries the position and both command identities; the run stops as ``drifted``
    and nothing is guessed.
    """

    __module__ = "continuum"

    def __init__(self, run_id: str, seq: int, expected: Any, recorded: Any) -> None:
        self.run_id = run_id
        self.seq = seq
        self.expected = expected
        self.recorded = recorded
        super().__init__(
            f"run {run_id}: replay drift at event {seq}: the code now issues {expected!r} "
            f"but the journal recorded {recorded!r}. The run stays pinned to the code it "
            "started with; deploy that version again, or guard the change with "
            "continuum.patched()."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.run_id, self.seq, self.expected, self.recorded))


class ActivityError(ContinuumError):
    """An activity failed after its last attempt (or with a non-retryable error)."""

    __module__ = "continuum"

    def __init__(self, activity: str, error_type: str, message: str, attempts: int = 1) -> None:
        self.activity = activity
        self.error_type = error_type
        self.message = message
        self.attempts = attempts
        super().__init__(f"{activity} failed after {attempts} attempt(s): {error_type}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.activity, self.error_type, self.message, self.attempts))


class ChildError(ContinuumError):
    """A child workflow ended in failure; carries its run id and error."""

    __module__ = "continuum"

    def __init__(self, run_id: str, error_type: str, message: str) -> None:
        self.run_id = run_id
        self.error_type = error_type
        self.message = message
        super().__init__(f"child run {run_id} failed: {error_type}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.run_id, self.error_type, self.message))


class ChildCancelledError(ChildError):
    """The child workflow was cancelled: `await_child`'s "cancelled" marker.

    A `ChildError` (so ``except ChildError`` still covers it) whose ``error_type`` is
    ``"cancelled"``; catch it on its own to tell a cancelled child from a failed one.
    """

    __module__ = "continuum"

    def __init__(self, run_id: str, error_type: str = "cancelled", message: str = "") -> None:
        super().__init__(run_id, error_type, message or "the child run was cancelled")


class SnapshotFormatError(ContinuumError):
    """A stored run snapshot uses a format this runtime cannot read.

    The engine logs it and replays the run's full journal instead.
    """

    __module__ = "continuum"

    def __init__(self, run_id: str, format_version: int, supported: Any = (1,)) -> None:
        self.run_id = run_id
        self.format_version = format_version
        self.supported = tuple(supported)
        super().__init__(
            f"run {run_id}: its snapshot has format {format_version}, but this runtime reads "
            f"formats {list(self.supported)}; the run replays its full journal instead "
            "(upgrade Continuum to use the snapshot)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.run_id, self.format_version, self.supported))


class WorkflowFailedError(ContinuumError):
    """`Client.result()` on a run that ended failed, cancelled or drifted."""

    __module__ = "continuum"

    def __init__(self, run_id: str, status: str, error: Any = None) -> None:
        self.run_id = run_id
        self.status = status
        self.error = error
        super().__init__(f"run {run_id} ended {status}: {error}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.run_id, self.status, self.error))


class StoreError(ContinuumError):
    """A storage operation failed; ``op`` and ``reason`` say which and why."""

    __module__ = "continuum"

    def __init__(self, op: str, reason: str, detail: str = "") -> None:
        self.op = op
        self.reason = reason
        self.detail = detail
        super().__init__(f"{op}: {reason}" + (f" ({detail})" if detail else ""))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.op, self.reason, self.detail))


class LeaseLostError(StoreError):
    """A fenced write carried a stale lease token: another worker owns the run now."""

    __module__ = "continuum"


class SuspendLeakError(ContinuumError):
    """Workflow code caught the runtime's internal `Suspend` (e.g. ``except BaseException``).

    The run cannot go on from a swallowed wait; it fails with this error. Catch
    `Exception` (or something narrower) in workflows, never `BaseException`.
    """

    __module__ = "continuum"


class ActivityTimeoutError(ContinuumError):
    """An activity attempt ran past its ``timeout=`` or missed its ``heartbeat=`` deadline."""

    __module__ = "continuum"


# --- control flow: never caught by `except Exception` ---------------------------------


class Suspend(BaseException):
    """Raised inside a workflow to unwind it while it waits; the worker drops the stack."""

    def __init__(self, reason: str = "", wake_at: Any = None) -> None:
        self.reason = reason
        self.wake_at = wake_at
        super().__init__(reason)


class Cancelled(BaseException):
    """Raised inside a workflow when its cancellation was requested; the run ends ``cancelled``.

    A workflow may catch it (``except Cancelled:``) to run cleanup such as
    `compensate_all()`; whatever it does next, the run ends ``cancelled``.
    """

    __module__ = "continuum"


class ContinueAsNew(BaseException):
    """Raised by `continue_as_new`: the engine completes the run as ``continued``."""

    def __init__(self, input: Any = None) -> None:
        self.input = input
        super().__init__("continue_as_new")
