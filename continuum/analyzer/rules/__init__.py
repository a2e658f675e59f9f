"""Rule families; each module holds one `Rule` subclass with its VALID/INVALID cases."""

from __future__ import annotations

from ..rule import Rule
from .api_usage import ApiUsage
from .compensation import Compensation
from .denylisted_calls import DenylistedCalls
from .dynamic_calls import DynamicCalls
from .exception_handling import ExceptionHandling
from .global_state import GlobalState
from .set_iteration import SetIteration
from .star_imports import StarImports
from .unscannable import Unscannable

#: Every rule, in a fixed order (the order findings are recorded in).
ALL_RULES: tuple[type[Rule], ...] = (
    DenylistedCalls,
    GlobalState,
    StarImports,
    ExceptionHandling,
    DynamicCalls,
    Compensation,
    Unscannable,
    SetIteration,
    ApiUsage,
)

__all__ = ["ALL_RULES"]
