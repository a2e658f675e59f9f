"""The examples in codegen docstrings are run, so they stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import continuum.codegen

MODULES = sorted(
    f"continuum.codegen.{info.name}" for info in pkgutil.iter_modules(continuum.codegen.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
