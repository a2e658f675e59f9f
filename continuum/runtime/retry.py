"""Retry policy for activities: pure backoff arithmetic, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from .durations import to_seconds

Backoff = Literal["exponential", "linear", "constant"]


@dataclass(frozen=True, slots=True)
class Retry:
    """How an activity is retried.

    ``initial`` and ``maximum`` are durations (timedelta or seconds). Exceptions whose
    type (or any base class) is named in ``non_retryable`` fail the activity at once;
    entries are classes or qualified names such as ``"ValueError"`` or
    ``"app.payments:CardDeclined"``.
    """

    #: Total attempts including the first; 1 means no retry.
    max_attempts: int = 3
    #: How the delay grows between attempts.
    backoff: Backoff = "exponential"
    #: Delay before the second attempt.
    initial: timedelta | float = 1.0
    #: Upper bound of any single delay.
    maximum: timedelta | float = 300.0
    #: Multiplier for exponential backoff.
    factor: float = 2.0
    #: Exception types that are never retried.
    non_retryable: tuple[type[BaseException] | str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("Retry.max_attempts must be at least 1")
        if self.backoff not in ("exponential", "linear", "constant"):
            raise ValueError(
                f"Retry.backoff must be 'exponential', 'linear' or 'constant', not {self.backoff!r}"
            )

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` (1-based) failed.

        >>> Retry(backoff="exponential", initial=1, maximum=10).delay(3)
        4.0
        >>> Retry(backoff="linear", initial=2).delay(3)
        6.0
        """
        initial = to_seconds(self.initial) or 0.0
        maximum = to_seconds(self.maximum) or 0.0
        if self.backoff == "constant":
            value = initial
        elif self.backoff == "linear":
            value = initial * failed_attempt
        else:
            value = initial * self.factor ** (failed_attempt - 1)
        return float(min(value, maximum))

    def is_retryable(self, error: BaseException) -> bool:
        """False when ``error`` matches an entry of ``non_retryable``."""
        names = set()
        for klass in type(error).__mro__:
            names.add(klass.__name__)
            names.add(f"{klass.__module__}:{klass.__qualname__}")
            names.add(f"{klass.__module__}.{klass.__qualname__}")
        for entry in self.non_retryable:
            if isinstance(entry, str):
                if entry in names:
                    return False
            elif isinstance(error, entry):
                return False
        return True
