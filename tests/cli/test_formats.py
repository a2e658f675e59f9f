"""The output formats as pure functions, on hand-made diagnostics (no click, no analyzer)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.analyzer.diagnostics import CODES, ChainHop, Diagnostic, Severity
from continuum.cli.formats import (
    FORMAT_NAMES,
    render,
    render_concise,
    render_github,
    render_json,
    render_sarif,
    render_text,
)
from continuum.cli.formats import sarif as sarif_module
from continuum.cli.formats._common import fingerprints, summary_line
from continuum.cli.formats.github import escape_data, escape_property
from continuum.cli.formats.statistics import render_statistics

CHAINED = Diagnostic(
    path="app/flows/orders.py",
    line=3,
    column=17,
    code="CN101",
    message="time.time() reads the wall clock, reached via app.pricing.quote (app/pricing.py:12)",
    hint="use continuum.now()",
    chain=(
        ChainHop("app.pricing.quote", "app/pricing.py", 12),
        ChainHop("time.time()", "app/pricing.py", 14),
    ),
    end_line=3,
    end_column=37,
    workflow="app.flows.orders.OrderFlow",
)
WARNING = Diagnostic(
    path="app/flows/orders.py",
    line=9,
    column=9,
    code="CN201",
    message="bare `except:` can swallow Suspend; 100% sure, a,b:c",
    severity=Severity.WARNING,
    end_line=9,
    end_column=16,
    workflow="app.flows.orders.OrderFlow",
)
ODD = Diagnostic(
    path="app/ünï code/shop flows.py",
    line=2,
    column=5,
    code="CN106",
    message="print() → line one\nline two\r\nwith % and ::error:: inside",
    hint="use continuum.logger — it is silent on replay",
    end_line=2,
    end_column=12,
)
SOURCE = "import time\n\n        total = pricing.quote(order)\n"
ALL = [WARNING, ODD, CHAINED]

diagnostic_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40
)


@st.composite
def diagnostics(draw: st.DrawFn) -> Diagnostic:
    """Arbitrary diagnostics with odd characters in every text field."""
    line = draw(st.integers(1, 500))
    column = draw(st.integers(1, 120))
    return Diagnostic(
        path=draw(st.sampled_from(["a.py", "pkg/b c.py", "x/%20,y:z.py", "ü/ñ.py"])),
        line=line,
        column=column,
        code=draw(st.sampled_from(sorted(CODES))),
        message=draw(diagnostic_text),
        severity=draw(st.sampled_from(list(Severity))),
        hint=draw(diagnostic_text),
        chain=tuple(
            draw(
                st.lists(
                    st.builds(
                        ChainHop, diagnostic_text, st.sampled_from(["", "h.py"]), st.integers(0, 9)
                    ),
                    max_size=3,
                )
            )
        ),
        end_line=line + draw(st.integers(0, 2)),
        end_column=draw(st.integers(0, 130)),
        workflow=draw(st.sampled_from(["", "app.F", "app.G"])),
    )


# --- shared pieces -------------------------------------------------------------------


def test_summary_line_counts_levels_and_files() -> None:
    assert summary_line([]) == "All checks passed."
    assert summary_line([CHAINED]) == "Found 1 error in 1 file."
    assert summary_line(ALL) == "Found 2 errors, 1 warning in 2 files."
    assert summary_line([WARNING, WARNING]) == "Found 2 warnings in 1 file."


def test_fingerprint_ignores_line_numbers_but_not_identity() -> None:
    moved = Diagnostic(
        CHAINED.path,
        CHAINED.line + 40,
        CHAINED.column + 4,
        CHAINED.code,
        CHAINED.message.replace("pricing.py:12", "pricing.py:52"),
        workflow=CHAINED.workflow,
    )
    assert fingerprints([moved]) == fingerprints([CHAINED])
    other_workflow = Diagnostic(
        CHAINED.path, CHAINED.line, CHAINED.column, CHAINED.code, CHAINED.message, workflow="app.X"
    )
    assert fingerprints([other_workflow]) != fingerprints([CHAINED])
    other_code = Diagnostic(
        CHAINED.path,
        CHAINED.line,
        CHAINED.column,
        "CN102",
        CHAINED.message,
        workflow=CHAINED.workflow,
    )
    assert fingerprints([other_code]) != fingerprints([CHAINED])


def test_identical_findings_get_distinct_occurrence_fingerprints() -> None:
    second = Diagnostic(
        CHAINED.path, 30, 1, CHAINED.code, CHAINED.message, workflow=CHAINED.workflow
    )
    first_fp, second_fp = fingerprints([CHAINED, second])
    assert first_fp.split(":")[0] == second_fp.split(":")[0]
    assert (first_fp.split(":")[1], second_fp.split(":")[1]) == ("1", "2")


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_format_is_deterministic_and_order_independent(name: str) -> None:
    first = render(name, ALL, sources={CHAINED.path: SOURCE})
    again = render(name, list(reversed(ALL)), sources={CHAINED.path: SOURCE})
    assert first == again
    assert first.endswith("\n")


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", ALL)


# --- text ----------------------------------------------------------------------------


def test_text_block_has_headline_excerpt_caret_chain_and_hint() -> None:
    out = render_text([CHAINED], sources={CHAINED.path: SOURCE})
    lines = out.splitlines()
    assert lines[0] == (
        "app/flows/orders.py:3:17: CN101 [nondeterministic-clock] time.time() reads the wall "
        "clock, reached via app.pricing.quote (app/pricing.py:12)"
    )
    assert lines[2] == "3 |         total = pricing.quote(order)"
    caret_line = lines[3]
    # The caret starts under column 17 and spans columns 17..36 (end is exclusive).
    assert caret_line.index("^") - len("  | ") == 16
    assert caret_line.count("^") == 20
    assert "  via: app.pricing.quote (app/pricing.py:12)" in lines
    assert "  via: time.time() (app/pricing.py:14)" in lines
    assert "  hint: use continuum.now()" in lines
    assert lines[-1] == "Found 1 error in 1 file."
    assert "\x1b[" not in out


def test_chain_is_not_repeated_when_the_message_ends_with_it() -> None:
    diag = Diagnostic(
        "w.py",
        3,
        5,
        "CN101",
        "`time.time()` reads the clock: F.run → app.h (app/h.py:2) → time.time()",
        chain=(ChainHop("F.run", "w.py", 3), ChainHop("app.h", "app/h.py", 2)),
    )
    text = render_text([diag])
    assert text.splitlines()[0].endswith("[nondeterministic-clock] `time.time()` reads the clock")
    assert "  via: app.h (app/h.py:2)" in text.splitlines()
    _, _, message = _parse_command(render_github([diag]).splitlines()[0])
    assert message.splitlines()[0] == "CN101 [nondeterministic-clock] `time.time()` reads the clock"
    assert json.loads(render_json([diag]))[0]["message"] == diag.message  # JSON keeps it whole
    assert "→ time.time()" in render_concise([diag])


def test_text_without_source_still_reports_and_clean_run_says_so() -> None:
    out = render_text([CHAINED])
    assert "|" not in out.splitlines()[1]
    assert render_text([]) == "All checks passed.\n"


def test_text_colour_only_when_asked() -> None:
    coloured = render_text([CHAINED, WARNING], sources={CHAINED.path: SOURCE}, color=True)
    assert "\x1b[31m" in coloured  # errors red
    assert "\x1b[33m" in coloured  # warnings yellow
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(
        [CHAINED, WARNING], sources={CHAINED.path: SOURCE}
    )


def test_text_caret_lines_up_under_tabs_and_wide_characters() -> None:
    source = "\tx = '漢字' + time.time()\n"
    column = source.index("time") + 1
    diag = Diagnostic("w.py", 1, column, "CN101", "clock", end_line=1, end_column=column + 11)
    caret_line = render_text([diag], sources={"w.py": source}).splitlines()[3]
    pad = caret_line[len("  | ") : caret_line.index("^")]
    assert pad.startswith("\t")  # tabs are copied so the terminal expands them alike
    assert len(pad) == 1 + len("x = '") + 4 + len("' + ")  # two cells per wide character
    assert caret_line.count("^") == 11


def test_text_multiline_message_stays_indented_under_its_headline() -> None:
    lines = render_text([ODD]).splitlines()
    assert lines[0].endswith("print() → line one")
    assert lines[1:3] == ["  line two", "  with % and ::error:: inside"]


def test_text_out_of_range_line_skips_excerpt() -> None:
    diag = Diagnostic("w.py", 99, 1, "CN901", "bad")
    assert "|" not in render_text([diag], sources={"w.py": "x = 1\n"})


# --- concise -------------------------------------------------------------------------


def test_concise_is_one_line_per_diagnostic_plus_summary() -> None:
    lines = render_concise(ALL).splitlines()
    assert len(lines) == len(ALL) + 1
    assert lines[0].startswith("app/flows/orders.py:3:17: CN101 [nondeterministic-clock] ")
    assert lines[1].startswith("app/flows/orders.py:9:9: CN201 [suspend-swallowing-except] ")
    assert lines[2] == (
        "app/ünï code/shop flows.py:2:5: CN106 [io-in-workflow] print() → line one line two  "
        "with % and ::error:: inside"
    )
    assert lines[3] == "Found 2 errors, 1 warning in 2 files."


# --- json ----------------------------------------------------------------------------


def test_json_has_documented_keys_in_stable_order() -> None:
    records = json.loads(render_json(ALL))
    assert [r["code"] for r in records] == ["CN101", "CN201", "CN106"]
    assert list(records[0]) == [
        "code",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "hint",
        "chain",
        "workflow",
        "fingerprint",
    ]
    assert records[0]["chain"] == [
        {"label": "app.pricing.quote", "path": "app/pricing.py", "line": 12},
        {"label": "time.time()", "path": "app/pricing.py", "line": 14},
    ]
    assert records[1]["severity"] == "warning"
    assert records[2]["path"] == "app/ünï code/shop flows.py"


@settings(max_examples=60, deadline=None)
@given(st.lists(diagnostics(), max_size=6))
def test_json_round_trips_every_field(diags: list[Diagnostic]) -> None:
    text = render_json(diags)
    assert text.isascii()
    records = json.loads(text)
    for diag, record in zip(sorted(diags), records, strict=True):
        assert (record["path"], record["line"], record["column"]) == (
            diag.path,
            diag.line,
            diag.column,
        )
        assert (record["message"], record["hint"], record["workflow"]) == (
            diag.message,
            diag.hint,
            diag.workflow,
        )
        assert [tuple(h.values()) for h in record["chain"]] == [
            (h.label, h.path, h.line) for h in diag.chain
        ]
        assert record["name"] == CODES[diag.code].name


# --- github --------------------------------------------------------------------------

_COMMAND = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match["props"].split(",")) if match["props"] else {}
    return match[1], {k: _unescape(v) for k, v in props.items()}, _unescape(match["message"])


def test_github_annotation_fields_and_escaping() -> None:
    lines = render_github([CHAINED, WARNING, ODD]).splitlines()
    level, props, message = _parse_command(lines[0])
    assert level == "error"
    assert props == {
        "title": "continuum (CN101)",
        "file": "app/flows/orders.py",
        "line": "3",
        "col": "17",
        "endLine": "3",
        "endColumn": "37",
    }
    assert message.splitlines() == [
        f"CN101 [nondeterministic-clock] {CHAINED.message}",
        "via: app.pricing.quote (app/pricing.py:12)",
        "via: time.time() (app/pricing.py:14)",
        "hint: use continuum.now()",
    ]
    level, _, message = _parse_command(lines[1])
    assert level == "warning"
    assert "100% sure, a,b:c" in message
    assert "%25" in lines[1]
    _, props, message = _parse_command(lines[2])
    assert props["file"] == "app/ünï code/shop flows.py"
    assert "\n" not in lines[2] and "::error:: inside" in message
    assert lines[-1] == "Found 2 errors, 1 warning in 2 files."


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=30))
def test_github_escapes_round_trip(text: str) -> None:
    assert _unescape(escape_data(text)) == text
    escaped = escape_property(text)
    assert _unescape(escaped) == text
    assert not set(",:\r\n") & set(escaped)


def test_github_caps_annotations_per_level_and_points_to_sarif() -> None:
    errors = [Diagnostic("a.py", n, 1, "CN101", f"clock {n}") for n in range(1, 14)]
    warnings = [
        Diagnostic("b.py", n, 1, "CN206", f"set {n}", severity=Severity.WARNING)
        for n in range(1, 5)
    ]
    lines = render_github(errors + warnings).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 4
    plain = [line for line in lines if line.startswith("a.py:")]
    assert [line.split(":")[1] for line in plain] == ["11", "12", "13"]
    notices = [line for line in lines if line.startswith("::notice")]
    assert len(notices) == 1
    assert "::notice title=continuum::3 more errors not shown as annotations" in notices[0]
    assert "sarif" in notices[0]
    assert lines[-1] == "Found 13 errors, 4 warnings in 2 files."


# --- sarif ---------------------------------------------------------------------------


def _sarif(diags: list[Diagnostic], **kw: object) -> dict:
    return json.loads(render_sarif(diags, **kw))


def test_sarif_has_every_field_github_requires() -> None:
    log = _sarif(ALL)
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "continuum"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", driver["semanticVersion"])
    assert run["automationDetails"]["id"] == "continuum/"
    assert run["columnKind"] == "unicodeCodePoints"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["name"] == CODES[rule["id"]].name
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert len(run["results"]) == len(ALL)
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning"}
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and " " not in uri
        region = location["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"]
        assert result["partialFingerprints"]["continuumFingerprint/v1"]


def test_sarif_result_details() -> None:
    log = _sarif([CHAINED, ODD, WARNING])
    chained, warning, odd = log["runs"][0]["results"]
    assert chained["message"]["text"].endswith("\nHint: use continuum.now()")
    assert chained["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 17,
        "endLine": 3,
        "endColumn": 37,
    }
    steps = chained["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == [
        "app.flows.orders.OrderFlow",
        "app.pricing.quote",
        "time.time()",
    ]
    assert steps[2]["location"]["physicalLocation"]["region"] == {"startLine": 14}
    assert [r["id"] for r in chained["relatedLocations"]] == [1, 2]
    assert chained["properties"] == {"workflow": "app.flows.orders.OrderFlow"}
    assert warning["level"] == "warning"
    assert "codeFlows" not in warning
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "app/%C3%BCn%C3%AF%20code/shop%20flows.py"
    )


def test_sarif_information_uri_comes_from_project_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = _sarif([])["runs"][0]["tool"]["driver"]
    assert driver.get("informationUri") in {None, sarif_module.project_url()}
    monkeypatch.setattr(sarif_module, "project_url", lambda: "https://example.org/continuum")
    driver = _sarif([])["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/continuum"
    monkeypatch.setattr(sarif_module, "project_url", lambda: None)
    assert "informationUri" not in _sarif([])["runs"][0]["tool"]["driver"]


def test_sarif_rules_are_the_selection_plus_reported_codes() -> None:
    rules = _sarif([WARNING], rules=["CN101"])["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CN101", "CN201"]
    default = _sarif([])["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in default} == {c for c, i in CODES.items() if i.default_enabled}


def test_sarif_fingerprint_stable_when_code_moves_down() -> None:
    moved = Diagnostic(
        CHAINED.path,
        CHAINED.line + 10,
        CHAINED.column,
        CHAINED.code,
        CHAINED.message,
        chain=CHAINED.chain,
        workflow=CHAINED.workflow,
    )
    (before,) = _sarif([CHAINED])["runs"][0]["results"]
    (after,) = _sarif([moved])["runs"][0]["results"]
    assert before["partialFingerprints"] == after["partialFingerprints"]


@settings(max_examples=40, deadline=None)
@given(st.lists(diagnostics(), max_size=5))
def test_sarif_always_valid_json_with_one_result_per_diagnostic(diags: list[Diagnostic]) -> None:
    run = _sarif(diags)["runs"][0]
    assert len(run["results"]) == len(diags)
    fps = [r["partialFingerprints"]["continuumFingerprint/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps)
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        if "endColumn" in region:
            assert (region["endLine"], region["endColumn"]) > (
                region["startLine"],
                region["startColumn"],
            )


# --- statistics ----------------------------------------------------------------------


def test_statistics_counts_by_code() -> None:
    out = render_statistics([CHAINED, CHAINED, WARNING])
    assert out.splitlines() == [
        "2  CN101  [nondeterministic-clock]  error",
        "1  CN201  [suspend-swallowing-except]  warning",
        "3 diagnostics in total.",
    ]
    assert render_statistics([]) == "All checks passed.\n"


@pytest.mark.parametrize(
    "module",
    [
        "continuum.cli.formats._common",
        "continuum.cli.formats.concise",
        "continuum.cli.formats.github",
        "continuum.cli.formats.json",
        "continuum.cli.formats.statistics",
        "continuum.analyzer.rule_docs",
    ],
)
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried and not failures
