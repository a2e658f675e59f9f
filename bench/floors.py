"""Parsing floors: how fast ``ast.parse`` and ``libcst.parse_module`` get through a file list.

Usage: ``python bench/floors.py {ast,libcst} FILELIST.txt`` prints one JSON object.
Files are read before the clock starts; one process, one core. No analysis tool can
be faster than parsing what it checks, so these are the lower bounds per core.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


def _parser(name: str) -> Callable[[str], object]:
    if name == "ast":
        return ast.parse
    if name == "libcst":
        import libcst

        return libcst.parse_module
    raise SystemExit(f"unknown parser {name!r}")


def main() -> None:
    """Entry point; see the module docstring."""
    name, file_list = sys.argv[1:3]
    parse = _parser(name)
    sources = [
        Path(line).read_text(encoding="utf-8", errors="replace")
        for line in Path(file_list).read_text().splitlines()
        if line
    ]
    errors = 0
    started = time.perf_counter()
    for source in sources:
        try:
            parse(source)
        except Exception:  # a parse failure is counted, not fatal: the floor is about speed
            errors += 1
    elapsed = time.perf_counter() - started
    lines = sum(source.count("\n") for source in sources)
    print(json.dumps({"seconds": elapsed, "files": len(sources), "lines": lines, "errors": errors}))


if __name__ == "__main__":
    main()
