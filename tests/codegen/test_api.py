"""`continuum.codegen.api.build` end to end on scratch copies of the example shop."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from continuum.codegen.api import BuildReport, ProblemKind, Status, WorkflowResult
from continuum.codegen.registry import read_metadata
from continuum.codegen.render import verify_digest

from .conftest import REPO, hash_of, write_project
from .reformat import reformat

Build = Callable[..., BuildReport]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def out_of(root: Path) -> Path:
    return root / "shop" / "_continuum"


def orders_of(report: BuildReport) -> WorkflowResult:
    """The result for the shop's OrderFlow (the shop has other workflows too)."""
    (result,) = [r for r in report.workflows if r.workflow == "shop.flows.orders:OrderFlow"]
    return result


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_build_writes_versions_registry_and_packages(shop_root: Path, run_build: Build) -> None:
    report = run_build([shop_root])
    assert report.exit_code == 0, report.problems
    assert [(r.workflow, r.status) for r in report.workflows] == [
        ("shop.flows.billing:InvoiceFlow", Status.CREATED),
        ("shop.flows.billing:MonthlyBillingFlow", Status.CREATED),
        ("shop.flows.onboarding:OnboardingFlow", Status.CREATED),
        ("shop.flows.orders:OrderFlow", Status.CREATED),
    ]
    orders = orders_of(report)
    short = hash_of(shop_root / "shop/flows/orders.py", "OrderFlow")[:16]
    assert orders.path == out_of(shop_root) / "shop/flows/orders" / f"V_{short}.py"
    assert orders.module == f"shop._continuum.shop.flows.orders.V_{short}"
    packages = ("", "shop", "shop/flows", "shop/flows/orders", "shop/flows/billing")
    for package in (*packages, "shop/flows/onboarding"):
        assert (out_of(shop_root) / package / "__init__.py").is_file()
    assert verify_digest(orders.path.read_text(encoding="utf-8")) is True
    registry = (out_of(shop_root) / "__init__.py").read_text(encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(registry, "registry", "exec"), namespace)
    assert namespace["REGISTRY_FORMAT"] == 1
    assert namespace["CURRENT"] == {r.workflow: r.version_hash for r in report.workflows}
    assert namespace["VERSIONS"][orders.version_hash] == {
        "workflow": "shop.flows.orders:OrderFlow",
        "module": orders.module,
        "entrypoint": "OrderFlow",
    }


def test_builds_are_byte_identical(shop_root: Path, run_build: Build) -> None:
    run_build([shop_root])
    first = snapshot(out_of(shop_root))
    again = run_build([shop_root])
    assert again.written == () and snapshot(out_of(shop_root)) == first
    shutil.rmtree(out_of(shop_root))
    run_build([shop_root])
    assert snapshot(out_of(shop_root)) == first


def test_changed_workflow_gets_a_new_module_beside_the_old(
    shop_root: Path, run_build: Build
) -> None:
    first = orders_of(run_build([shop_root]))
    old_bytes = first.path.read_bytes()
    edit(shop_root / "shop/flows/orders.py", "max_attempts=5", "max_attempts=7")
    second = orders_of(run_build([shop_root]))
    assert second.status is Status.CREATED and second.path != first.path
    assert first.path.read_bytes() == old_bytes
    versions = sorted(p.name for p in second.path.parent.glob("V_*.py"))
    assert versions == sorted([first.path.name, second.path.name])
    registry = (out_of(shop_root) / "__init__.py").read_text(encoding="utf-8")
    assert first.version_hash in registry and second.version_hash in registry
    assert f"'shop.flows.orders:OrderFlow': '{second.version_hash}'" in registry.replace('"', "'")


def test_formatting_only_edit_keeps_the_frozen_module(shop_root: Path, run_build: Build) -> None:
    first = orders_of(run_build([shop_root]))
    frozen = first.path.read_bytes()
    flow = shop_root / "shop/flows/orders.py"
    flow.write_text("\n\n# moved down\n" + reformat(flow.read_text(), seed=7), encoding="utf-8")
    check = run_build([shop_root], check=True)
    assert check.exit_code == 0, check.problems
    again = run_build([shop_root])
    assert again.written == () and first.path.read_bytes() == frozen


