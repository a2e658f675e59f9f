"""Freezing helpers from other project modules into content-addressed ``H_`` modules."""

from __future__ import annotations

import ast
import keyword
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.codegen.freeze import RenderedVersion, freeze_version
from continuum.codegen.project import Project
from continuum.codegen.registry import OutputDir, read_metadata

from .conftest import plan, write_project

HELPERS = """
    from continuum import activity, patched
    from app import maths

    SCALE = 2


    class Oops(Exception):
        pass


    def double(x):
        return maths.triple(x) - x + SCALE - 2


    def act(x):
        return x


    def notify(x):
        if patched("notify-v2"):
            return activity(act, x)
        return None


    def unused():
        return 0
"""

MATHS = """
    from app import helpers


    def triple(x):
        return 3 * x


    def back(x):
        return helpers.double(x)
"""


def freeze(tmp_path: Path, flow: str) -> RenderedVersion:
    root = write_project(
        tmp_path / "src", {"app/helpers.py": HELPERS, "app/maths.py": MATHS, "app/flows.py": flow}
    )
    version = plan(root / "app/flows.py", "Flow")
    out = OutputDir(root / "app/_continuum", "app._continuum")
    return freeze_version(version, Project(root), out)


def imports_of(text: str) -> list[str]:
    return [
        ast.unparse(n) for n in ast.parse(text).body if isinstance(n, ast.Import | ast.ImportFrom)
    ]


def test_module_attribute_helpers_are_copied_and_the_rest_reexported(tmp_path: Path) -> None:
    rendered = freeze(
        tmp_path,
        """
        from continuum import Workflow, activity
        from app import helpers

        class Flow(Workflow):
            def run(self, x):
                try:
                    activity(helpers.act, x)
                except helpers.Oops:
                    return None
                helpers.notify(x)
                return helpers.double(x)
        """,
    )
    by_source = {h.module.rsplit(".", 1)[0]: h for h in rendered.helpers}
    assert set(by_source) == {"app._continuum.app.helpers", "app._continuum.app.maths"}
    helper = by_source["app._continuum.app.helpers"]
    assert f"import {helper.module} as helpers" in imports_of(rendered.version.text)
    tree = ast.parse(helper.text)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defined == {"double", "notify"}  # act is an activity: it stays live
    assert "from app.helpers import Oops, act" in imports_of(helper.text)
    maths = by_source["app._continuum.app.maths"]
    assert f"import {maths.module} as maths" in imports_of(helper.text)
    assert "__all__ = ['Oops', 'act', 'double', 'notify']" in ast.unparse(tree)
    # Effects in copied helpers are stamped; their patch sites belong to the version.
    commands = [
        ast.literal_eval(k.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg == "_command"
    ]
    assert [c[:3] for c in commands] == [
        ("patched", "app.flows:Flow", "app.helpers.notify"),
        ("activity", "app.flows:Flow", "app.helpers.notify"),
    ]
    assert read_metadata(rendered.version.text)["patch_sites"] == ["notify-v2"]


def test_from_import_of_a_helper_function(tmp_path: Path) -> None:
    rendered = freeze(
        tmp_path,
        """
        from continuum import Workflow
        from app.helpers import double as dbl

        class Flow(Workflow):
            def run(self, x):
                return dbl(x)
        """,
    )
    helper = next(h for h in rendered.helpers if ".helpers." in h.module)
    assert f"from {helper.module} import double as dbl" in imports_of(rendered.version.text)


def test_module_used_as_an_object_stays_live(tmp_path: Path) -> None:
    rendered = freeze(
        tmp_path,
        """
        from continuum import Workflow
        from app import helpers

        class Flow(Workflow):
            def run(self, x):
                return getattr(helpers, "double")(x) + helpers.double(x)
        """,
    )
    assert rendered.helpers == ()
    assert "from app import helpers" in imports_of(rendered.version.text)


def test_import_cycles_end_in_a_live_import(tmp_path: Path) -> None:
    rendered = freeze(
        tmp_path,
        """
        from continuum import Workflow
        from app import maths

        class Flow(Workflow):
            def run(self, x):
                return maths.back(x)
        """,
    )
    # maths → helpers → maths: the inner maths stays the live module.
    texts = {h.module.rsplit(".", 1)[0]: h.text for h in rendered.helpers}
    assert "from app import maths" in imports_of(texts["app._continuum.app.helpers"])


def test_helper_modules_are_content_addressed(tmp_path: Path) -> None:
    flow = """
        from continuum import Workflow
        from app import helpers

        class Flow(Workflow):
            def run(self, x):
                return helpers.double(x)
    """
    first = freeze(tmp_path / "a", flow)
    second = freeze(tmp_path / "b", flow)
    assert [h.path.name for h in first.helpers] == [h.path.name for h in second.helpers]
    assert [h.text for h in first.helpers] == [h.text for h in second.helpers]


def test_same_module_activity_targets_stay_live(tmp_path: Path) -> None:
    rendered = freeze(
        tmp_path,
        """
        from continuum import Workflow, activity

        def charge(x):
            return x

        def step(x):
            return activity(charge, x)

        class Flow(Workflow):
            def run(self, x):
                return step(x)
        """,
    )
    tree = ast.parse(rendered.version.text)
    assert {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} == {"step"}
    assert "from app.flows import charge" in imports_of(rendered.version.text)


IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and s not in {"Workflow", "await_signal", "patched"}
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    class_name=IDENTIFIER,
    signal=st.text(max_size=30),
    change=st.text(max_size=30),
    doc=st.text(max_size=30),
)
def test_any_names_and_strings_stay_data(
    tmp_path_factory: pytest.TempPathFactory, class_name: str, signal: str, change: str, doc: str
) -> None:
    root = tmp_path_factory.mktemp("odd")
    source = "\n".join(
        [
            "from continuum import Workflow, await_signal, patched",
            "",
            "",
            f"class {class_name}(Workflow, signals=[{signal!r}]):",
            f"    {doc!r}",
            "",
            "    def run(self, x):",
            f"        if patched({change!r}):",
            f"            return await_signal({signal!r})",
            "        return None",
            "",
        ]
    )
    write_project(root, {"app/__init__.py": ""})
    (root / "app/flows.py").write_text(source, encoding="utf-8")
    version = plan(root / "app/flows.py", class_name)
    out = OutputDir(root / "app/_continuum", "app._continuum")
    text = freeze_version(version, Project(root), out).version.text
    tree = ast.parse(text)
    assert [type(n).__name__ for n in tree.body] == ["Expr", "ImportFrom", "ClassDef", "Assign"]
    metadata = read_metadata(text)
    assert metadata["signals"] == [signal] and metadata["patch_sites"] == [change]
    assert metadata["workflow"] == f"app.flows:{class_name}"
