"""What the benchmarks ran on, for the README beside every figure."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


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
