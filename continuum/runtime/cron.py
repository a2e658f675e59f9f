"""Cron expressions: parse the five classic fields and find the next fire time in a time zone.

``minute hour day-of-month month day-of-week``, each ``*``, a value, a range ``a-b``,
a step ``*/n`` / ``a-b/n`` / ``a/n`` (from ``a`` to the field's end), or a comma list of
those. Months take ``JAN``–``DEC`` and days ``SUN``–``SAT`` (case-insensitive); day of
week ``0`` and ``7`` are both Sunday. As in Vixie cron, when both day fields are
restricted a day matches if **either** matches. ``@yearly``, ``@monthly``, ``@weekly``,
``@daily``, ``@midnight`` and ``@hourly`` are accepted.

Time zones and DST (`CronExpression.next_after`): the expression is read in wall-clock
time of ``tz``. The fire instant of a wall-clock time ``w`` is the first instant whose
local time is at or after ``w``:

- a time repeated when clocks go back fires once, at its first occurrence;
- a time skipped when clocks go forward fires at the moment the clocks jump (so a daily
  02:30 job still runs on the spring-forward day, at 03:00), once even if several
  skipped times match.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import ContinuumError

_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
#: (name, lowest, highest, names) of the five fields.
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
#: No matching day within this many years means the expression never fires
#: (e.g. ``0 0 30 2 *``); 28 years is a full Gregorian weekday/leap cycle within a century.
_SEARCH_YEARS = 29


class CronError(ContinuumError):
    """A cron expression that cannot be parsed; the message names the field."""


@dataclass(frozen=True, slots=True)
class CronExpression:
    """A parsed cron expression: the set of allowed values of each field."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    #: True when the field was ``*`` (or a ``*`` step): decides the day-matching rule.
    days_any: bool
    weekdays_any: bool

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Parse ``text``; raises `CronError` saying which field is wrong and why."""
        source = text.strip()
        expanded = _ALIASES.get(source.lower(), source)
        parts = expanded.split()
        if len(parts) != 5:
            raise CronError(
                f"cron expression {text!r} has {len(parts)} field(s); expected 5: "
                "minute hour day-of-month month day-of-week"
            )
        values = [
            _parse_field(part, *spec, text) for part, spec in zip(parts, _FIELDS, strict=True)
        ]
        weekdays = frozenset(day % 7 for day in values[4])
        return cls(
            text=source,
            minutes=values[0],
            hours=values[1],
            days=values[2],
            months=values[3],
            weekdays=weekdays,
            days_any=parts[2].startswith("*"),
            weekdays_any=parts[4].startswith("*"),
        )

    def matches_day(self, day: date) -> bool:
        """True when the expression fires on some minute of ``day`` (wall-clock date)."""
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = (day.isoweekday() % 7) in self.weekdays
        if self.days_any or self.weekdays_any:
            # With one field unrestricted the other decides (a '*' matches everything).
            return in_days and in_weekdays
        return in_days or in_weekdays

    def matches(self, wall: datetime) -> bool:
        """True when the naive wall-clock minute ``wall`` matches the expression."""
        return wall.minute in self.minutes and wall.hour in self.hours and self.matches_day(wall)

    def walls_after(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall-clock minutes strictly after ``start``, in order.

        Walks day by day, skipping days that cannot match; stops after
        ``_SEARCH_YEARS`` years (an expression like ``0 0 30 2 *`` never matches).
        """
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        day = start.date()
        last = date(min(start.year + _SEARCH_YEARS, 9999), 12, 31)
        while day <= last:
            if self.matches_day(day):
                for hour in hours:
                    for minute in minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall > start:
                            yield wall
            day += timedelta(days=1)

    def next_after(self, after: datetime, tz: str | ZoneInfo = "UTC") -> datetime | None:
        """The first fire instant strictly after ``after`` (aware), as UTC; None if never.

        See the module docstring for how DST gaps and repeats are handled.
        """
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        if after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        local = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        # A wall time at or before `local` maps to an instant at or before `after`
        # (fire instants grow with wall time), except inside a repeated hour, which the
        # loop below walks past.
        for wall in self.walls_after(local - timedelta(minutes=1)):
            instant = fire_instant(wall, zone)
            if instant > after:
                return instant
        return None


def fire_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local time in ``zone`` is at or after naive ``wall``."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant  # exists (fold=0 is the first of a repeated time)
    # A skipped time: fold=1 reads it with the offset before the jump, which lands
    # before the gap; walk forward minute by minute to the jump (gaps are ≤ a few hours).
    probe = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    probe = probe.replace(second=0, microsecond=0)
    while probe.astimezone(zone).replace(tzinfo=None) < wall:
        probe += timedelta(minutes=1)
    # The jump may fall inside a minute only in historical zones; minute precision holds.
    return probe


def _parse_field(
    part: str, name: str, low: int, high: int, names: dict[str, int], text: str
) -> frozenset[int]:
    values: set[int] = set()
    for item in part.split(","):
        if not item:
            raise CronError(f"cron expression {text!r}: empty item in the {name} field")
        body, slash, step_text = item.partition("/")
        step = 1
        if slash:
            step = _number(step_text, name, text, {})
            if step < 1:
                raise CronError(f"cron expression {text!r}: step 0 in the {name} field")
        # '*' and 'a/n' end at Saturday: 7 is Sunday only when written out ("5-7").
        open_high = 6 if name == "day of week" else high
        if body == "*":
            first, last = low, open_high
        elif "-" in body:
            left, _, right = body.partition("-")
            first, last = _number(left, name, text, names), _number(right, name, text, names)
            if first > last:
                raise CronError(
                    f"cron expression {text!r}: range {body} of the {name} field runs backwards"
                )
        else:
            first = _number(body, name, text, names)
            last = max(open_high, first) if slash else first
        for value in (first, last):
            if not low <= value <= high:
                raise CronError(
                    f"cron expression {text!r}: {value} is out of range {low}-{high} "
                    f"for the {name} field"
                )
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(token: str, name: str, text: str, names: dict[str, int]) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise CronError(f"cron expression {text!r}: {token!r} is not valid in the {name} field")
    return int(token)
