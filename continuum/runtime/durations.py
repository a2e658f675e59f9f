"""Duration helpers used by workflow options (`retention=days(30)`, `timeout=hours(24)`)."""

from __future__ import annotations

from datetime import timedelta


def seconds(n: float) -> timedelta:
    """``n`` seconds as a `timedelta`.

    >>> seconds(90)
    datetime.timedelta(seconds=90)
    """
    return timedelta(seconds=n)


def minutes(n: float) -> timedelta:
    """``n`` minutes as a `timedelta`."""
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    """``n`` hours as a `timedelta`."""
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    """``n`` days as a `timedelta`."""
    return timedelta(days=n)


def to_seconds(value: timedelta | float | int | None) -> float | None:
    """Normalize a duration option (timedelta or number of seconds) to seconds."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a timedelta or a number of seconds, got {value!r}")
    return float(value)
