"""Summarizing many files in worker processes (imported only when there are many files)."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .engine import summarize
from .project import ProjectIndex
from .resolve import Settings
from .summary import FileSummary

_STATE: dict[str, object] = {}


def _init(settings: Settings, index: ProjectIndex) -> None:
    _STATE["settings"] = settings
    _STATE["index"] = index


def _one(item: tuple[Path, bytes]) -> FileSummary:
    path, data = item
    return summarize(path, data, settings=_STATE["settings"], index=_STATE["index"])  # type: ignore[arg-type]


def summarize_many(
    items: Sequence[tuple[Path, bytes]], *, settings: Settings, index: ProjectIndex, workers: int
) -> list[FileSummary]:
    """Summaries of ``items`` in input order, computed by ``workers`` processes."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init, initargs=(settings, index)
    ) as pool:
        return list(pool.map(_one, items, chunksize=max(1, len(items) // (workers * 4))))
