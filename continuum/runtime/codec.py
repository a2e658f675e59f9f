"""The payload codec: JSON with tagged types, never pickle.

Every value that crosses the journal (workflow input and result, activity
arguments and results, signal payloads) goes through `encode` / `decode`. Plain
JSON values are stored as they are; the other supported types become a small
object tagged with the reserved key ``"__cn__"``::

    >>> encode({"when": date(2024, 5, 1), "ids": (1, 2)})
    '{"when":{"__cn__":"date","v":"2024-05-01"},"ids":{"__cn__":"tuple","v":[1,2]}}'
    >>> decode(encode({"when": date(2024, 5, 1), "ids": (1, 2)}))
    {'when': datetime.date(2024, 5, 1), 'ids': (1, 2)}

Design choices (documented in ``docs/payloads-and-database.md``):

- Round trips are exact: ``decode(encode(x)) == x`` with the same types.
- The output is also safe for Postgres ``jsonb``: NaN, infinities, ``-0.0`` and
  floats whose JSON form uses an exponent are tagged (``jsonb`` would turn ``1e100``
  into an integer and drop the sign of zero), and strings ``jsonb`` cannot hold (NUL,
  lone surrogates) are tagged as base64 UTF-8.
- A dict whose keys are not all strings, or that contains the reserved key itself,
  is stored as a tagged list of ``[key, value]`` pairs, so user data can never be
  mistaken for a tag.
- Sets are stored in a canonical order (sorted by the JSON text of each element), so
  equal sets always give equal payloads.
- Types are matched exactly: a subclass of ``dict``, ``list`` or ``str`` that is not an
  enum, named tuple or dataclass is refused instead of being silently narrowed.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import importlib
import json
import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .effects.signals import TIMEOUT
from .errors import PayloadError

__all__ = [
    "CODEC_NAME",
    "CODEC_VERSION",
    "TAG",
    "decode",
    "encode",
    "from_jsonable",
    "to_jsonable",
]

#: Stored next to every payload, so the format can change later without guessing.
CODEC_NAME = "json-tagged"
CODEC_VERSION = 1
#: The reserved key marking a tagged object.
TAG = "__cn__"

_SUPPORTED = (
    "str, int, float, bool, None, list, dict, tuple, set, frozenset, bytes, bytearray, "
    "datetime, date, time, timedelta, Decimal, UUID, enum members, named tuples, "
    "dataclass instances and continuum.TIMEOUT"
)


# --- encoding ----------------------------------------------------------------------


class _Unencodable(Exception):
    """Raised deep inside `_enc`; each level on the way up prepends its path segment."""

    def __init__(self, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.value = value
        self.reason = reason
        self.segments: list[str] = []


def to_jsonable(value: Any, *, what: str = "value", root: str = "value") -> Any:
    """Turn ``value`` into plain JSON data (dicts, lists, str, int, float, bool, None).

    ``what`` names the value for the error message (for example ``"argument 2 of
    activity shop.payments:charge"``) and ``root`` is the name the offending path starts
    with (``input['items'][0]['when']``). Raises `continuum.PayloadError` when some part
    of the value has no encoding; nothing is ever pickled.
    """
    try:
        return _enc(value)
    except _Unencodable as err:
        path = root + "".join(reversed(err.segments))
        raise _payload_error(what, path, err.value, err.reason) from None
    except RecursionError:
        raise PayloadError(
            f"cannot encode {what}: the value is nested too deeply (or contains itself)"
        ) from None


def encode(value: Any, *, what: str = "value", root: str = "value") -> str:
    """Encode ``value`` as compact JSON text; see `to_jsonable` for errors."""
    data = to_jsonable(value, what=what, root=root)
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError as err:  # e.g. an int past Python's int/str digit limit
        raise PayloadError(f"cannot encode {what}: {err}") from None


def _payload_error(what: str, path: str, value: Any, reason: str) -> PayloadError:
    kind = type(value)
    type_name = f"{kind.__module__}.{kind.__qualname__}"
    error = PayloadError(f"cannot encode {what}: {path} is a {type_name}: {reason}")
    # Structured attributes so callers and tests need not parse the message.
    error.what = what  # type: ignore[attr-defined]
    error.path = path  # type: ignore[attr-defined]
    error.type_name = type_name  # type: ignore[attr-defined]
    return error


_UNSET = object()


def _enc(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value if _jsonb_safe_str(value) else _tagged_str(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return _enc_float(value)
    if kind is list:
        return _enc_items(value)
    if kind is dict:
        return _enc_dict(value)
    encoder = _ENCODERS.get(kind)
    if encoder is not None:
        return encoder(value)
    return _enc_other(value)


def _enc_float(value: float) -> Any:
    # Plain JSON only when jsonb gives the same float back (see module docstring).
    text = repr(value)
    if math.isfinite(value) and "e" not in text and not (value == 0.0 and text[0] == "-"):
        return value
    return {TAG: "float", "v": text}


def _enc_items(items: Any) -> list[Any]:
    out = []
    for index, item in enumerate(items):
        try:
            out.append(_enc(item))
        except _Unencodable as err:
            err.segments.append(f"[{index}]")
            raise
    return out


def _enc_dict(value: dict[Any, Any]) -> Any:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str or key == TAG or not _jsonb_safe_str(key):
            return _enc_pairs(value)
        try:
            out[key] = _enc(item)
        except _Unencodable as err:
            err.segments.append(f"[{key!r}]")
            raise
    return out


def _enc_pairs(value: dict[Any, Any]) -> Any:
    pairs = []
    for key, item in value.items():
        try:
            encoded_key = _enc(key)
        except _Unencodable as err:
            err.segments.append(f" key {key!r}")
            raise
        try:
            pairs.append([encoded_key, _enc(item)])
        except _Unencodable as err:
            err.segments.append(f"[{key!r}]")
            raise
    return {TAG: "map", "v": pairs}


def _enc_set(value: set[Any] | frozenset[Any]) -> Any:
    items = []
    for item in value:
        try:
            items.append(_enc(item))
        except _Unencodable as err:
            err.segments.append(f" element {item!r}")
            raise
    # Canonical order: equal sets must give equal payloads whatever their iteration order.
    items.sort(key=_canonical_text)
    return {TAG: "set" if type(value) is set else "frozenset", "v": items}


def _canonical_text(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _jsonb_safe_str(text: str) -> bool:
    if text.isascii():
        return "\x00" not in text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not valid UTF-8, jsonb refuses it
        return False
    return "\x00" not in text


def _tagged_str(text: str) -> Any:
    raw = text.encode("utf-8", "surrogatepass")
    return {TAG: "str", "b64": base64.b64encode(raw).decode("ascii")}


def _enc_datetime(value: datetime) -> Any:
    out: dict[str, Any] = {TAG: "datetime", "v": value.isoformat()}
    _add_zone(out, value.tzinfo)
    _add_sub_second_offset(out, value.utcoffset())
    if value.fold:
        out["fold"] = 1
    return out


def _enc_time(value: time) -> Any:
    if value.tzinfo is not None and not isinstance(value.tzinfo, timezone):
        # A named zone has no offset without a date, so there is nothing exact to store.
        raise _Unencodable(value, "a time of day can only carry a fixed-offset timezone")
    out: dict[str, Any] = {TAG: "time", "v": value.isoformat()}
    _add_sub_second_offset(out, value.utcoffset())
    if value.fold:
        out["fold"] = 1
    return out


def _add_sub_second_offset(out: dict[str, Any], offset: timedelta | None) -> None:
    # Python 3.11's fromisoformat reads "+00:00:00.000001" back as UTC, so an offset
    # with a sub-second part is also stored exactly, in microseconds.
    if offset is not None and offset.microseconds:
        out["off_us"] = offset // timedelta(microseconds=1)


def _fixed_offset(value: Any, obj: dict[str, Any]) -> Any:
    if "off_us" not in obj:
        return value
    return value.replace(tzinfo=timezone(timedelta(microseconds=obj["off_us"])))


def _add_zone(out: dict[str, Any], zone: tzinfo | None) -> None:
    if zone is None or isinstance(zone, timezone):
        return  # the ISO text carries the fixed offset
    if isinstance(zone, ZoneInfo) and zone.key:
        out["tz"] = zone.key
        return
    # Other tzinfo implementations (pytz, dateutil) have no portable name: the ISO text
    # keeps the offset, so the instant is exact but the zone object becomes a fixed one.


def _enc_dataclass(value: Any) -> Any:
    cls = type(value)
    fields = {}
    for field in dataclasses.fields(value):
        if field.name == TAG:
            raise _Unencodable(value, f"a dataclass field may not be named {TAG!r}")
        item = getattr(value, field.name, _UNSET)
        if item is _UNSET:  # an init=False field never assigned: nothing to keep
            continue
        try:
            fields[field.name] = _enc(item)
        except _Unencodable as err:
            err.segments.append(f".{field.name}")
            raise
    return {TAG: "dataclass", "cls": _class_ref(value, cls), "v": fields}


def _enc_namedtuple(value: Any) -> Any:
    cls = type(value)
    return {TAG: "namedtuple", "cls": _class_ref(value, cls), "v": _enc_items(value)}


def _enc_enum(value: enum.Enum) -> Any:
    cls = type(value)
    ref = _class_ref(value, cls)
    if value.name is not None and value.name in cls.__members__:
        return {TAG: "enum", "cls": ref, "name": value.name}
    # A combination of flags has no member name of its own; store its value.
    return {TAG: "enum", "cls": ref, "value": _enc(value.value)}


def _class_ref(value: Any, cls: type) -> str:
    """``"module:Qual.Name"`` of ``cls``, checked to import back to the very same class."""
    ref = f"{cls.__module__}:{cls.__qualname__}"
    if cls.__module__ == "__main__":
        # A worker (or a later replay) runs another __main__: the class would not be found.
        raise _Unencodable(
            value, "its class is defined in the __main__ script; move it to an importable module"
        )
    if "<locals>" in cls.__qualname__:
        raise _Unencodable(
            value, "its class is defined inside a function; define it at module level"
        )
    try:
        found = _resolve_class(ref)
    except LookupError:
        found = None
    if found is not cls:
        raise _Unencodable(value, f"its class cannot be imported back as {ref}")
    return ref


def _enc_other(value: Any) -> Any:
    if value is TIMEOUT:
        return {TAG: "timeout"}
    if isinstance(value, enum.Enum):
        return _enc_enum(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _enc_dataclass(value)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return _enc_namedtuple(value)
    if isinstance(value, (str, int, float, list, dict, tuple, set, frozenset, bytes)):
        reason = "subclasses of built-in types are not encoded (the subclass would be lost)"
    else:
        reason = f"it has no JSON encoding (supported: {_SUPPORTED})"
    raise _Unencodable(value, reason)


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    tuple: lambda v: {TAG: "tuple", "v": _enc_items(v)},
    set: _enc_set,
    frozenset: _enc_set,
    bytes: lambda v: {TAG: "bytes", "v": base64.b64encode(v).decode("ascii")},
    bytearray: lambda v: {TAG: "bytearray", "v": base64.b64encode(v).decode("ascii")},
    datetime: _enc_datetime,
    date: lambda v: {TAG: "date", "v": v.isoformat()},
    time: _enc_time,
    timedelta: lambda v: {TAG: "timedelta", "v": [v.days, v.seconds, v.microseconds]},
    Decimal: lambda v: {TAG: "decimal", "v": str(v)},
    uuid.UUID: lambda v: {TAG: "uuid", "v": str(v)},
}


# --- decoding ----------------------------------------------------------------------


def decode(text: str | bytes) -> Any:
    """Decode JSON text made by `encode` back into the original value.

    Raises `continuum.PayloadError` for text that is not JSON, an unknown tag, or a
    dataclass/enum class that can no longer be imported.
    """
    try:
        return json.loads(text, object_hook=_revive)
    except json.JSONDecodeError as err:
        raise PayloadError(f"cannot decode payload: not JSON ({err})") from None


def from_jsonable(obj: Any) -> Any:
    """Rebuild the original value from plain JSON data made by `to_jsonable`.

    The input is not modified. Raises `continuum.PayloadError` like `decode`.
    """
    kind = type(obj)
    if kind is list:
        return [from_jsonable(item) for item in obj]
    if kind is dict:
        return _revive({key: from_jsonable(item) for key, item in obj.items()})
    return obj


def _revive(obj: dict[str, Any]) -> Any:
    """Turn one tagged object (whose children are already decoded) into its value."""
    tag = obj.get(TAG)
    if tag is None:
        return obj
    reviver = _REVIVERS.get(tag) if type(tag) is str else None
    if reviver is None:
        raise PayloadError(
            f"cannot decode payload: unknown tag {tag!r}; it was written by a newer or "
            f"different codec than {CODEC_NAME} v{CODEC_VERSION}"
        )
    try:
        return reviver(obj)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise PayloadError(
            f"cannot decode payload: malformed {tag!r} object {obj!r}: {err}"
        ) from None


def _revive_float(obj: dict[str, Any]) -> float:
    return float(obj["v"])


def _revive_str(obj: dict[str, Any]) -> str:
    return base64.b64decode(obj["b64"]).decode("utf-8", "surrogatepass")


def _revive_datetime(obj: dict[str, Any]) -> datetime:
    value = _fixed_offset(datetime.fromisoformat(obj["v"]), obj)
    zone = obj.get("tz")
    if zone is not None:
        try:
            # The offset in the text is the one this zone had then; attach the zone itself.
            value = value.replace(tzinfo=ZoneInfo(zone))
        except ZoneInfoNotFoundError:
            raise PayloadError(f"cannot decode payload: unknown time zone {zone!r}") from None
    if obj.get("fold"):
        value = value.replace(fold=1)
    return value


def _revive_time(obj: dict[str, Any]) -> time:
    value = _fixed_offset(time.fromisoformat(obj["v"]), obj)
    return value.replace(fold=1) if obj.get("fold") else value


def _revive_dataclass(obj: dict[str, Any]) -> Any:
    cls = _import_class(obj["cls"], "dataclass")
    if not dataclasses.is_dataclass(cls):
        raise PayloadError(f"cannot decode payload: {obj['cls']} is no longer a dataclass")
    values: dict[str, Any] = obj["v"]
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise PayloadError(
            f"cannot decode payload: dataclass {obj['cls']} has no field(s) {', '.join(unknown)}; "
            "the class changed since the value was stored"
        )
    # Build through __init__ so defaults of fields added since then apply; fields
    # excluded from __init__ are restored afterwards.
    init = {name: v for name, v in values.items() if fields[name].init}
    try:
        instance = cls(**init)
    except TypeError as err:
        raise PayloadError(
            f"cannot decode payload: dataclass {obj['cls']} no longer accepts the stored fields: {err}"
        ) from None
    for name, v in values.items():
        if not fields[name].init:
            object.__setattr__(instance, name, v)
    return instance


def _revive_namedtuple(obj: dict[str, Any]) -> Any:
    cls = _import_class(obj["cls"], "named tuple")
    return cls(*obj["v"])


def _revive_enum(obj: dict[str, Any]) -> Any:
    cls = _import_class(obj["cls"], "enum")
    if "name" not in obj:
        return cls(obj["value"])
    try:
        return cls[obj["name"]]
    except KeyError:
        raise PayloadError(
            f"cannot decode payload: enum {obj['cls']} has no member {obj['name']!r}"
        ) from None


def _revive_map(obj: dict[str, Any]) -> dict[Any, Any]:
    return {key: value for key, value in obj["v"]}


_REVIVERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "float": _revive_float,
    "str": _revive_str,
    "map": _revive_map,
    "tuple": lambda o: tuple(o["v"]),
    "set": lambda o: set(o["v"]),
    "frozenset": lambda o: frozenset(o["v"]),
    "bytes": lambda o: base64.b64decode(o["v"]),
    "bytearray": lambda o: bytearray(base64.b64decode(o["v"])),
    "datetime": _revive_datetime,
    "date": lambda o: date.fromisoformat(o["v"]),
    "time": _revive_time,
    "timedelta": lambda o: timedelta(days=o["v"][0], seconds=o["v"][1], microseconds=o["v"][2]),
    "decimal": lambda o: Decimal(o["v"]),
    "uuid": lambda o: uuid.UUID(o["v"]),
    "timeout": lambda o: TIMEOUT,
    "dataclass": _revive_dataclass,
    "namedtuple": _revive_namedtuple,
    "enum": _revive_enum,
}


# --- class references ---------------------------------------------------------------

_class_cache: dict[str, Any] = {}


def _resolve_class(ref: str) -> Any:
    """Import ``"module:Qual.Name"``; raises LookupError when it does not resolve."""
    found = _class_cache.get(ref)
    if found is not None:
        return found
    module_name, _, qualname = ref.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise LookupError(f"module {module_name!r} cannot be imported ({err})") from None
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise LookupError(f"module {module_name!r} has no {qualname!r}") from None
    _class_cache[ref] = target
    return target


def _import_class(ref: str, kind: str) -> Any:
    try:
        return _resolve_class(ref)
    except LookupError as err:
        raise PayloadError(
            f"cannot decode payload: {kind} class {ref} not found: {err}. "
            "Was it renamed or moved? Stored runs need it importable under its old name."
        ) from None