def test_never_rewrites_a_hand_edited_module(shop_root: Path, run_build: Build) -> None:
    target = orders_of(run_build([shop_root])).path
    tampered = target.read_text(encoding="utf-8").replace("max_attempts=5", "max_attempts=50")
    target.write_text(tampered, encoding="utf-8")
    report = run_build([shop_root])
    assert report.exit_code == 1
    assert [p.kind for p in report.problems] == [ProblemKind.EDITED]
    assert target.read_text(encoding="utf-8") == tampered


class TestCheck:
    def test_clean_tree_passes_and_writes_nothing(self, shop_root: Path, run_build: Build) -> None:
        run_build([shop_root])
        before = snapshot(shop_root)
        report = run_build([shop_root], check=True)
        assert report.exit_code == 0 and report.written == ()
        assert snapshot(shop_root) == before

    def test_missing_tree_fails_with_the_command_to_run(
        self, shop_root: Path, run_build: Build
    ) -> None:
        report = run_build([shop_root], check=True)
        assert report.exit_code == 1
        assert {p.kind for p in report.problems} == {ProblemKind.MISSING, ProblemKind.REGISTRY}
        assert all(p.fix == f"continuum build {shop_root}" for p in report.problems)
        assert not out_of(shop_root).exists()

    def test_stale_source_fails_until_rebuilt(self, shop_root: Path, run_build: Build) -> None:
        run_build([shop_root])
        edit(shop_root / "shop/pricing.py", '"4.90"', '"5.90"')
        report = run_build([shop_root], check=True)
        assert report.exit_code == 1
        missing = [p.message for p in report.problems if p.kind is ProblemKind.MISSING]
        # Exactly the workflows that reach the edited helper need a new version.
        reaching = ("shop.flows.billing:InvoiceFlow", "shop.flows.orders:OrderFlow")
        assert len(missing) == len(reaching)
        assert all(any(name in m for m in missing) for name in reaching)
        run_build([shop_root])
        assert run_build([shop_root], check=True).exit_code == 0

    def test_hand_edited_module_fails(self, shop_root: Path, run_build: Build) -> None:
        target = run_build([shop_root]).workflows[0].path
        with target.open("a", encoding="utf-8") as fh:
            fh.write("# harmless looking\n")
        report = run_build([shop_root], check=True)
        assert [(p.kind, p.path) for p in report.problems] == [(ProblemKind.EDITED, target)]
        assert "git checkout" in report.problems[0].fix

    def test_registry_must_list_exactly_the_modules(
        self, shop_root: Path, run_build: Build
    ) -> None:
        run_build([shop_root])
        registry = out_of(shop_root) / "__init__.py"
        original = registry.read_text(encoding="utf-8")
        registry.write_text(original.replace("CURRENT = {", "CURRENT = {\n    'x.y:Z': 'f',"))
        report = run_build([shop_root], check=True)
        assert [p.kind for p in report.problems] == [ProblemKind.REGISTRY]
        registry.unlink()
        assert [p.kind for p in run_build([shop_root], check=True).problems] == [
            ProblemKind.REGISTRY
        ]

    def test_stray_or_renamed_module_fails(self, shop_root: Path, run_build: Build) -> None:
        built = run_build([shop_root]).workflows[1].path
        stray = built.with_name("V_ffffffffffffffff.py")
        shutil.copy(built, stray)
        report = run_build([shop_root], check=True)
        assert [(p.kind, p.path) for p in report.problems] == [(ProblemKind.EDITED, stray)]
        assert "does not match" in report.problems[0].message


BAD_FLOW = """
    import time

    from continuum import Workflow


    class Clock(Workflow):
        def run(self, x):
            return time.time()
"""

GOOD_FLOW = """
    from continuum import Workflow, activity
    from app.acts import ping


    class Fine(Workflow):
        def run(self, x):
            return activity(ping, x)
"""


