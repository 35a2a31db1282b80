"""Series as chunks: the loop every path and every caller (sample, train, simulate) shares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..bernoulli import WORD_BITS
from ..errors import EchoTheoryError, LimitError
from .bitsliced import BitslicedSeries
from .general import GeneralSeries
from .plan import DEFAULT_CHUNK, SamplerPlan
from .series import Seed, Series, child_seed, root_seed
from .summed import SummedSeries

if TYPE_CHECKING:
    from ..process import EchoProcess

_PATHS = {"bitsliced": BitslicedSeries, "general": GeneralSeries, "summed": SummedSeries}


def make_series(
    plan: SamplerPlan, seed: np.random.SeedSequence, chunk_words: int, scratch: dict | None = None
) -> Series:
    return _PATHS[plan.method](plan, seed, chunk_words, scratch)


def _check_length(length: int, what: str = "length") -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise EchoTheoryError(f"{what}: {length!r} is not a whole number >= 0")
    return int(length)


def _check_chunk(chunk_size: int) -> int:
    chunk_size = _check_length(chunk_size, "chunk_size")
    if chunk_size < WORD_BITS or chunk_size % WORD_BITS:
        raise EchoTheoryError(f"chunk_size: {chunk_size} is not a positive multiple of {WORD_BITS}")
    return chunk_size


def _series(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    chunk_size: int,
    scratch: dict | None = None,
    path: type[Series] | None = None,
) -> Iterator[Series]:
    """One series advanced chunk by chunk, drawn by ``path`` (default: the plan's method)."""
    words = min(chunk_size, max(length, 1) + WORD_BITS - 1) // WORD_BITS
    series = make_series(plan, seed, words, scratch) if path is None else path(plan, seed, words, scratch)
    done = 0
    while done < length:
        valid = min(chunk_size, length - done)
        series.step(-(-valid // WORD_BITS), valid)
        yield series
        done += valid


def iter_chunks(
    process: EchoProcess,
    length: int,
    seed: Seed,
    chunk_size: int = DEFAULT_CHUNK,
    method: str = "auto",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Series 0 of ``seed``, ``length`` steps, as (x, y) uint8 chunks of at most ``chunk_size`` steps.

    The chunks are the same series whatever ``chunk_size`` (a multiple of 64) is; memory stays
    at a few chunk-sized buffers. ``method`` forces a path (for tests); the default picks one
    from the process.
    """
    plan = SamplerPlan.of(process, method)
    length, chunk_size = _check_length(length), _check_chunk(chunk_size)
    for series in _series(plan, child_seed(root_seed(seed), 0), length, chunk_size):
        yield series.arrays()


def sample_series(
    process: EchoProcess, length: int, seed: int | np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """x and y of one series of ``process``: two uint8 arrays of 0 and 1, each ``length`` long.

    Every y_t has its full history: max-lag inputs are drawn before step 0 and not returned, so
    y_0 already depends on real x[-lag]. The series depends on (process, length, seed) alone:
    the same on every call, whatever the chunking, and a prefix of any longer series of the
    same seed. It is series 0 of the seed as ``iter_chunks`` streams it, built by the same
    machinery that counts the validator's blocks (block i is series i): one sampler for all.

    >>> from echo_theory import EchoProcess
    >>> x, y = sample_series(EchoProcess(["3:+0.5", "8:-0.25"]), 100_000, seed=1)
    >>> x.dtype, x.shape, y.shape
    (dtype('uint8'), (100000,), (100000,))
    >>> round(float(y[3:][x[:-3] == 1].mean()), 2)        # P(y=1 | x[t-3]=1) = 7/8
    0.88
    """
    length = _check_length(length)
    xs, ys = [], []
    for x, y in iter_chunks(process, length, seed):
        xs.append(x)
        ys.append(y)
    if not xs:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.uint8)
    return np.concatenate(xs), np.concatenate(ys)


def count_series(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    chunk_size: int = DEFAULT_CHUNK,
    scratch: dict | None = None,
) -> np.ndarray:
    """Counts of (configuration mask over the rule lags, y) in one series: shape (2^n, 2), int64.

    ``seed`` is the series' own SeedSequence (``child_seed(root, i)`` for series i). ``scratch``
    (a dict, empty at first) lets consecutive calls reuse their buffers; never share one between
    series that are alive at the same time.
    """
    if plan.sums is not None:
        raise LimitError(
            f"counting every configuration of {len(plan.lags)} rules needs 2^{len(plan.lags)} cells; "
            f"the summed path counts sums of the learned shifts instead (count_sums)"
        )
    counts = np.zeros((2 ** len(plan.lags), 2), dtype=np.int64)
    for series in _series(plan, seed, _check_length(length), _check_chunk(chunk_size), scratch):
        series.counts(counts)
    return counts
