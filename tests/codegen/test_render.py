"""Templates and literals: nothing placed into generated code can become code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.codegen.errors import CodegenError
from continuum.codegen.render import (
    GENERATED_HEADER,
    PRECOMPILED,
    PRECOMPILED_DIGEST,
    RegistryRow,
    VersionModule,
    environment,
    py_literal,
    py_string,
    render_registry,
    render_version,
    render_with_jinja,
    templates_digest,
    verify_digest,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "continuum" / "codegen" / "templates"


@given(st.text())
def test_any_string_renders_as_one_literal(text: str) -> None:
    rendered = py_string(text)
    tree = ast.parse(rendered, mode="eval")
    assert isinstance(tree.body, ast.Constant) and tree.body.value == text


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(),
            st.floats(allow_nan=False, allow_infinity=False),
        )
    )
)
def test_lists_of_scalars_round_trip(values: list[object]) -> None:
    assert ast.literal_eval(py_literal(values)) == values


@pytest.mark.parametrize("value", [{"a": 1}, object(), float("nan"), float("inf"), b"x"])
def test_other_values_are_refused(value: object) -> None:
    with pytest.raises(CodegenError):
        py_literal(value)


def test_environment_is_strict() -> None:
    env = environment()
    assert env.keep_trailing_newline and not env.autoescape
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()


def module(**changes: object) -> VersionModule:
    fields = {
        "workflow": "app.flows:Flow",
        "source": "app/flows.py",
        "version_hash": "ab" * 32,
        "future": ("annotations",),
        "imports": "from continuum import Workflow",
        "frozen_code": "class Flow(Workflow, workflow='app.flows:Flow'):\n    pass",
        "metadata": (("workflow", "app.flows:Flow"), ("signals", ["a\"'\n"])),
    }
    fields.update(changes)
    return VersionModule(**fields)  # type: ignore[arg-type]


def test_version_module_has_header_and_valid_digest() -> None:
    text = render_version(module())
    lines = text.splitlines()
    assert lines[0] == GENERATED_HEADER
    assert lines[1] == "# source: app/flows.py"
    assert lines[2] == "# version_hash: " + "ab" * 32
    assert verify_digest(text) is True
    assert verify_digest(text.replace("pass", "return")) is False
    assert verify_digest("x = 1\n") is None
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_broken_frozen_code_fails_the_build_not_a_worker() -> None:
    with pytest.raises(CodegenError, match="does not parse"):
        render_version(module(frozen_code="class Flow(:\n    pass"))


def test_future_names_are_validated() -> None:
    with pytest.raises(CodegenError):
        render_version(module(future=("annotations\nimport os",)))


@pytest.mark.parametrize("source", ["app/x\nimport os; os.system('id')\n.py", "app/\rx.py"])
def test_a_source_path_cannot_break_out_of_the_header_comment(source: str) -> None:
    # File names may contain line breaks; one in the "# source:" line would start code.
    with pytest.raises(CodegenError, match="comment"):
        render_version(module(source=source))


def test_registry_is_sorted_and_parses() -> None:
    text = render_registry(
        [("h1", RegistryRow("a.b:C", "pkg._continuum.a.b.V_h1", "C"))], [("a.b:C", "h1")]
    )
    namespace: dict[str, object] = {}
    exec(compile(text, "registry", "exec"), namespace)
    assert namespace["VERSIONS"] == {
        "h1": {"workflow": "a.b:C", "module": "pkg._continuum.a.b.V_h1", "entrypoint": "C"}
    }
    assert namespace["CURRENT"] == {"a.b:C": "h1"}
    assert verify_digest(text) is True


def test_precompiled_renderers_are_for_these_templates() -> None:
    # Edited a template? Update its function in render.py, then PRECOMPILED_DIGEST to
    # templates_digest(); until then builds render through jinja2.
    assert templates_digest() == PRECOMPILED_DIGEST
    assert sorted(PRECOMPILED) == sorted(p.name for p in TEMPLATES.glob("*.j2"))


_names = st.text(min_size=1, max_size=12)
_code = st.text(alphabet=st.sampled_from(["a", " ", "\n", "{", "}", "'", '"', "é"]), max_size=30)
_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
_CONTEXTS = {
    "version_body.py.j2": st.fixed_dictionaries(
        {
            "short_hash": _names,
            "workflow": _names,
            "future": st.lists(_names, max_size=2).map(tuple),
            "imports": _code,
            "frozen_code": _code,
            "metadata": st.lists(st.tuples(_names, st.one_of(_values, st.lists(_values)))).map(
                tuple
            ),
            "blank_lines": st.integers(0, 3),
        }
    ),
    "version_module.py.j2": st.fixed_dictionaries(
        {"source": _names, "version_hash": _names, "digest": _names, "body": _code}
    ),
    "helper_body.py.j2": st.fixed_dictionaries(
        {
            "source_module": _names,
            "workflow": _names,
            "future": st.lists(_names, max_size=2).map(tuple),
            "imports": _code,
            "frozen_code": _code,
            "exported": st.lists(_names, max_size=3),
            "blank_lines": st.integers(0, 3),
        }
    ),
    "helper_module.py.j2": st.fixed_dictionaries(
        {"source": _names, "digest": _names, "body": _code}
    ),
    "package_init.py.j2": st.just({}),
}


@pytest.mark.parametrize("template", sorted(_CONTEXTS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_precompiled_renderers_match_jinja2(template: str, data: st.DataObject) -> None:
    context = data.draw(_CONTEXTS[template])
    assert PRECOMPILED[template](**context) == render_with_jinja(template, context)
