"""Shared pytest setup: fixture plugins and the --full flag for exhaustive sweeps."""

from __future__ import annotations

import pytest

pytest_plugins = ("tests.fix_db",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="run exhaustive sweeps at full size instead of the CI-sized default",
    )


@pytest.fixture(scope="session")
def full_run(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked for full-size sweeps (``make test PYTEST_ARGS=--full``)."""
    return bool(request.config.getoption("--full"))
