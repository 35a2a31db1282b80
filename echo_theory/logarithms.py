"""Natural logarithms of many integers at once, as fixed-point integers good to about 2^-100.

A float of an exact form, sum_i (c_i / D) ln p_i, correctly rounded, needs each ln p_i to
about twice the precision of a double: the terms can be far larger than their sum. Decimal
takes some 30 us per logarithm, and a wide table has millions of them. Here NumPy computes
them all at once in double-double arithmetic (pairs of floats, about 106 bits):

    p = m 2^e with m in [1/2, 1); c = (j + 1/2) / 256 the table point nearest m;
    ln p = e ln 2 + ln c + 2 atanh(z),  z = (m - c) / (m + c),  |z| < 1/513,

with ln 2 and the 128 values ln c from Decimal, and the series to z^13. Each logarithm comes
back as an integer L with |L - 2^100 ln p| <= ``ERROR`` (checked against 60-digit values in the
tests, with a wide margin), so a form's sum is exact integer arithmetic with a known bound.
"""

from __future__ import annotations

import operator
from decimal import Decimal, localcontext
from functools import cache

BITS = 100  # fixed point: L / 2^BITS
ERROR = 1 << 12  # |L - 2^BITS ln p| <= ERROR, for every integer 2 <= p < 2^53 (see the tests)
LIMIT = 1 << 53  # integers below this are exact floats
_SPLIT = 134_217_729.0  # 2^27 + 1: Dekker's split of a double into two 26-bit halves


def _decimal_ln(value: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return value.ln()


def _double_double(value: Decimal) -> tuple[float, float]:
    with localcontext() as ctx:
        ctx.prec = 50
        high = float(value)
        return high, float(value - Decimal(high))


@cache
def _tables():
    import numpy as np

    points = [(Decimal(j) + Decimal("0.5")) / 256 for j in range(128, 256)]
    logs = [_double_double(_decimal_ln(c)) for c in points]
    high = np.array([h for h, _ in logs])
    low = np.array([lo for _, lo in logs])
    return np.array([float(c) for c in points]), high, low, _double_double(_decimal_ln(Decimal(2)))


def _two_sum(a, b):
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _split(a):
    t = _SPLIT * a
    high = t - (t - a)
    return high, a - high


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _add(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    e += al + bl
    return _two_sum(s, e)


def _mul(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    e += ah * bl + al * bh
    return _two_sum(p, e)


@cache
def _fractions() -> tuple[tuple[float, float], tuple[float, float]]:
    with localcontext() as ctx:
        ctx.prec = 50
        return _double_double(Decimal(1) / 3), _double_double(Decimal(1) / 5)


def fixed_logs(values):
    """2^BITS ln p for each integer in ``values`` (2 <= p < 2^53), to within ERROR, as two
    int64 arrays (a, b) with L = a 2^50 + b."""
    import numpy as np

    values = np.asarray(values, dtype=np.int64)
    a, b = np.empty_like(values), np.empty_like(values)
    for start in range(0, len(values), _CHUNK):  # the temporaries of a chunk stay in cache
        a[start : start + _CHUNK], b[start : start + _CHUNK] = _fixed_chunk(values[start : start + _CHUNK])
    return a, b


_CHUNK = 1 << 13


def _fixed_chunk(values):
    import numpy as np

    points, table_high, table_low, (ln2_high, ln2_low) = _tables()
    p = values.astype(np.float64)  # exact below 2^53
    zero = np.zeros_like(p)
    m, e = np.frexp(p)  # p = m 2^e, m in [1/2, 1), both exact
    j = np.floor(m * 256).astype(np.int64) - 128
    c = points[j]
    numerator = m - c  # exact (Sterbenz: m and c are within a factor of 2)
    den_high, den_low = _two_sum(m, c)  # m + c, exactly, as a pair
    # z = numerator / (m + c) to about 106 bits: a quotient, then the remainder's quotient
    q1 = numerator / den_high
    prod_high, prod_low = _mul(q1, zero, den_high, den_low)
    rest_high, rest_low = _add(numerator, zero, -prod_high, -prod_low)
    z_high, z_low = _two_sum(q1, (rest_high + rest_low) / den_high)
    # 2 atanh(z) = 2 z (1 + z^2/3 + z^4/5 + z^6/7 + ...): z^2 < 4e-6, so from z^6 on a
    # double is enough (its error is below 2^-53 z^6 < 2^-160)
    zz_high, zz_low = _mul(z_high, z_low, z_high, z_low)
    zz = zz_high
    tail = zz**3 * (1 / 7 + zz * (1 / 9 + zz * (1 / 11 + zz * (1 / 13))))
    third, fifth = _fractions()
    a_high, a_low = _mul(zz_high, zz_low, np.full_like(p, third[0]), np.full_like(p, third[1]))
    z4_high, z4_low = _mul(zz_high, zz_low, zz_high, zz_low)
    b_high, b_low = _mul(z4_high, z4_low, np.full_like(p, fifth[0]), np.full_like(p, fifth[1]))
    s_high, s_low = _add(a_high, a_low, b_high, b_low + tail)
    s_high, s_low = _add(np.ones_like(p), zero, s_high, s_low)
    atanh_high, atanh_low = _mul(z_high, z_low, s_high, s_low)
    # ln p = e ln 2 + ln c + 2 atanh(z)
    e2_high, e2_low = _mul(e.astype(np.float64), zero, np.full_like(p, ln2_high), np.full_like(p, ln2_low))
    t_high, t_low = _add(table_high[j], table_low[j], 2 * atanh_high, 2 * atanh_low)
    ln_high, ln_low = _add(e2_high, e2_low, t_high, t_low)
    # to fixed point: ln_high 2^100 is an integer (ln_high >= ln 2 > 1/2, so its last bit is
    # at least 2^-53); a holds its top, b the rest with ln_low 2^100 (below 2^53)
    scaled = ln_high * 2.0**50
    a = np.floor(scaled)
    b = np.round((scaled - a) * 2.0**50 + ln_low * 2.0**100)
    return a.astype(np.int64), b.astype(np.int64)


def fixed_sum(primes, numerators) -> tuple[int, int] | None:
    """(T, E) with |T - 2^BITS sum_i numerators[i] ln primes[i]| <= E, exact integers; None
    when some base is not below LIMIT (those take Decimal)."""
    import numpy as np

    if not primes or primes[-1] >= LIMIT:  # primes ascending
        return None
    a, b = fixed_logs(np.array(primes, dtype=np.int64))
    top = sum(map(operator.mul, numerators, a.tolist()))
    total = (top << 50) + sum(map(operator.mul, numerators, b.tolist()))
    return total, ERROR * sum(map(abs, numerators))


@cache
def fixed_ln2() -> int:
    """round(2^BITS ln 2), within 1/2."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int((Decimal(2).ln() * (Decimal(2) ** BITS)).to_integral_value())


def rounded(total: int, error: int, denominator: int, bits: bool) -> float | None:
    """The double nearest (total / (denominator 2^BITS)) (divided by ln 2 in bits) for every
    value within ``error`` of ``total``, or None when they round apart (or straddle 0)."""
    low, high = total - error, total + error
    if low <= 0 <= high:
        return None
    if not bits:
        scale = denominator << BITS
        first, last = low / scale, high / scale  # int / int rounds correctly
    else:
        ln2 = fixed_ln2()  # 2^BITS ln 2 lies in [ln2 - 1, ln2 + 1]
        small, large = denominator * (ln2 - 1), denominator * (ln2 + 1)
        first, last = (low / large, high / small) if low > 0 else (low / small, high / large)
    return first if first == last else None
