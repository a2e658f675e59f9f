"""Fixtures for analyzer tests: small project trees on disk."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest


@pytest.fixture
def make_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Mapping[str, str]], Path]:
    """Write ``{relative path: source}`` under a fresh directory and chdir into it."""

    def make(files: Mapping[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return make
