"""Reachability: chains across modules, self. helpers, inheritance, cycles, trust."""

from __future__ import annotations

from continuum.analyzer.api import check_paths, check_source
from continuum.analyzer.config import Config
from continuum.analyzer.rule import workflow

PKG = {"app/__init__.py": "", "app/flows/__init__.py": ""}

FLOW = """\
from continuum import Workflow
from app import pricing


class OrderFlow(Workflow):
    def run(self, order):
        return pricing.quote(order)
"""


def test_chain_two_modules_deep_is_reported_at_the_workflow_call_site(make_tree) -> None:
    make_tree(
        {
            **PKG,
            "app/flows/orders.py": FLOW,
            "app/pricing.py": "from app import clock\n\n\ndef quote(o):\n    return clock.stamp(o)\n",
            "app/clock.py": "import time\n\n\ndef stamp(o):\n    return (o, time.time())\n",
        }
    )
    report = check_paths(["app"], config=Config(root=make_tree({})), use_cache=False)
    [diag] = report.diagnostics
    assert (diag.path, diag.line, diag.column, diag.code) == ("app/flows/orders.py", 7, 16, "CN101")
    assert diag.workflow == "app.flows.orders:OrderFlow"
    assert [str(h) for h in diag.chain] == [
        "OrderFlow.run (app/flows/orders.py:7)",
        "app.pricing.quote (app/pricing.py:5)",
        "app.clock.stamp (app/clock.py:5)",
        "time.time() (app/clock.py:5)",
    ]
    assert diag.message.endswith(
        "OrderFlow.run → app.pricing.quote (app/pricing.py:5) → app.clock.stamp (app/clock.py:5)"
        " → time.time()"
    )
    assert report.workflows == ["app.flows.orders:OrderFlow"]


def test_helper_files_that_never_mention_continuum_are_still_followed(make_tree) -> None:
    root = make_tree(
        {
            **PKG,
            "app/flows/orders.py": FLOW,
            "app/pricing.py": "import os\n\n\ndef quote(o):\n    return os.environ['RATE']\n",
        }
    )
    report = check_paths([root / "app" / "flows"], config=Config(root=root), use_cache=False)
    assert [d.code for d in report.diagnostics] == ["CN105"]


def test_unreached_helpers_are_not_reported() -> None:
    source = workflow("return 1", "import time\n\ndef unused():\n    return time.time()")
    assert check_source(source) == []


def test_self_helpers_are_followed_and_reported_where_they_are() -> None:
    source = (
        "import random\nfrom continuum import Workflow\n\n\nclass Flow(Workflow):\n"
        "    def run(self, order):\n        return self._pick(order)\n\n"
        "    def _pick(self, order):\n        return random.choice(order)\n"
    )
    [diag] = check_source(source)
    assert (diag.code, diag.line, diag.chain) == ("CN102", 10, ())


def test_inherited_methods_and_overrides_resolve_on_the_workflow_class() -> None:
    source = (
        "import os\nfrom continuum import Workflow\n\n\nclass Base(Workflow):\n"
        "    def run(self, order):\n        return self.region()\n\n"
        "    def region(self):\n        return 'eu'\n\n\n"
        "class Child(Base):\n    def region(self):\n        return os.getenv('REGION')\n"
    )
    diags = check_source(source)
    assert [(d.code, d.line, d.workflow) for d in diags] == [("CN105", 15, "workflow:Child")]


def test_project_base_class_in_another_module_makes_a_workflow() -> None:
    base = "from continuum import Workflow as W\n\n\nclass Base(W):\n    pass\n"
    source = "import time\nfrom app.base import Base\n\n\nclass Flow(Base):\n    def run(self, x):\n        return time.time()\n"
    diags = check_source(source, extra_files={"app/__init__.py": "", "app/base.py": base})
    assert [d.code for d in diags] == ["CN101"]


def test_configured_workflow_bases_mark_workflows() -> None:
    source = "import time\nfrom framework import Flow\n\n\nclass F(Flow):\n    def run(self, x):\n        return time.time()\n"
    assert check_source(source) == []
    config = Config(workflow_bases=("framework.Flow",))
    assert [d.code for d in check_source(source, config=config)] == ["CN101"]