def test_analyzer_errors_refuse_the_workflow(tmp_path: Path, run_build: Build) -> None:
    root = write_project(
        tmp_path / "src",
        {
            "app/bad.py": BAD_FLOW,
            "app/good.py": GOOD_FLOW,
            "app/acts.py": "def ping(x):\n    return x\n",
        },
    )
    report = run_build([root])
    assert report.exit_code == 1
    statuses = {r.workflow: r.status for r in report.workflows}
    assert statuses == {"app.bad:Clock": Status.REFUSED, "app.good:Fine": Status.CREATED}
    assert {d.code for d in report.diagnostics} == {"CN101"}
    assert [p.kind for p in report.problems] == [ProblemKind.ANALYZER]
    assert not (root / "app/_continuum/app/bad").exists()
    assert "app.bad:Clock" not in (root / "app/_continuum/__init__.py").read_text()


SQ3, DQ3 = "'" * 3, '"' * 3
#: A signal name and a patch id that try to close their string literal and run code.
ODD_SIGNAL = f'it\'s "odd"\n{SQ3}; import os  #'
ODD_CHANGE = f"x{SQ3}{DQ3}; __import__('os').system('echo pwned')"
ODD_FLOW = "\n".join(
    [
        f'"""Module doc with {SQ3} quotes."""',
        "from continuum import Workflow, await_signal, patched",
        "",
        f"SIGNAL = {ODD_SIGNAL!r}",
        "",
        "",
        'class Ωmega_Flow(Workflow, signals=[SIGNAL, "plain"], workflow="app.odd:Ωmega_Flow"):',
        f"    {SQ3}Class doc: {DQ3} inside.{SQ3}",
        "",
        "    def run(self, x):",
        f"        if patched({ODD_CHANGE!r}):",
        "            return await_signal(SIGNAL)",
        "        return None",
        "",
    ]
)


def test_odd_names_and_strings_cannot_inject_code(tmp_path: Path, run_build: Build) -> None:
    root = tmp_path / "src"
    (root / "app").mkdir(parents=True)
    (root / "app/__init__.py").write_text("")
    (root / "app/odd.py").write_text(ODD_FLOW, encoding="utf-8")
    report = run_build([root])
    assert report.exit_code == 0, report.problems
    text = report.workflows[0].path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    top = [type(node).__name__ for node in tree.body]
    # Docstring, the one import, the constant, the class, the metadata: nothing else.
    assert top == ["Expr", "ImportFrom", "Assign", "ClassDef", "Assign"]
    metadata = read_metadata(text)
    assert metadata["signals"] == [ODD_SIGNAL, "plain"]
    assert metadata["patch_sites"] == [ODD_CHANGE]
    assert metadata["workflow"] == "app.odd:Ωmega_Flow"
    assert not any(isinstance(node, ast.Import) for node in tree.body)


def test_invalid_logical_name_is_a_build_error(tmp_path: Path, run_build: Build) -> None:
    flow = """
        from continuum import Workflow

        class Flow(Workflow, workflow="app.x:Flow'); import os; ('"):
            def run(self, x):
                return x
    """
    root = write_project(tmp_path / "src", {"app/x.py": flow})
    report = run_build([root])
    assert report.exit_code == 1
    assert [p.kind for p in report.problems] == [ProblemKind.ERROR]
    assert "workflow must look like" in report.problems[0].message
    assert not (root / "app/_continuum").exists()


def test_renamed_class_keeps_its_logical_identity(shop_root: Path, run_build: Build) -> None:
    run_build([shop_root])
    edit(
        shop_root / "shop/flows/orders.py",
        "class OrderFlow(Workflow, version=1,",
        'class CheckoutFlow(Workflow, version=2, workflow="shop.flows.orders:OrderFlow",',
    )
    report = run_build([shop_root])
    orders = [r for r in report.workflows if r.workflow == "shop.flows.orders:OrderFlow"]
    assert len(orders) == 1 and orders[0].status is Status.CREATED
    versions = sorted(orders[0].path.parent.glob("V_*.py"))
    assert len(versions) == 2
    assert {read_metadata(p.read_text())["entrypoint"] for p in versions} == {
        "OrderFlow",
        "CheckoutFlow",
    }


