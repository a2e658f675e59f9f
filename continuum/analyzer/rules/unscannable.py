"""CN205: calls into third-party code that is neither trusted nor part of the project.

Reported once per third-party module per workflow module (the reachability pass dedupes by
the finding's ``key``), not per call.
"""

from __future__ import annotations

import libcst as cst

from ..cst_helpers import code_of
from ..rule import Invalid, Rule, Valid, workflow


class Unscannable(Rule):
    """Flags references to third-party modules the analyzer does not scan."""

    CODES = ("CN205",)

    def visit_Name(self, node: cst.Name) -> None:
        self._check(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._check(node)

    def _check(self, node: cst.Name | cst.Attribute) -> None:
        ctx = self.ctx
        if ctx.frame is None or id(node) in ctx.not_refs:
            return
        resolver = ctx.resolver
        for name in resolver.names(node):
            if resolver.kind(name) != "third-party" or resolver.settings.denied(name):
                continue
            top = name.partition(".")[0]
            label = code_of(node)
            self.report(
                node,
                "CN205",
                label,
                f"`{label}` calls into `{top}`, third-party code the analyzer does not scan",
                hint=(
                    f"add `{top}` to trusted-modules in [tool.continuum] if it is "
                    "deterministic, or call it from an activity()"
                ),
                key=top,
            )
            return

    VALID = (
        Valid(workflow("return activity(stripe.Charge.create, order)", "import stripe")),
        Valid(workflow("return json.dumps(order)", "import json")),
    )
    INVALID = (
        Invalid(workflow("return pydantic_core.to_json(order)", "import pydantic_core"), "CN205"),
    )
