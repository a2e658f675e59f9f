"""The denylist tables and their lookup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from continuum.analyzer import denylist
from continuum.analyzer.diagnostics import CODES
from continuum.analyzer.resolve import Settings, absolutize

IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


def test_every_entry_has_a_known_code_and_a_hint() -> None:
    for name, (code, hint) in denylist.DENYLIST.items():
        if code:  # empty code = exemption
            assert code in CODES, name
            assert hint, name


@given(
    st.sampled_from(sorted(k for k, (c, _) in denylist.DENYLIST.items() if c)),
    st.lists(IDENT, max_size=3),
)
def test_names_below_an_entry_match_it_or_a_more_specific_one(key: str, tail: list[str]) -> None:
    name = ".".join([key, *tail])
    hit = denylist.lookup(name, denylist.DENYLIST)
    if hit is None:  # an exemption below the entry (secrets.compare_digest)
        assert denylist.DENYLIST.get(name, ("x", ""))[0] == "" or any(
            name.startswith(k) and not c for k, (c, _) in denylist.DENYLIST.items()
        )
    else:
        assert name == hit[0] or name.startswith(hit[0] + ".")
        assert len(hit[0]) >= len(key) or not name.startswith(key)


def test_safe_and_exempt_names() -> None:
    for name in (
        "math.floor",
        "uuid.uuid5",
        "secrets.compare_digest",
        "datetime.datetime",
        "json.dumps",
    ):
        assert denylist.lookup(name, denylist.DENYLIST) is None, name


def test_extra_forbidden_is_cn112_and_overrides() -> None:
    from continuum.analyzer.config import Config

    settings = Settings.from_config(Config(extra_forbidden=(("app.legacy", "no"),)))
    assert settings.denied("app.legacy.fetch") == ("app.legacy", "CN112", "no")
    assert settings.module_denied("time") and not settings.module_denied("math")


@given(st.lists(IDENT, min_size=1, max_size=4), st.integers(1, 3), st.lists(IDENT, max_size=2))
def test_absolutize_relative_names(module: list[str], dots: int, rest: list[str]) -> None:
    name = "." * dots + ".".join(rest)
    result = absolutize(name, ".".join(module), False)
    package = module[:-1]
    base = package[: len(package) - (dots - 1)] if dots > 1 else package
    assert result == ".".join([*base, *rest])
