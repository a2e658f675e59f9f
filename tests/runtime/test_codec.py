"""The payload codec: exact round trips, jsonb safety, and errors that name the culprit."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import pickle
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import continuum
from continuum.runtime import codec
from continuum.runtime.codec import TAG, decode, encode, from_jsonable, to_jsonable

# --- sample user types (module level, so the codec can import them back) --------------


@dataclasses.dataclass(frozen=True)
class Point:
    x: Any
    y: Any


@dataclasses.dataclass
class Order:
    items: Any
    note: str = ""
    total: Decimal = Decimal("0")
    computed: int = dataclasses.field(init=False, default=0)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Perm(enum.Flag):
    R = 1
    W = 2


class Pair(NamedTuple):
    left: Any
    right: Any


# --- exact comparison (== is too lenient: 1 == 1.0 == True, nan != nan, -0.0 == 0.0) --


def same(a: Any, b: Any, *, ordered: bool = True) -> bool:
    """Equal with the same types all the way down; ``ordered=False`` ignores dict order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, (datetime, time)):
        return (
            a == b and a.tzinfo == b.tzinfo and a.fold == b.fold and a.isoformat() == b.isoformat()
        )
    if isinstance(a, dict):
        if not ordered:
            return a.keys() == b.keys() and all(same(a[k], b[k], ordered=False) for k in a)
        return len(a) == len(b) and all(
            same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b, strict=True)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(
            same(x, y, ordered=ordered) for x, y in zip(a, b, strict=True)
        )
    if dataclasses.is_dataclass(a):
        return all(
            same(getattr(a, f.name), getattr(b, f.name), ordered=ordered)
            for f in dataclasses.fields(a)
        )
    if isinstance(a, (set, frozenset)):
        return a == b
    return a == b


# --- strategies -------------------------------------------------------------------------

fixed_zones = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
)
text = (
    st.text(max_size=12)
    | st.text(st.characters(exclude_categories=()), max_size=5)  # lone surrogates too
    | st.sampled_from([TAG, "\x00", "a\x00b", "\ud800", "v", "é€😀"])
)
# Values that can be set elements and dict keys (hashable, and no NaN: nan != nan).
hashable_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    text,
    st.binary(max_size=8),
    st.dates(),
    st.datetimes(timezones=st.none() | fixed_zones | st.timezones()),
    st.times(timezones=st.none() | fixed_zones),
    st.timedeltas(),
    st.decimals(allow_nan=False),
    st.uuids(),
    st.sampled_from([Color.RED, Level.HIGH, Perm.R, Perm.R | Perm.W, continuum.TIMEOUT]),
)
hashable = st.recursive(
    hashable_leaves,
    lambda inner: (
        st.tuples(inner, inner) | st.frozensets(inner, max_size=3) | st.builds(Point, inner, inner)
    ),
    max_leaves=6,
)
leaves = hashable_leaves | st.floats() | st.decimals() | st.builds(bytearray, st.binary(max_size=8))
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(text, inner, max_size=4)
        | st.dictionaries(hashable, inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.sets(hashable, max_size=3)
        | st.frozensets(hashable, max_size=3)
        | st.builds(Point, inner, inner)
        | st.builds(Order, inner, text, st.decimals(allow_nan=False))
        | st.builds(Pair, inner, inner)
    ),
    max_leaves=20,
)


# --- round trips ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(values)
def test_encode_decode_round_trips_exactly(value: Any) -> None:
    assert same(decode(encode(value)), value)


@settings(max_examples=150, deadline=None)
@given(values)
def test_jsonable_round_trips_exactly_and_matches_the_text_form(value: Any) -> None:
    data = to_jsonable(value)
    assert same(from_jsonable(data), value)
    # The text form is just the JSON of the jsonable form.
    assert json.loads(encode(value)) == data


