"""The cron parser and `next_after`, checked against a brute-force minute-by-minute matcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.runtime.cron import CronError, CronExpression

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


# --- an independent model of one field: (text, set of values) ----------------------------


@st.composite
def field_item(draw: st.DrawFn, index: int) -> tuple[str, set[int]]:
    low, high = FIELDS[index]

    def name(value: int) -> str:
        if index == 3 and draw(st.booleans()):
            return MONTH_NAMES[value - 1].lower() if draw(st.booleans()) else MONTH_NAMES[value - 1]
        if index == 4 and draw(st.booleans()):
            return DAY_NAMES[value]
        return str(value)

    kind = draw(st.sampled_from(["value", "range", "star-step", "range-step", "start-step"]))
    if kind == "value":
        value = draw(st.integers(low, high))
        return name(value), {value}
    if kind == "star-step":
        step = draw(st.integers(1, high - low + 1))
        return f"*/{step}", set(range(low, high + 1, step))
    first = draw(st.integers(low, high))
    if kind == "start-step":
        step = draw(st.integers(1, high - low + 1))
        return f"{name(first)}/{step}", set(range(first, high + 1, step))
    last = draw(st.integers(first, high))
    if kind == "range":
        return f"{name(first)}-{name(last)}", set(range(first, last + 1))
    step = draw(st.integers(1, high - low + 1))
    return f"{name(first)}-{name(last)}/{step}", set(range(first, last + 1, step))


@st.composite
def cron_field(draw: st.DrawFn, index: int) -> tuple[str, set[int], bool]:
    if draw(st.integers(0, 3)) == 0:
        low, high = FIELDS[index]
        return "*", set(range(low, high + 1)), True
    items = draw(st.lists(field_item(index), min_size=1, max_size=3))
    text = ",".join(t for t, _ in items)
    # Vixie cron: a day field counts as unrestricted when it starts with '*' ("*/2" too).
    return text, set().union(*(v for _, v in items)), text.startswith("*")


@st.composite
def expressions(draw: st.DrawFn) -> tuple[str, list[set[int]], list[bool]]:
    fields = [draw(cron_field(i)) for i in range(5)]
    return " ".join(f[0] for f in fields), [f[1] for f in fields], [f[2] for f in fields]


def model_matches(values: list[set[int]], stars: list[bool], wall: datetime) -> bool:
    """Vixie cron semantics, written independently of the implementation."""
    minute, hour, dom, month, dow = values
    if wall.minute not in minute or wall.hour not in hour or wall.month not in month:
        return False
    day_ok, weekday_ok = wall.day in dom, (wall.isoweekday() % 7) in dow
    if stars[2] or stars[4]:
        return day_ok and weekday_ok
    return day_ok or weekday_ok


def brute_force_next(
    values: list[set[int]], stars: list[bool], after: datetime, zone: ZoneInfo, minutes: int
) -> datetime | None:
    """Walk UTC minutes: fire where the local minute matches and is its first occurrence,
    or at the first minute after a DST jump that skipped a matching wall time."""
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    previous = (start - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
    seen_walls: set[datetime] = set()
    for i in range(minutes):
        moment = start + timedelta(minutes=i)
        wall = moment.astimezone(zone).replace(tzinfo=None)
        first_time = wall > previous  # clocks going back repeat walls <= previous
        skipped = []
        probe = previous + timedelta(minutes=1)
        while probe < wall:  # wall times jumped over
            skipped.append(probe)
            probe += timedelta(minutes=1)
        previous = max(previous, wall)
        if any(model_matches(values, stars, w) for w in skipped):
            return moment
        if first_time and wall not in seen_walls and model_matches(values, stars, wall):
            return moment
        seen_walls.add(wall)
    return None


WINDOW = 2 * 24 * 60  # brute force over two days


@settings(max_examples=100, deadline=None)
@given(
    expr=expressions(),
    zone_name=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_next_after_agrees_with_a_brute_force_matcher(
    expr: tuple[str, list[set[int]], list[bool]], zone_name: str, start: datetime
) -> None:
    text, values, stars = expr
    zone = ZoneInfo(zone_name)
    expected = brute_force_next(values, stars, start, zone, WINDOW)
    actual = CronExpression.parse(text).next_after(start, zone)
    if expected is not None:
        assert actual == expected, text
    else:
        assert actual is None or actual >= start + timedelta(minutes=WINDOW), text


@settings(max_examples=15, deadline=None)
@given(
    zone_name=st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe"]),
    minute=st.integers(0, 59),
    hour=st.integers(0, 3),
)
def test_dst_transition_days_fire_exactly_once(zone_name: str, minute: int, hour: int) -> None:
    # Around every transition of 2026, a daily job at a wall time in the jumped or
    # repeated hour fires once per local day, never twice and never zero times.
    zone = ZoneInfo(zone_name)
    expression = CronExpression.parse(f"{minute} {hour} * * *")
    moment = datetime(2025, 12, 31, tzinfo=UTC)
    fires: list[datetime] = []
    while moment < datetime(2027, 1, 1, tzinfo=UTC):
        nxt = expression.next_after(moment, zone)
        assert nxt is not None and nxt > moment
        fires.append(nxt)
        moment = nxt
    days = [d for d in (f.astimezone(zone).date() for f in fires) if d.year == 2026]
    assert len(days) == len(set(days)) == 365


@pytest.mark.parametrize(
    ("text", "after", "zone", "expected"),
    [
        ("0 9 * * MON", "2026-11-24T00:00:00+00:00", "Europe/Paris", "2026-11-30T08:00:00+00:00"),
        ("30 2 * * *", "2026-03-28T12:00:00+00:00", "Europe/Paris", "2026-03-29T01:00:00+00:00"),
        ("30 2 * * *", "2026-10-25T00:00:00+00:00", "Europe/Paris", "2026-10-25T00:30:00+00:00"),
        ("*/15 * * * *", "2026-01-01T10:07:00+00:00", "UTC", "2026-01-01T10:15:00+00:00"),
        ("0 0 29 2 *", "2026-03-01T00:00:00+00:00", "UTC", "2028-02-29T00:00:00+00:00"),
        ("0 12 1 * 5", "2026-01-01T13:00:00+00:00", "UTC", "2026-01-02T12:00:00+00:00"),
        ("@daily", "2026-05-05T05:05:00+00:00", "Asia/Kolkata", "2026-05-05T18:30:00+00:00"),
        ("0 0 * * 7", "2026-11-24T00:00:00+00:00", "UTC", "2026-11-29T00:00:00+00:00"),
    ],
)
def test_documented_examples(text: str, after: str, zone: str, expected: str) -> None:
    result = CronExpression.parse(text).next_after(datetime.fromisoformat(after), zone)
    assert result == datetime.fromisoformat(expected)


def test_an_impossible_date_never_fires() -> None:
    assert CronExpression.parse("0 0 31 2 *").next_after(datetime(2026, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", "has 4 field"),
        ("60 * * * *", "out of range 0-59 for the minute"),
        ("* 5-2 * * *", "runs backwards"),
        ("*/0 * * * *", "step 0"),
        ("* * * FOO *", "'FOO' is not valid in the month"),
        ("1,,2 * * * *", "empty item"),
        ("* * 0 * *", "out of range 1-31"),
    ],
)
def test_invalid_expressions_name_the_field(text: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        CronExpression.parse(text)