def _python(code: str, *path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (*path, REPO)))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


IMPORT_ALL = """
    import importlib, json, sys
    import {registry} as registry

    out = {{}}
    for version_hash, entry in registry.VERSIONS.items():
        module = importlib.import_module(entry["module"])
        cls = getattr(module, entry["entrypoint"])
        out[version_hash] = {{
            "metadata": module.__continuum_workflow__,
            "name": cls.__continuum_name__,
            "retention": cls.__continuum_retention__,
            "signals": (
                None if cls.__continuum_signals__ is None else list(cls.__continuum_signals__)
            ),
            "module": cls.__module__,
        }}
    # The frozen copy stands alone: the workflow's source module is never imported.
    out["source_imported"] = "shop.flows.orders" in sys.modules
    print(json.dumps(out))
"""


def test_generated_modules_import_and_expose_metadata(shop_root: Path, run_build: Build) -> None:
    report = run_build([shop_root])
    result = _python(IMPORT_ALL.format(registry="shop._continuum"), shop_root)
    loaded = json.loads(result.stdout)
    assert loaded.pop("source_imported") is False
    assert result.stderr == ""
    for workflow in report.workflows:
        found = loaded[workflow.version_hash]
        assert found["name"] == workflow.workflow
        assert found["module"] == workflow.module
        metadata = found["metadata"]
        assert metadata["workflow"] == workflow.workflow
        assert metadata["version_hash"] == workflow.version_hash
        assert metadata["hash_scheme"] == "continuum-hash-v1"
        assert metadata["retention"] == found["retention"] == 30 * 86400
        assert metadata["signals"] == found["signals"]
        assert metadata["entrypoint"] == workflow.workflow.split(":")[1]


def test_out_directory_override(shop_root: Path, tmp_path: Path, run_build: Build) -> None:
    out = tmp_path / "gen" / "versions"
    report = run_build([shop_root], out=out)
    assert report.exit_code == 0
    assert orders_of(report).module.startswith("versions.shop.flows.orders.V_")
    assert not out_of(shop_root).exists()
    result = _python(IMPORT_ALL.format(registry="versions"), tmp_path / "gen", shop_root)
    # One entry per workflow, plus the "source_imported" flag.
    assert len(json.loads(result.stdout)) == len(report.workflows) + 1


def test_generated_code_is_ruff_clean(shop_root: Path, run_build: Build) -> None:
    run_build([shop_root])
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is a dev dependency and must be installed")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--select=E,F,W,B,UP,SIM,RUF,I,N",
            "--ignore=E501",
            "--config=lint.isort.known-first-party=['shop']",
            "--config=lint.pep8-naming.extend-ignore-names=['V_*', 'H_*']",
            str(out_of(shop_root)),
        ],
        capture_output=True,
        text=True,
        cwd=shop_root,  # so ruff sees the user's project, not this repository, as first party
    )
    assert result.returncode == 0, result.stdout


def test_two_classes_claiming_one_name_are_refused(tmp_path: Path, run_build: Build) -> None:
    flow = """
        from continuum import Workflow

        class Old(Workflow, workflow="app.x:Flow"):
            def run(self, x):
                return x

        class Flow(Workflow):
            def run(self, x):
                return x
    """
    root = write_project(tmp_path / "src", {"app/x.py": flow})
    report = run_build([root])
    assert [p.kind for p in report.problems] == [ProblemKind.ERROR]
    assert "app.x:Old, app.x:Flow all claim the workflow name 'app.x:Flow'" in (
        report.problems[0].message
    )
    assert not (root / "app/_continuum/app").exists()


