"""TEMPORARY stand-in for issue 3's sampler: it will be replaced by that sampler when merging.

It provides only the agreed interface, ``sample_series(process, length, seed)``, so that the
RNN (issue 5) can be written and tested against it now. Draws are exact: x_t is 1 when a
uniform integer in [0, v) falls below u (p_x = u/v), and y_t is 1 when a uniform integer in
[0, M) falls below P(y=1 | x) * M, with M the common denominator of the clipped table.
NumPy's bounded integers are unbiased (rejection sampling), so no float rounding enters.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .errors import LimitError, ProcessError
from .process import EchoProcess

_MAX_DENOMINATOR = 1 << 62  # numpy's bounded integers are exact below 2^63


def sample_series(
    process: EchoProcess, length: int, seed: int | np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """x and y, each ``length`` uint8 values; every y_t has its full history (a warm-up of
    max-lag inputs comes before the first returned step). Deterministic per seed."""
    if process.is_symbolic:
        names = ", ".join(sorted(symbol.name for symbol in process.symbols))
        raise ProcessError(f"sampling needs numbers: substitute values for {names}")
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ProcessError(f"length: {length!r} is not an integer >= 0")
    table: tuple[Fraction, ...] = process.table  # type: ignore[assignment]
    scale = math.lcm(*(p.denominator for p in table))
    if scale > _MAX_DENOMINATOR or process.p_x.denominator > _MAX_DENOMINATOR:
        raise LimitError("the sampler needs probability denominators below 2^62")
    rng = np.random.default_rng(seed)
    warm = max(process.lags, default=0)
    u, v = process.p_x.numerator, process.p_x.denominator
    x = (rng.integers(0, v, size=length + warm, dtype=np.int64) < u).astype(np.uint8)
    mask = np.zeros(length, dtype=np.int64)
    for bit, lag in enumerate(process.lags):  # bit i of the mask is x[t - lags[i]]
        mask |= x[warm - lag : warm - lag + length].astype(np.int64) << bit
    thresholds = np.array([p.numerator * (scale // p.denominator) for p in table], dtype=np.int64)
    y = (rng.integers(0, scale, size=length, dtype=np.int64) < thresholds[mask]).astype(np.uint8)
    return x[warm:], y
