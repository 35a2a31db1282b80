"""What the benchmarks ran on, for the README beside every figure."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {system}"


def median_time(run: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """Median, lower and upper quartile of ``repeats`` wall-clock timings, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    if len(times) < 4:
        return statistics.median(times), min(times), max(times)
    q1, _, q3 = statistics.quantiles(times, n=4)
    return statistics.median(times), q1, q3


def peak_command_mb(*arguments: str) -> float | None:
    """Peak RSS of ``echo-theory ARGUMENTS``, whole process, from /usr/bin/time -v (None when
    either is missing)."""
    script = shutil.which("echo-theory")
    if script is None or not Path("/usr/bin/time").exists():
        return None
    result = subprocess.run(
        ["/usr/bin/time", "-v", script, *arguments], capture_output=True, text=True, check=True
    )
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return int(match.group(1)) / 1024 if match else None