def test_old_versions_keep_their_frozen_helpers(shop_root: Path, run_build: Build) -> None:
    old = orders_of(run_build([shop_root]))
    frozen = sorted((out_of(shop_root) / "shop/pricing").glob("H_*.py"))
    edit(shop_root / "shop/pricing.py", '"4.90"', '"5.90"')
    new = orders_of(run_build([shop_root]))
    assert new.status is Status.CREATED and new.path != old.path
    helpers = sorted((out_of(shop_root) / "shop/pricing").glob("H_*.py"))
    # The old frozen helpers stay; each is joined by a copy of the edited source.
    assert set(frozen) < set(helpers) and len(helpers) == 2 * len(frozen)
    result = _python(
        f"""
        import importlib
        for name in ({old.module!r}, {new.module!r}):
            print(importlib.import_module(name).pricing.grand_total("10"))
        """,
        shop_root,
    )
    # The edited source only reaches the new version.
    assert result.stdout.split() == ["14.90", "15.90"]


def test_check_covers_helper_modules(shop_root: Path, run_build: Build) -> None:
    run_build([shop_root])
    helper = sorted((out_of(shop_root) / "shop/pricing").glob("H_*.py"))[0]
    original = helper.read_text(encoding="utf-8")
    helper.write_text(original.replace('"4.90"', '"0.00"'), encoding="utf-8")
    report = run_build([shop_root], check=True)
    assert [(p.kind, p.path) for p in report.problems] == [(ProblemKind.EDITED, helper)]
    helper.unlink()
    report = run_build([shop_root], check=True)
    assert [(p.kind, p.path) for p in report.problems] == [(ProblemKind.MISSING, helper)]
    assert "imports this generated helper module" in report.problems[0].message


def test_every_effect_call_in_the_shop_is_stamped(shop_root: Path, run_build: Build) -> None:
    from continuum.codegen.bindings import EFFECT_KINDS

    report = run_build([shop_root])
    for result in report.workflows:
        tree = ast.parse(result.path.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in EFFECT_KINDS
        ]
        assert calls, result.workflow
        for call in calls:
            (command,) = [k.value for k in call.keywords if k.arg == "_command"]
            kind, workflow, function, line, shape = ast.literal_eval(command)
            assert (kind, workflow, function) == (
                EFFECT_KINDS[call.func.id],
                result.workflow,
                f"{result.workflow.split(':')[1]}.run",
            )
            source_line = result.source.read_text(encoding="utf-8").splitlines()[line - 1]
            assert call.func.id in source_line and len(shape) == 8


def test_workflows_deriving_from_a_project_base_are_found(tmp_path: Path, run_build: Build) -> None:
    root = write_project(
        tmp_path / "src",
        {
            "app/base.py": """
                from continuum import Workflow

                class Base(Workflow):
                    def run(self, x):
                        return x
            """,
            # Never mentions continuum: admitted because it names a workflow found.
            "app/flows.py": """
                from app.base import Base

                class Flow(Base):
                    def run(self, x):
                        return x + 1
            """,
        },
    )
    report = run_build([root])
    assert report.exit_code == 0, report.problems
    assert [r.workflow for r in report.workflows] == ["app.base:Base", "app.flows:Flow"]


def test_explicit_path_inside_an_excluded_directory_is_built(tmp_path: Path) -> None:
    from continuum.analyzer.config import Config
    from continuum.codegen.api import build

    # A scratch copy under .continuum/ (excluded by default) of the project root.
    root = tmp_path / ".continuum" / "demo" / "examples"
    write_project(
        root,
        {
            "app/flows.py": "from continuum import Workflow\n\n\nclass Flow(Workflow):\n    pass\n",
            "app/bad.py": BAD_FLOW,
        },
    )
    report = build([root], config=Config(root=tmp_path))
    # Both are found, and the analyzer sees them too: the bad one is refused.
    assert {r.workflow: r.status for r in report.workflows} == {
        "app.flows:Flow": Status.CREATED,
        "app.bad:Clock": Status.REFUSED,
    }
    # Exclusions still apply below the named path.
    assert not any("_continuum" in str(r.source) for r in report.workflows)