@settings(max_examples=150, deadline=None)
@given(values)
def test_encoded_text_is_strict_standard_json(value: Any) -> None:
    def no_constants(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    json.loads(encode(value), parse_constant=no_constants)


@settings(max_examples=100, deadline=None)
@given(st.sets(hashable, max_size=6))
def test_equal_sets_encode_identically_whatever_their_order(items: set[Any]) -> None:
    rebuilt = set()
    for item in reversed(list(items)):
        rebuilt.add(item)
    assert encode(rebuilt) == encode(items)


def test_plain_json_is_stored_as_is() -> None:
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": False}}
    assert json.loads(encode(value)) == value


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        (datetime(2024, 5, 1, 12, 30, tzinfo=UTC), "datetime"),
        (date(2024, 5, 1), "date"),
        (time(9, 15), "time"),
        (timedelta(days=2, seconds=5), "timedelta"),
        (Decimal("12.50"), "decimal"),
        (uuid.UUID(int=7), "uuid"),
        (b"\x00\xff", "bytes"),
        ((1, 2), "tuple"),
        ({1, 2}, "set"),
        (frozenset({1}), "frozenset"),
        ({1: "a"}, "map"),
        (Point(1, 2), "dataclass"),
        (Color.RED, "enum"),
        (Pair(1, 2), "namedtuple"),
        (continuum.TIMEOUT, "timeout"),
        (float("nan"), "float"),
    ],
)
def test_each_supported_type_carries_its_tag(value: Any, tag: str) -> None:
    assert json.loads(encode(value))[TAG] == tag
    assert same(decode(encode(value)), value)


def test_dataclass_records_its_import_path_and_fields() -> None:
    data = to_jsonable(Point(1, date(2024, 1, 2)))
    assert data == {
        TAG: "dataclass",
        "cls": "tests.runtime.test_codec:Point",
        "v": {"x": 1, "y": {TAG: "date", "v": "2024-01-02"}},
    }


def test_timeout_decodes_to_the_same_singleton() -> None:
    decoded = decode(encode({"reply": continuum.TIMEOUT, "list": [continuum.TIMEOUT]}))
    assert decoded["reply"] is continuum.TIMEOUT
    assert decoded["list"][0] is continuum.TIMEOUT


def test_user_dict_holding_the_reserved_key_is_not_mistaken_for_a_tag() -> None:
    sneaky = {TAG: "date", "v": "2024-01-01"}
    assert decode(encode(sneaky)) == sneaky
    assert type(decode(encode(sneaky))) is dict


def test_zoneinfo_datetime_keeps_its_zone_and_fold() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 02:30 on 2024-10-27 happens twice in Paris; fold=1 is the second one (after DST ends).
    second = datetime(2024, 10, 27, 2, 30, tzinfo=paris, fold=1)
    decoded = decode(encode(second))
    assert decoded.tzinfo is paris
    assert decoded.fold == 1
    assert decoded.utcoffset() == timedelta(hours=1)


def test_naive_datetime_stays_naive() -> None:
    assert decode(encode(datetime(2024, 1, 1, 8))).tzinfo is None


def test_non_init_dataclass_field_is_restored() -> None:
    order = Order(items=[1])
    order.computed = 42
    assert decode(encode(order)).computed == 42


def test_dataclass_field_added_later_gets_its_default() -> None:
    stored = encode(Order(items=[1], note="x"))
    data = json.loads(stored)
    del data["v"]["note"]  # as if written before `note` existed
    assert decode(json.dumps(data)) == Order(items=[1], note="")


def test_from_jsonable_does_not_modify_its_input() -> None:
    data = to_jsonable({"d": date(2024, 1, 1), "s": {1, 2}})
    snapshot = json.dumps(data, sort_keys=True)
    from_jsonable(data)
    assert json.dumps(data, sort_keys=True) == snapshot


# --- Postgres jsonb: the jsonable form survives it unchanged ----------------------------

JSONB_HOSTILE = [
    1e100,
    -0.0,
    1.5e-7,
    float("inf"),
    "nul\x00inside",
    "lone \ud83d surrogate",
    {"key\x00": 1},
    # jsonb sorts object keys, so keep these sorted: only values are under test here.
    {"a": [Decimal("1.10"), 2.0], "b": 1},
    10**30,
]