def test_recursion_and_cycles_do_not_hide_findings() -> None:
    helpers = (
        "import time\n\n\ndef a(n):\n    return b(n - 1) if n else 0\n\n\n"
        "def b(n):\n    return a(n) + c()\n\n\ndef c():\n    return time.time()\n"
    )
    source = "from continuum import Workflow\nfrom app.h import a\n\n\nclass F(Workflow):\n    def run(self, x):\n        return a(x)\n"
    diags = check_source(source, extra_files={"app/__init__.py": "", "app/h.py": helpers})
    assert [d.code for d in diags] == ["CN101"]
    assert [h.label for h in diags[0].chain] == [
        "F.run",
        "app.h.a",
        "app.h.b",
        "app.h.c",
        "time.time()",
    ]


def test_activity_targets_and_side_effects_are_not_followed() -> None:
    helpers = "import time\n\n\ndef stamp():\n    return time.time()\n"
    source = (
        "from continuum import Workflow, activity, side_effect\nfrom app.h import stamp\n\n\n"
        "class F(Workflow):\n    def run(self, x):\n"
        "        activity(stamp)\n        return side_effect(stamp)\n"
    )
    assert check_source(source, extra_files={"app/__init__.py": "", "app/h.py": helpers}) == []


def test_deterministic_decorator_trusts_a_helper() -> None:
    source = workflow(
        "return timing(order)",
        "import time\nimport continuum\n\n@continuum.deterministic\ndef timing(o):\n    return time.perf_counter()",
    )
    assert check_source(source) == []


def test_deterministic_allow_list_only_allows_the_named_calls() -> None:
    source = workflow(
        "return timing(order)",
        "import os, time\nfrom continuum import deterministic\n\n"
        "@deterministic(allow=['time.perf_counter'])\ndef timing(o):\n"
        "    return time.perf_counter(), os.getpid()",
    )
    assert [d.code for d in check_source(source)] == ["CN105"]


def test_config_deterministic_trusts_by_qualified_name() -> None:
    helpers = "import time\n\n\ndef stamp():\n    return time.time()\n"
    source = "from continuum import Workflow\nfrom app.h import stamp\n\n\nclass F(Workflow):\n    def run(self, x):\n        return stamp()\n"
    files = {"app/__init__.py": "", "app/h.py": helpers}
    assert [d.code for d in check_source(source, extra_files=files)] == ["CN101"]
    config = Config(deterministic=("app.h:stamp",))
    assert check_source(source, extra_files=files, config=config) == []


def test_module_level_alias_of_a_forbidden_function_is_caught() -> None:
    source = workflow("return now_fn()", "import time\nnow_fn = time.time")
    diags = check_source(source)
    assert [d.code for d in diags] == ["CN101"]
    assert "time.time" in diags[0].message


def test_unscannable_third_party_module_is_reported_once_per_workflow_module() -> None:
    source = workflow(
        "a = yaml.dump(order)\nb = yaml.safe_load(a)\nreturn self.x(b)", "import yaml"
    )
    source += "\n    def x(self, b):\n        return yaml.dump(b)\n"
    diags = check_source(source)
    assert [d.code for d in diags] == ["CN205"]
    assert check_source(source, config=Config(trusted_modules=("yaml",))) == []


def test_compensate_all_requires_every_activity_to_declare_compensation() -> None:
    source = workflow(
        "activity(step, order, compensate=undo)\nactivity(step, order)\n"
        "activity(step, order, compensate=None)\ncompensate_all()",
        "from continuum import compensate_all\n\ndef step(o): ...\ndef undo(o): ...",
    )
    diags = check_source(source)
    assert [(d.code, d.line) for d in diags] == [("CN204", 11)]


def test_undeclared_signal_is_reported_only_when_signals_are_declared() -> None:
    source = workflow(
        "return await_signal('aproved')",
        "from continuum import await_signal",
        keywords="signals=['approved']",
    )
    assert [d.code for d in check_source(source)] == ["CN303"]
    assert check_source(source.replace(", signals=['approved']", "")) == []
