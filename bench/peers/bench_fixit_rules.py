"""The Fixit side of the analyzer benchmark: rules doing the work ``continuum check`` does.

Both rules resolve names the way Continuum's denylist rules do (LibCST's
`QualifiedNameProvider`, which builds scope analysis for every file), so Fixit and
Continuum pay for the same metadata. Enabled with ``fixit --rules bench_fixit_rules``
(this directory on ``PYTHONPATH``).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from fixit import Invalid, LintRule, Valid
from libcst.metadata import QualifiedNameProvider

#: A slice of Continuum's denylist (DESIGN §3): clock, randomness, identity, sleep, env.
FORBIDDEN = frozenset(
    {
        "time.time",
        "time.monotonic",
        "time.perf_counter",
        "time.sleep",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.date.today",
        "random.random",
        "random.randint",
        "random.choice",
        "uuid.uuid1",
        "uuid.uuid4",
        "os.getenv",
        "os.urandom",
        "secrets.token_hex",
    }
)


class NondeterministicCall(LintRule):
    """Flag calls whose qualified name is on the nondeterminism denylist."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)
    MESSAGE = "nondeterministic call in workflow code"
    VALID: ClassVar[list[Valid]] = [Valid("import math\nmath.floor(1.5)")]
    INVALID: ClassVar[list[Invalid]] = [
        Invalid("import time\ntime.time()"),
        Invalid("from random import random\nrandom()"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        for name in self.get_metadata(QualifiedNameProvider, node.func, set()):
            if name.name in FORBIDDEN:
                self.report(node, f"{name.name}() is nondeterministic")
                return


class SwallowingExcept(LintRule):
    """Flag bare ``except:`` (it would swallow Continuum's Suspend), like CN201 and E722."""

    MESSAGE = "bare except swallows everything"
    VALID: ClassVar[list[Valid]] = [Valid("try:\n    pass\nexcept ValueError:\n    pass")]
    INVALID: ClassVar[list[Invalid]] = [Invalid("try:\n    pass\nexcept:\n    pass")]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node)
