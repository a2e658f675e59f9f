"""The examples in the library's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import continuum

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(continuum.__path__, prefix="continuum.")
    # __main__ runs the CLI on import; the pytest plugin is loaded by pytest itself.
    if name not in ("continuum.__main__", "continuum.testing.pytest_plugin")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
