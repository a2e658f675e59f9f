"""Shared pytest setup: fixture plugins and the --full flag for exhaustive sweeps."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

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


# The embedded Postgres runs as an unprivileged user when the tests run as root, so its
# data directory needs parents that user can traverse. pytest's own temporary root is
# private (0700) and pytest resets it at every session start, so such tests use this.
SHARED_TMP = Path(tempfile.gettempdir()) / "continuum-tests"


def make_shared_tmp() -> Path:
    """A fresh directory under a world-traversable base, for a server run as another user."""
    SHARED_TMP.mkdir(exist_ok=True)
    SHARED_TMP.chmod(0o755)
    path = Path(tempfile.mkdtemp(dir=SHARED_TMP))
    path.chmod(0o755)
    return path


@pytest.fixture
def shared_tmp_path() -> Iterator[Path]:
    """Like ``tmp_path``, but traversable by the embedded server's unprivileged user."""
    path = make_shared_tmp()
    yield path
    shutil.rmtree(path, ignore_errors=True)
