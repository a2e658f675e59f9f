"""The closure walk: what is hashed, what is frozen, what is imported."""

from __future__ import annotations

from pathlib import Path

from continuum.codegen.closure import ImportSpec, find_workflow_classes
from continuum.codegen.project import Project, import_root, module_name, read_module

from .conftest import plan, write_project


def keys(path: Path, class_name: str) -> dict[str, str]:
    return {e.key: e.kind for e in plan(path, class_name).closure.entries}


def test_import_root_and_module_name(shop_root: Path) -> None:
    path = shop_root / "shop/flows/orders.py"
    assert import_root(path) == shop_root.resolve()
    assert module_name(path) == "shop.flows.orders"
    assert module_name(shop_root / "shop/__init__.py") == "shop"


def test_workflow_classes_are_found_through_aliases_and_subclasses(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/base.py": """
                import continuum as cn

                class Base(cn.Workflow):
                    pass
            """,
            "app/flows.py": """
                from continuum.runtime.workflow import Workflow as W
                from app.base import Base

                class A(W):
                    def run(self, x):
                        return x

                class B(Base):
                    def run(self, x):
                        return x

                class NotAFlow:
                    pass
            """,
        },
    )
    source = read_module(tmp_path / "app/flows.py")
    assert find_workflow_classes(Project(tmp_path), source) == ["A", "B"]


def test_shop_closure(shop_root: Path) -> None:
    found = keys(shop_root / "shop/flows/orders.py", "OrderFlow")
    assert found["shop.flows.orders:OrderFlow"] == "class"
    assert found["shop.pricing:grand_total"] == "function"
    assert found["shop.pricing:FREE_SHIPPING_FROM"] == "assign"
    assert found["shop.pricing:Decimal"] == "import"
    # Activity targets (attribute and bare-name forms) are named, not entered.
    assert found["shop.payments:charge"] == "opaque"
    assert found["shop.payments:refund"] == "opaque"
    assert found["shop.notifications:send_email"] == "opaque"
    assert not any(k.startswith("shop.notifications:json") for k in found)
    assert not any(k.startswith("shop.payments:log") for k in found)


def test_scopes_shadow_module_names(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/flows.py": """
                from continuum import Workflow

                total = 99
                items = [1]
                RATE = 2
                unused = 3

                def helper(x):
                    return x * RATE

                class Flow(Workflow):
                    limit = 5

                    def run(self, order):
                        total = 0
                        for item in order:
                            total += helper(item)
                        squares = [items for items in order]
                        return total + len(squares) + self.limit
            """,
        },
    )
    found = keys(tmp_path / "app/flows.py", "Flow")
    assert "app.flows:helper" in found and "app.flows:RATE" in found
    # ``total`` is local to run(); ``items`` only appears as a comprehension variable.
    assert "app.flows:total" not in found
    assert "app.flows:items" not in found
    assert "app.flows:unused" not in found


def test_class_body_names_are_not_visible_in_methods(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/flows.py": """
                from continuum import Workflow

                limit = 10

                class Flow(Workflow):
                    limit = 5

                    def run(self, x):
                        return limit
            """,
        },
    )
    assert "app.flows:limit" in keys(tmp_path / "app/flows.py", "Flow")


def test_frozen_set_copies_functions_and_constants_and_imports_classes(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/flows.py": """
                from __future__ import annotations

                from decimal import Decimal as D
                import continuum as cn

                FEE = D("1.5")

                class Rejected(Exception):
                    pass

                def fee(x):
                    return x + FEE

                class Child(cn.Workflow):
                    def run(self, x):
                        return x

                class Flow(cn.Workflow):
                    def run(self, x):
                        if not x:
                            raise Rejected()
                        cn.run_child(Child, x)
                        return fee(x)
            """,
        },
    )
    version = plan(tmp_path / "app/flows.py", "Flow")
    closure = version.closure
    body = version.source.tree.body
    frozen_names = {getattr(body[i], "name", None) or body[i].targets[0].id for i in closure.frozen}
    assert frozen_names == {"FEE", "fee", "Flow"}
    # Classes keep their identity (an exception raised by an activity must still be
    # caught): they are imported from the source module, not copied.
    assert set(closure.imports) == {
        ImportSpec("decimal", "Decimal", "D"),
        ImportSpec("continuum", "", "cn"),
        ImportSpec("app.flows", "Rejected"),
        ImportSpec("app.flows", "Child"),
    }
    kinds = {e.key: e.kind for e in closure.entries}
    # Another workflow is versioned on its own: named, not entered.
    assert kinds["app.flows:Child"] == "opaque"
    assert kinds["app.flows:Rejected"] == "class"
    assert kinds["app.flows:__future__"] == "future"


def test_relative_imports_resolve_into_the_project(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/helpers.py": """
                def double(x):
                    return 2 * x
            """,
            "app/flows/orders.py": """
                from continuum import Workflow
                from ..helpers import double
                from .. import helpers

                class Flow(Workflow):
                    def run(self, x):
                        return double(x) + helpers.double(x)
            """,
        },
    )
    found = keys(tmp_path / "app/flows/orders.py", "Flow")
    assert found["app.helpers:double"] == "function"
    closure = plan(tmp_path / "app/flows/orders.py", "Flow").closure
    assert ImportSpec("app.helpers", "double") in closure.imports
    assert ImportSpec("app", "helpers") in closure.imports


def test_redefined_class_counts_once_and_the_last_definition_wins(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/flows.py": """
                from continuum import Workflow

                class Flow(Workflow, version=1):
                    def run(self, x):
                        return 1

                class Flow(Workflow, version=2):
                    def run(self, x):
                        return 2
            """,
        },
    )
    source = read_module(tmp_path / "app/flows.py")
    assert find_workflow_classes(Project(tmp_path), source) == ["Flow"]
    version = plan(tmp_path / "app/flows.py", "Flow")
    assert version.options.version == 2
    assert [source.tree.body[i].lineno for i in version.closure.frozen] == [8]
