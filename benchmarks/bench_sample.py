"""Speed and memory of `echo-theory sample`: writing a series to a file beside the sampler alone.

Both are measured in the same run, alternately (sampler, file, sampler, file, ...), because the
machines here are shared and noisy: the figure that travels is the ratio of the medians.

- sampler: ``iter_chunks`` over the whole series (every chunk's x and y as uint8 arrays), the
  work ``sample`` cannot avoid.
- file: ``write_sample`` to a fresh ``.npz`` (the target removed before each run, so no run
  pays for unlinking the previous one), .npy and .csv: sampling, CRC-32, the writes, fsync and
  the rename.
- the bytes alone: CRC-32 of the 200 MB, writing them into a fresh file, and its fsync, each
  timed by itself on the sampler's chunks: the least that any writer of this format adds.
- memory: peak resident memory of the whole command (``/usr/bin/time -v``) at 1e6 and 1e8 steps:
  it must stay flat while the file grows a hundredfold.

Run: python benchmarks/bench_sample.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine, peak_command_mb

from echo_theory import EchoProcess
from echo_theory.samplefile import write_sample
from echo_theory.sampler import iter_chunks

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
RULES = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def sampler_alone(steps: int) -> None:
    for _ in iter_chunks(SEED, steps, 0):
        pass


def to_file(steps: int, path: Path) -> None:
    path.unlink(missing_ok=True)
    write_sample(SEED, steps, 0, path)


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bytes_alone(steps: int, path: Path) -> dict[str, float]:
    """The file's own costs, one at a time: CRC-32 of every chunk, the writes, the fsync."""
    chunks = list(iter_chunks(SEED, min(steps, 10**7), 0))  # 20 MB, reused to make up the size
    repeat = max(1, steps // 10**7)
    start = time.perf_counter()
    for _ in range(repeat):
        for x, y in chunks:
            zlib.crc32(x)
            zlib.crc32(y)
    crc = time.perf_counter() - start
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        start = time.perf_counter()
        offset = 0
        for _ in range(repeat):
            for x, y in chunks:
                os.pwrite(descriptor, x, offset)
                os.pwrite(descriptor, y, offset + x.size)
                offset += 2 * x.size
        write = time.perf_counter() - start
        start = time.perf_counter()
        os.fsync(descriptor)
        fsync = time.perf_counter() - start
    finally:
        os.close(descriptor)
        path.unlink()
    return {"CRC-32": crc, "writes": write, "fsync": fsync}


def peak_memory_mb(steps: str, path: Path) -> float | None:
    """Peak RSS of the whole command (None without /usr/bin/time)."""
    path.unlink(missing_ok=True)
    return peak_command_mb("sample", *RULES, "--steps", steps, "--output", str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="far smaller sizes, for a smoke run")
    args = parser.parse_args()
    steps = 10**6 if args.quick else 10**8
    repeats = 3 if args.quick else 7
    folder = Path(tempfile.mkdtemp(prefix="bench-sample-"))
    try:
        print(f"Machine: {machine()}\n")
        print(f"## {steps:.0e} steps of the seed, medians of {repeats} alternating runs\n")
        print("| what | median s | quartiles s | x sampler |")
        print("|---|---:|---:|---:|")
        times: dict[str, list[float]] = {"sampler alone": []}
        suffixes = (".npz", ".npy") if not args.quick else (".npz", ".npy", ".csv")
        for suffix in suffixes:
            times[f"sample to {suffix}"] = []
        for _ in range(repeats):
            times["sampler alone"].append(timed(lambda: sampler_alone(steps)))
            for suffix in suffixes:
                target = folder / f"s{suffix}"
                times[f"sample to {suffix}"].append(timed(lambda target=target: to_file(steps, target)))
                target.unlink()
            for name, value in bytes_alone(steps, folder / "bytes.bin").items():
                times.setdefault(f"the bytes alone: {name}", []).append(value)
        base = statistics.median(times["sampler alone"])
        for name, values in times.items():
            median = statistics.median(values)
            q1, _, q3 = (
                statistics.quantiles(values, n=4) if len(values) >= 4 else (min(values), 0, max(values))
            )
            print(f"| {name} | {median:.3f} | {q1:.3f}-{q3:.3f} | {median / base:.2f} |")

        print("\n## Peak memory of `echo-theory sample --output s.npz` (`/usr/bin/time -v`)\n")
        print("| steps | peak RSS |")
        print("|---:|---:|")
        for size in ("1e4", "1e6") if args.quick else ("1e6", "1e8"):
            peak = peak_memory_mb(size, folder / "s.npz")
            print(f"| {size} | {'n/a' if peak is None else f'{peak:.0f} MB'} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
