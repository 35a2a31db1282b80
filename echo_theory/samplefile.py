"""A series of the process, streamed to a file for any framework: what ``echo-theory sample`` writes.

The series is the sampler's: series 0 of the seed, exactly what ``sample_series(process, n,
seed)`` returns, chunk by chunk from ``iter_chunks``, so memory stays at a few chunks for any
length. Its first steps need no special care: the sampler draws max-lag inputs before step 0
(the warm-up) and does not return them, so y[0] already depends on real inputs x[-lag]. With
``probabilities``, ``p_true`` holds each step's exact P(y_t = 1 | x) from the process's table
(clipped when the process clips), turned into a float64 only at the end, correctly rounded;
for the first steps it reads the warm-up inputs, which the file does not hold.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .atomic import atomic_output, check_output_path
from .errors import EchoTheoryError, LimitError
from .sampler import (
    DEFAULT_CHUNK,
    WORD_BITS,
    SamplerPlan,
    Seed,
    _check_chunk,
    _series,
    child_seed,
    iter_chunks,
    root_seed,
)
from .series import DTYPES, SeriesWriter, series_format

if TYPE_CHECKING:
    from .process import EchoProcess

MAX_STEPS = 10**12


def sample_names(probabilities: bool) -> tuple[str, ...]:
    return ("x", "y", "p_true") if probabilities else ("x", "y")


def file_size(suffix: str, steps: int, probabilities: bool = False) -> int:
    """An upper bound on the bytes of a sampled file (exact for .npy and .npz, save headers)."""
    per_step = sum(DTYPES[name].itemsize for name in sample_names(probabilities))
    if suffix == ".csv":
        per_step = 4 + (25 if probabilities else 0)  # "0,1\n" and a float's shortest text
    return steps * per_step + 4096


def check_sample(path: str | os.PathLike, steps: int, probabilities: bool = False) -> Path:
    """Check a sample's target before any work: format, folder, free space."""
    path = check_output_path(path, "--output")
    suffix = series_format(path, f"--output {path.name}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise EchoTheoryError(f"steps: {steps!r} is not a whole number from 1 to 1e12")
    need = file_size(suffix, int(steps), probabilities)
    folder = path.parent if str(path.parent) else Path(".")
    free = shutil.disk_usage(folder).free
    if need > free:
        raise LimitError(
            f"--output {path.name}: {int(steps):,} steps need about {need / 1e9:.2f} GB and the folder "
            f"has {free / 1e9:.2f} GB free"
        )
    return path


def _with_probabilities(
    process: EchoProcess, steps: int, seed: Seed, chunk_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The sampler's chunks with p_true. It reads the sampler's own x buffer (one chunk and the
    max-lag inputs before it, the warm-up for the first chunk), so each step's configuration
    is exact; the (x, y) are iter_chunks' (the same machinery; a test keeps them equal)."""
    plan = SamplerPlan.of(process)
    table = np.array([float(Fraction(p)) for p in process.table], dtype=np.float64)
    lags = plan.lags
    dtype = np.uint32 if len(lags) > 16 else np.uint16
    for series in _series(plan, child_seed(root_seed(seed), 0), steps, _check_chunk(chunk_size)):
        x, y = series.arrays()
        count = x.size
        words = series.buffer[: series.history + series.words]
        bits = np.unpackbits(words.view(np.uint8), bitorder="little")
        origin = series.history * WORD_BITS  # the bit of the chunk's step 0
        masks = np.zeros(count, dtype=dtype)
        for i, lag in enumerate(lags):
            masks |= bits[origin - lag : origin - lag + count].astype(dtype) << i
        yield x, y, table[masks]


def write_sample(
    process: EchoProcess,
    steps: int,
    seed: Seed,
    path: str | os.PathLike,
    probabilities: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
) -> Path:
    """Write ``steps`` steps of the process's series for ``seed`` to ``path``, whole or not at all.

    The suffix picks the format (``.npz``: arrays x and y, uint8; ``.npy``: an (n, 2) uint8
    array, or a structured one with ``p_true``; ``.csv``: header ``x,y[,p_true]``), the formats
    ``load_series`` and ``echo-theory estimate`` read. x and y are ``sample_series(process,
    steps, seed)``; the same arguments always give the same bytes. Returns the path.

    >>> import tempfile, pathlib
    >>> from echo_theory import EchoProcess, load_series, sample_series
    >>> process = EchoProcess(["3:+0.5", "8:-0.25"])
    >>> path = write_sample(process, 10_000, 0, pathlib.Path(tempfile.mkdtemp()) / "s.npz")
    >>> x, y = load_series(path)
    >>> [bool((a == b).all()) for a, b in zip((x, y), sample_series(process, 10_000, 0))]
    [True, True]
    """
    path = check_sample(path, steps, probabilities)
    steps = int(steps)
    SamplerPlan.of(process)  # symbols or a bad process: an error now, before the file is opened
    if probabilities:
        chunks = _with_probabilities(process, steps, seed, chunk_size)
    else:
        chunks = iter_chunks(process, steps, seed, chunk_size)
    names = sample_names(probabilities)
    # the writer thread writes chunk k while the sampler draws chunk k + 1 (both release the GIL)
    with atomic_output(path) as handle, SeriesWriter(handle, path.suffix, steps, names, True) as writer:
        for chunk in chunks:
            writer.write(chunk)
        writer.close()
    return path
