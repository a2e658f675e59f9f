"""The version hash: invariant under formatting, sensitive to behaviour, pinned by goldens."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.codegen.hashing import closure_text, short_hash

from .conftest import EXAMPLE_SHOP, GOLDEN_ROOT, copy_shop, hash_of, plan
from .reformat import reformat

FLOWS = [("flows/orders.py", "OrderFlow"), ("flows/onboarding.py", "OnboardingFlow")]

#: Pinned hashes of the fixture copy of the shop (tests/codegen/fixtures/golden). A
#: change here means every deployed workflow gets a new version: bump SCHEME_VERSION.
#: The same on CPython 3.11, 3.12 and 3.13 (the zoo exercises match, except*, walrus,
#: f-string formats, comprehensions, decorators and every constant type).
GOLDEN = {
    "shop/flows/orders.py:OrderFlow": (
        "79780cf8132f3bc8c9a57f01ecc5dba15186b55e1f6c7b9792de57e01a9d8321"
    ),
    "shop/flows/onboarding.py:OnboardingFlow": (
        "de2872d7359101594f3531bbc3b0eec1ab647867e1489f73bd1d1fd784c7994a"
    ),
    "zoo/flows.py:ZooFlow": "b5905e5d83215b1248a77a8065cc6324f60e7afcea4e81f5e563dff31a51d960",
}


@pytest.mark.parametrize("where", sorted(GOLDEN))
def test_golden_hashes(where: str) -> None:
    relpath, class_name = where.split(":")
    assert hash_of(GOLDEN_ROOT / relpath, class_name) == GOLDEN[where]


def test_zoo_closure_keeps_helpers_and_names_activities() -> None:
    kinds = {e.key: e.kind for e in plan(GOLDEN_ROOT / "zoo/flows.py", "ZooFlow").closure.entries}
    assert {k for k, v in kinds.items() if v != "import"} == {
        "zoo.flows:LIMITS",
        "zoo.flows:PATTERN",
        "zoo.flows:Point",
        "zoo.flows:ZooFlow",
        "zoo.flows:__future__",
        "zoo.flows:classify",
        "zoo.flows:total",
    }


def test_hashed_text_is_scheme_tagged_and_sorted() -> None:
    text = closure_text(plan(GOLDEN_ROOT / "shop/flows/orders.py", "OrderFlow").closure)
    lines = text.splitlines()
    assert lines[0] == "continuum-hash-v1"
    assert lines[1] == "root shop.flows.orders:OrderFlow"
    keys = [line.split("\t")[0] for line in lines[2:]]
    assert keys == sorted(keys)
    # The pricing helper is followed into its module; activities are only named.
    assert "shop.pricing:shipping_fee" in keys
    assert any(line.startswith("shop.payments:charge\topaque\t") for line in lines)


def test_short_hash_is_a_prefix() -> None:
    full = hash_of(GOLDEN_ROOT / "shop/flows/orders.py", "OrderFlow")
    assert short_hash(full) == full[:16] and len(full) == 64


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), flow=st.sampled_from(FLOWS))
def test_reformatting_never_changes_the_hash(
    tmp_path_factory: pytest.TempPathFactory, seed: int, flow: tuple[str, str]
) -> None:
    relpath, class_name = flow
    root = copy_shop(EXAMPLE_SHOP, tmp_path_factory.mktemp("shop"))
    before = hash_of(root / "shop" / relpath, class_name)
    for module in (relpath, "pricing.py"):
        path = root / "shop" / module
        path.write_text(reformat(path.read_text(encoding="utf-8"), seed), encoding="utf-8")
    assert hash_of(root / "shop" / relpath, class_name) == before


def test_ruff_format_never_changes_the_hash(tmp_path: Path) -> None:
    root = copy_shop(EXAMPLE_SHOP, tmp_path / "src")
    before = {name: hash_of(root / "shop" / rel, name) for rel, name in FLOWS}
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    subprocess.run(
        [
            ruff,
            "format",
            "--isolated",
            "--line-length=40",
            "--config=format.quote-style='single'",
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    assert "'" in (root / "shop/flows/orders.py").read_text()
    assert {name: hash_of(root / "shop" / rel, name) for rel, name in FLOWS} == before


# (file, old text, new text): each is a change of behaviour.
SEMANTIC_EDITS = [
    ("flows/orders.py", "max_attempts=5", "max_attempts=6"),
    ("flows/orders.py", 'backoff="exponential"', 'backoff="linear"'),
    ("flows/orders.py", "hours(24)", "hours(48)"),
    ("flows/orders.py", 'decision == "rejected"', 'decision != "rejected"'),
    ("flows/orders.py", "compensate(charge)\n", "pass\n"),
    ("flows/orders.py", "version=1,", "version=2,"),
    ("flows/orders.py", '"order-shipped"', '"order-sent"'),
    ("flows/orders.py", "activity(shipping.ship,", "activity(shipping.ship_express,"),
    # Helpers in another project module are part of the closure.
    ("pricing.py", '"4.90"', '"5.90"'),
    ("pricing.py", 'Decimal("50")', 'Decimal("60")'),
    ("pricing.py", "Decimal(total) >= FREE", "Decimal(total) > FREE"),
]


@pytest.mark.parametrize(("relpath", "old", "new"), SEMANTIC_EDITS)
def test_behaviour_changes_change_the_hash(
    shop_root: Path, relpath: str, old: str, new: str
) -> None:
    flow = shop_root / "shop/flows/orders.py"
    before = hash_of(flow, "OrderFlow")
    path = shop_root / "shop" / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert hash_of(flow, "OrderFlow") != before


# Edits outside the workflow's closure: activity bodies, unrelated code, import order.
NEUTRAL_EDITS = [
    ("payments.py", '"ch_"', '"charge_"'),
    ("shipping.py", "[:10]", "[:12]"),
    ("validation.py", 'Decimal("0")', 'Decimal("0.00")'),
    (
        "flows/orders.py",
        "\n\nclass OrderFlow",
        "\n\ndef unused():\n    return 1\n\n\nclass OrderFlow",
    ),
    (
        "flows/orders.py",
        "from shop import payments, pricing, shipping, validation\n",
        "from shop import validation, shipping, pricing, payments\nimport json\n",
    ),
    (
        "pricing.py",
        "\n\ndef grand_total",
        "\n\ndef other(x):\n    return x * 2\n\n\ndef grand_total",
    ),
]


@pytest.mark.parametrize(("relpath", "old", "new"), NEUTRAL_EDITS)
def test_edits_outside_the_closure_keep_the_hash(
    shop_root: Path, relpath: str, old: str, new: str
) -> None:
    flow = shop_root / "shop/flows/orders.py"
    before = hash_of(flow, "OrderFlow")
    path = shop_root / "shop" / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert hash_of(flow, "OrderFlow") == before


def test_moving_definitions_keeps_the_hash(shop_root: Path) -> None:
    path = shop_root / "shop/pricing.py"
    before = hash_of(shop_root / "shop/flows/orders.py", "OrderFlow")
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n\ndef shipping_fee")
    fee, _, total = rest.partition("\n\ndef grand_total")
    moved = f"{head}\n\ndef grand_total{total}\n\ndef shipping_fee{fee}"
    assert moved.index("def grand_total") < moved.index("def shipping_fee")
    path.write_text(moved, encoding="utf-8")
    assert hash_of(shop_root / "shop/flows/orders.py", "OrderFlow") == before


def test_a_workflow_base_class_is_part_of_the_hash(tmp_path: Path) -> None:
    from .conftest import write_project

    root = write_project(
        tmp_path,
        {
            "app/base.py": """
                from continuum import Workflow

                class Base(Workflow):
                    def fee(self):
                        return 1
            """,
            "app/flows.py": """
                from app.base import Base

                class Flow(Base):
                    def run(self, x):
                        return x + self.fee()
            """,
        },
    )
    before = hash_of(root / "app/flows.py", "Flow")
    base = root / "app/base.py"
    base.write_text(base.read_text().replace("return 1", "return 2"))
    assert hash_of(root / "app/flows.py", "Flow") != before