@pytest.mark.postgres
def test_jsonable_form_survives_postgres_jsonb(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for value in JSONB_HOSTILE:
            text_form = encode(value)
            (back,) = conn.execute("SELECT %s::jsonb", (text_form,)).fetchone()
            assert same(from_jsonable(back), value), value


@pytest.fixture(scope="module")
def jsonb_conn(server_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        yield conn


@pytest.mark.postgres
@settings(max_examples=40, deadline=None)
@given(st.lists(values, min_size=1, max_size=5))
def test_random_payloads_survive_postgres_jsonb(
    jsonb_conn: psycopg.Connection, batch: list[Any]
) -> None:
    # jsonb sorts object keys, so dict order is not compared here (text keeps it).
    rows = jsonb_conn.execute(
        "SELECT value::jsonb FROM unnest(%s::text[]) AS value", ([encode(v) for v in batch],)
    ).fetchall()
    for (back,), value in zip(rows, batch, strict=True):
        assert same(from_jsonable(back), value, ordered=False)


# --- errors -------------------------------------------------------------------------------


def test_error_names_the_argument_the_path_and_the_type() -> None:
    value = {"items": [{"when": object()}]}
    with pytest.raises(continuum.PayloadError) as info:
        encode(value, what="argument 2 of activity shop.payments:charge", root="input")
    message = str(info.value)
    assert "argument 2 of activity shop.payments:charge" in message
    assert "input['items'][0]['when']" in message
    assert "builtins.object" in message
    assert info.value.path == "input['items'][0]['when']"
    assert info.value.type_name == "builtins.object"
    assert info.value.what == "argument 2 of activity shop.payments:charge"


def test_error_path_goes_through_dataclass_fields_tuples_and_dict_keys() -> None:
    with pytest.raises(continuum.PayloadError) as info:
        encode(Order(items=[(1, {2: lambda: 0})]))
    assert info.value.path == "value.items[0][1][2]"
    assert "function" in info.value.type_name


def test_payload_error_is_a_type_error_and_pickles_with_its_details() -> None:
    with pytest.raises(TypeError) as info:
        encode([open])
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, continuum.PayloadError)
    assert copy.path == "value[0]"
    assert str(copy) == str(info.value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (OrderedDict(a=1), "subclasses of built-in types"),
        (time(9, tzinfo=ZoneInfo("Europe/Paris")), "fixed-offset timezone"),
        (iter([1]), "no JSON encoding"),
    ],
)
def test_unsupported_values_are_refused_with_a_reason(value: Any, fragment: str) -> None:
    with pytest.raises(continuum.PayloadError, match=fragment):
        encode(value)


def test_class_defined_in_a_function_is_refused_at_encode_time() -> None:
    @dataclasses.dataclass
    class Local:
        x: int

    with pytest.raises(continuum.PayloadError, match="defined inside a function"):
        encode({"v": Local(1)})


@dataclasses.dataclass
class Scripted:
    x: int


Scripted.__module__ = "__main__"  # as if defined in the script a client runs


def test_class_from_the_main_script_is_refused_at_encode_time() -> None:
    with pytest.raises(continuum.PayloadError, match="__main__ script"):
        encode(Scripted(1))


def test_error_path_names_a_bad_dict_key() -> None:
    with pytest.raises(continuum.PayloadError) as info:
        encode({"tags": {object: 1}}, root="input")
    assert info.value.path == "input['tags'] key <class 'object'>"
    assert info.value.type_name == "builtins.type"


def test_decode_of_a_class_that_no_longer_exists_says_which() -> None:
    stored = json.dumps({TAG: "dataclass", "cls": "shop.gone:Refund", "v": {}})
    with pytest.raises(continuum.PayloadError, match=r"shop\.gone:Refund not found"):
        decode(stored)


def test_decode_of_a_dataclass_whose_field_was_removed_says_which() -> None:
    stored = json.dumps(
        {TAG: "dataclass", "cls": "tests.runtime.test_codec:Point", "v": {"x": 1, "y": 2, "z": 3}}
    )
    with pytest.raises(continuum.PayloadError, match="no field"):
        decode(stored)


def test_decode_rejects_unknown_tags_and_non_json() -> None:
    with pytest.raises(continuum.PayloadError, match="unknown tag"):
        decode(json.dumps({TAG: "pickle", "v": "gASV"}))
    with pytest.raises(continuum.PayloadError, match="not JSON"):
        decode("{oops")


def test_codec_identity_constants() -> None:
    assert codec.CODEC_NAME == "json-tagged"
    assert codec.CODEC_VERSION == 1


def test_module_docstring_examples() -> None:
    import doctest

    assert doctest.testmod(codec).failed == 0


@pytest.mark.parametrize(
    "offset",
    [timedelta(microseconds=1), -timedelta(microseconds=7), timedelta(seconds=1, microseconds=5)],
)
def test_sub_second_utc_offsets_round_trip(offset: timedelta) -> None:
    # Python 3.11 parses "+00:00:00.000001" back as UTC; the codec must not.
    zone = timezone(offset)
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=zone)
    clock = time(3, 4, 5, tzinfo=zone)
    assert decode(encode(moment)).utcoffset() == offset
    assert decode(encode(clock)).utcoffset() == offset
    assert decode(encode(moment)) == moment
