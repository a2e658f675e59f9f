"""CN111: ``from <module with forbidden names> import *`` defeats name resolution."""

from __future__ import annotations

import libcst as cst

from ..cst_helpers import code_of
from ..resolve import absolutize
from ..rule import Invalid, Rule, Valid, workflow


class StarImports(Rule):
    """Flags star imports of modules the denylist has entries in."""

    CODES = ("CN111",)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar) or node.module is None:
            return
        module = absolutize(
            "." * len(node.relative) + code_of(node.module), self.ctx.module, self.ctx.is_package
        )
        if not self.ctx.resolver.settings.module_denied(module):
            return
        self.report(
            node,
            "CN111",
            f"from {module} import *",
            f"`from {module} import *` hides which forbidden names ({module}.*) are used",
            hint=f"import the names you need explicitly, e.g. `from {module} import name`",
            at_module=True,
        )

    VALID = (
        Valid(workflow("return floor(order['n'])", "from math import *")),
        Valid(workflow("return 1", "from time import gmtime")),
    )
    INVALID = (
        Invalid(workflow("return 1", "from time import *"), "CN111", line=2),
        Invalid(workflow("return randint(1, 2)", "from random import *"), "CN111"),
    )
