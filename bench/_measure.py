"""Run one command; write its wall time, CPU time and peak memory as JSON.

Usage: ``python bench/_measure.py RESULT.json OUTPUT.txt -- COMMAND...``

A fresh process per measurement, so ``getrusage(RUSAGE_CHILDREN)`` covers exactly the
command and every process it started (pool workers included): ``max_rss_kb`` is the
peak resident memory of the largest of them, ``cpu_s`` their summed user+system time.
The command's output goes to OUTPUT.txt, so the terminal never slows it down.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    """Entry point; see the module docstring."""
    result_path, output_path, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        raise SystemExit(__doc__)
    with open(output_path, "wb") as output:
        started = time.perf_counter()
        returncode = subprocess.call(command, stdout=output, stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {
        "seconds": elapsed,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_kb": usage.ru_maxrss,
        "returncode": returncode,
    }
    with open(result_path, "w") as handle:
        json.dump(record, handle)


if __name__ == "__main__":
    main()
