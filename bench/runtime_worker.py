"""``continuum worker`` with a statement counter: ``runtime_worker.py COUNT_FILE ARGS...``.

The same CLI entry point a deployment runs (``continuum ARGS...``); the only addition
is `runtime_sqlcount`, which counts the SQL statements the worker sends and writes
the running total to COUNT_FILE, so the benchmark can tell what the worker itself
issues (idle load, statements per workflow).
"""

from __future__ import annotations

import sys
from pathlib import Path

from runtime_sqlcount import install, publish_every

install()
publish_every(Path(sys.argv[1]))

from continuum.cli import main  # noqa: E402  (after the counter is installed)

sys.argv = ["continuum", *sys.argv[2:]]
main()
