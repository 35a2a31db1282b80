"""Prime factorization, one integer at a time or many at once.

The exact forms (``logform``) are rational combinations of logs of primes, so every integer
the engine meets is factored. One at a time: a gcd with the product of the primes below
``_TRIAL_LIMIT``, then Miller-Rabin and Pollard-Brent in Python integers. Many at once
(``factor_many``, every subset of many rules brings about a million integers): the same steps
on NumPy arrays of the integers below 2^50, with the products mod n taken through a float64
quotient (``_mulmod``); the few integers those steps leave, and the larger ones, go one at a
time. Both give the same factorization: each finds only proven primes.

Factoring has a budget: an integer whose factor Pollard-Brent has not found within
``RHO_BUDGET`` iterations stays whole, as log of that integer (see ``logform``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache, lru_cache

_TRIAL_LIMIT = 1 << 10  # trial division below this; Miller-Rabin and Pollard-Brent above
# Miller-Rabin with the first k primes as bases is exact (not probabilistic) below these
# bounds (Jaeschke; Zhang and Tang; Sorenson and Webster).
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
_WITNESS_BOUNDS = (
    (341_550_071_728_321, 7),
    (3_825_123_056_546_413_051, 9),
    (318_665_857_834_031_151_167_461, 12),
    (3_317_044_064_679_887_385_961_981, 13),
)
_EXACT_MILLER_RABIN_LIMIT = _WITNESS_BOUNDS[-1][0]
# Pollard-Brent iterations spent on one composite before it is kept whole (about 0.1 s here):
# enough for almost every factor below about 10^10 (rho needs about sqrt(p) iterations).
RHO_BUDGET = 1 << 17
# The composites kept whole so far. ``factorize`` is deterministic, so an integer is either
# always split or always kept, and membership is a property of the integer.
_UNFACTORED: set[int] = set()


@cache
def _small_primes() -> tuple[int, ...]:
    sieve = bytearray([1]) * _TRIAL_LIMIT
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(_TRIAL_LIMIT) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return tuple(i for i, is_prime in enumerate(sieve) if is_prime)


@cache
def _small_primorial() -> int:
    return math.prod(_small_primes())


@lru_cache(maxsize=1 << 18)
def factorize(n: int) -> tuple[tuple[int, int], ...]:
    """Prime factorization of n >= 1 as ((prime, exponent), ...), ascending."""
    if n < 1:
        raise ValueError(f"factorize needs n >= 1, got {n}")
    factors: dict[int, int] = {}
    # One gcd with the product of the small primes finds which of them divide n, so that
    # numbers with no small factor (the slow ones) skip trial division entirely.
    for prime in _small_divisors(math.gcd(n, _small_primorial())):
        power = 0
        while n % prime == 0:
            n //= prime
            power += 1
        factors[prime] = power
    if n > 1:
        _factor_large(n, factors)
    return tuple(sorted(factors.items()))


@lru_cache(maxsize=1 << 14)
def _small_divisors(small: int) -> tuple[int, ...]:
    """The small primes dividing a squarefree product of small primes (many n share one)."""
    found = []
    for prime in _small_primes():
        if small == 1:
            break
        if small % prime == 0:
            small //= prime
            found.append(prime)
    return tuple(found)


def _factor_large(n: int, factors: dict[int, int]) -> None:
    """Add the factors of n > 1, which has no prime factor below ``_TRIAL_LIMIT``; a composite
    whose factor is not found within the budget is added whole (and remembered)."""
    if n < _TRIAL_LIMIT**2 or _is_probable_prime(n):
        factors[n] = factors.get(n, 0) + 1
        return
    root = math.isqrt(n)
    if root * root == n:
        _factor_large(root, factors)
        _factor_large(root, factors)
        return
    divisor = _pollard_brent(n, RHO_BUDGET)
    if divisor is None:
        _UNFACTORED.add(n)
        factors[n] = factors.get(n, 0) + 1
        return
    _factor_large(divisor, factors)
    _factor_large(n // divisor, factors)


def _is_probable_prime(n: int) -> bool:
    """Exact Miller-Rabin below 3.3e24; SymPy's BPSW test (no known counterexample) above."""
    if n < _EXACT_MILLER_RABIN_LIMIT:
        return _is_prime(n)
    from sympy import isprime

    return bool(isprime(n))


def is_unfactored(n: int) -> bool:
    """Whether ``factorize`` kept the composite n whole because its budget ran out."""
    return n in _UNFACTORED


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for odd n < 3.3e24 with no small factors."""
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    count = next(k for bound, k in _WITNESS_BOUNDS if n < bound)
    for a in _WITNESSES[:count]:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _pollard_brent(n: int, budget: int) -> int | None:
    """A nontrivial divisor of a composite n (Brent's cycle finding, batched gcds), or None
    when ``budget`` iterations of the map (over every constant tried) have not found one."""
    spent = 0
    for c in range(1, n):
        y, m, g, r, q = 2, 128, 1, 1, 1
        x = ys = y
        while g == 1:
            if spent > budget:
                return None
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            spent += 2 * r
            r *= 2
        if g == n:  # the batch overshot: step back one at a time
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    return None


# --- many integers at once, on NumPy arrays ---------------------------------------------------

VECTOR_LIMIT = 1 << 50  # _mulmod is exact below this
_BATCH_MIN = 256  # fewer integers than this go one at a time: the arrays would not pay
_CHUNK = 1 << 14  # elements per pass of Miller-Rabin's loops: their temporaries stay in cache
# Pollard-Brent's lockstep ends with a few slow numbers: one large chunk pays that tail once
_RHO_CHUNK = 1 << 17
_SMALL_PRIME_SQUARE = _TRIAL_LIMIT * _TRIAL_LIMIT  # a cofactor below this with no small factor is prime
# Deterministic Miller-Rabin: below each bound, n is prime exactly when it passes the strong
# test to every base of the set (bases reduced mod n, a base that is 0 mod n passing). The sets
# are the best known (Jaeschke; Sinclair, Worley and others, miller-rabin.appspot.com), each
# bound the least composite that passes its set.
_BASE_SETS = (
    (1_050_535_501, (336781006125, 9639812373923155)),
    (350_269_456_337, (4230279247111683200, 14694767155120705706, 16641139526367750375)),
    (55_245_642_489_451, (2, 141889084524735, 1199124725622454117, 11096072698276303650)),
    (7_999_252_175_582_851, (2, 4130806001517, 149795463772692060, 186635894390467037, 3967304179347715805)),
)
_VECTOR_RHO_STEPS = 1 << 13  # lockstep iterations before the survivors go one at a time
_GCD_EVERY = 64  # products of |x - y| between gcds


def factor_many(values: Iterable[int]) -> dict[int, tuple[tuple[int, int], ...]]:
    """``factorize`` of each distinct integer >= 1 in ``values``, as {n: factorization}."""
    distinct = set(values)
    if any(n < 1 for n in distinct):
        raise ValueError(f"factorize needs n >= 1, got {min(distinct)}")
    small = [n for n in distinct if n < VECTOR_LIMIT]
    if len(small) < _BATCH_MIN:
        return {n: factorize(n) for n in distinct}
    import numpy as np

    out = {n: factorize(n) for n in distinct if n >= VECTOR_LIMIT}
    small.sort()
    owners, primes, powers = factor_table(np.array(small, dtype=np.int64))
    pairs = list(zip(primes.tolist(), powers.tolist(), strict=True))
    first = np.searchsorted(owners, np.arange(len(small) + 1)).tolist()
    out.update(zip(small, map(tuple, map(pairs.__getitem__, map(slice, first, first[1:]))), strict=True))
    return out


def factor_table(numbers):
    """The factorizations of an int64 array of integers >= 1 (cofactors past VECTOR_LIMIT one
    at a time), as three arrays (owner, prime, power): one row per distinct prime of each
    number, by owner (the number's index) and then by prime."""
    import numpy as np

    owners, primes = _factor_arrays(numbers)
    order = np.lexsort((primes, owners))
    owners, primes = owners[order], primes[order]
    new = np.ones(len(owners), dtype=bool)  # a run of one (owner, prime) pair is its power
    new[1:] = (owners[1:] != owners[:-1]) | (primes[1:] != primes[:-1])
    starts = np.flatnonzero(new)
    powers = np.diff(np.append(starts, len(owners)))
    return owners[starts], primes[starts], powers


def _factor_arrays(numbers):
    """(owner index, prime) for every prime factor, with repetition, of each number < 2^52."""
    import numpy as np

    owners: list = []
    primes: list = []
    rest = numbers.copy()
    index = np.arange(len(numbers), dtype=np.int64)
    for prime in _small_primes():
        hit = np.flatnonzero(rest % prime == 0)
        while hit.size:
            owners.append(hit)
            primes.append(np.full(hit.size, prime, dtype=np.int64))
            rest[hit] //= prime
            hit = hit[rest[hit] % prime == 0]
    keep = rest > 1
    index, rest = index[keep], rest[keep]
    beyond = rest >= VECTOR_LIMIT  # past what _mulmod takes exactly: one at a time
    for i, n in zip(index[beyond].tolist(), rest[beyond].tolist(), strict=True):
        _add_rows(owners, primes, i, n)
    index, rest = index[~beyond], rest[~beyond]
    # Every cofactor now has no prime factor below _TRIAL_LIMIT: below its square it is prime;
    # above, Miller-Rabin decides, and Pollard-Brent splits the composites into two cofactors.
    while index.size:
        small = rest < _SMALL_PRIME_SQUARE
        large = ~small
        if large.any():
            prime = small.copy()
            prime[large] = _is_prime_vector(rest[large])
        else:
            prime = small
        owners.append(index[prime])
        primes.append(rest[prime])
        index, rest = index[~prime], rest[~prime]
        if not index.size:
            break
        root = np.sqrt(rest.astype(np.float64)).round().astype(np.int64)
        square = root * root == rest
        divisor = np.where(square, root, 0)
        divisor[~square] = _rho_vector(rest[~square])
        split = divisor > 0
        for i, n in zip(index[~split].tolist(), rest[~split].tolist(), strict=True):
            _add_rows(owners, primes, i, n)  # the budget's last word, one at a time
        index, rest, divisor = index[split], rest[split], divisor[split]
        index = np.concatenate([index, index])
        rest = np.concatenate([divisor, rest // divisor])
    if not owners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(owners), np.concatenate(primes)


def _add_rows(owners: list, primes: list, index: int, n: int) -> None:
    """The rows of n's factors (n with no prime factor below _TRIAL_LIMIT), one at a time."""
    import numpy as np

    factors: dict[int, int] = {}
    _factor_large(n, factors)
    for p, power in factors.items():
        owners.append(np.full(power, index, dtype=np.int64))
        primes.append(np.full(power, p, dtype=np.int64))


def _mulmod(a, b, n, inverse):
    """a * b mod n, elementwise, for int64 arrays with 0 <= a, b < n < 2^50 (``inverse``: 1 / n
    as float64).

    The float quotient a b (1/n) has three roundings, a relative error below 2^-51, and is
    below 2^50, so its floor is within one of the true one; a b - q n, taken mod 2^64 by int64
    arithmetic, is then the exact remainder shifted by at most one n either way, which the last
    two lines undo.
    """
    import numpy as np

    q = (a.astype(np.float64) * b.astype(np.float64) * inverse).astype(np.int64)
    r = a * b - q * n
    r += n & (r >> 63)  # r < 0: add n
    r -= n & ~((r - n) >> 63)  # r >= n: subtract n
    return r


def _is_prime_vector(numbers):
    """Deterministic Miller-Rabin for odd n < 2^50 with no prime factor below _TRIAL_LIMIT."""
    import numpy as np

    prime = np.ones(len(numbers), dtype=bool)
    for start in range(0, len(numbers), _CHUNK):
        n = numbers[start : start + _CHUNK]
        d, s = n - 1, np.zeros(len(n), dtype=np.int64)
        while True:
            even = (d & 1) == 0
            if not even.any():
                break
            d = np.where(even, d >> 1, d)
            s += even
        verdict = prime[start : start + _CHUNK]
        below = 0
        for bound, bases in _BASE_SETS:
            group = np.flatnonzero((n >= below) & (n < bound))
            below = bound
            if not group.size:
                continue
            m, dm, sm = n[group], d[group], s[group]
            # the bits of d, from the top, shared by every base of the set
            bits = [(dm >> bit) & 1 == 1 for bit in range(int(dm.max()).bit_length() - 1, -1, -1)]
            passed = np.ones(len(m), dtype=bool)
            for base in bases:
                live = np.flatnonzero(passed)
                if not live.size:
                    break
                chosen = [b[live] for b in bits] if live.size < len(m) else bits
                passed[live] = _strong_probable_prime(m[live], chosen, sm[live], base)
            verdict[group] = passed
    return prime


def _strong_probable_prime(n, bits, s, base: int):
    """Whether each n passes the strong test to ``base`` mod n: base^d = 1 or base^(d 2^i) = -1
    for some i < s, with ``bits`` the bits of d from the top (boolean arrays), base^d taken left
    to right. A base that is 0 mod n passes."""
    import numpy as np

    inverse = 1.0 / n.astype(np.float64)
    small = base < 64
    if not small:
        residue = (np.uint64(base) % n.astype(np.uint64)).astype(np.int64)
    x = np.ones_like(n)
    for bit in bits:
        x = _mulmod(x, x, n, inverse)
        if small:  # x * base < 2^56 exactly, and its quotient by n is below 64
            y = x * base
            y -= (y.astype(np.float64) * inverse).astype(np.int64) * n
            y += n & (y >> 63)
            y -= n & ~((y - n) >> 63)
        else:
            y = _mulmod(x, residue, n, inverse)
        x = np.where(bit, y, x)
    minus_one = n - 1
    passed = (x == 1) | (x == minus_one)
    for i in range(1, int(s.max())):
        x = _mulmod(x, x, n, inverse)
        passed |= (x == minus_one) & (i < s)
    if not small:
        passed |= residue == 0
    return passed


def _rho_vector(numbers):
    """A nontrivial divisor of each composite n < 2^52 (Pollard-Brent, all in lockstep with the
    constant c = 1, as ``_pollard_brent`` starts), or 0 where _VECTOR_RHO_STEPS did not find
    one or the cycle closed without a split (those go one at a time, with other constants)."""
    import numpy as np

    out = np.zeros(len(numbers), dtype=np.int64)
    for start in range(0, len(numbers), _RHO_CHUNK):
        out[start : start + _RHO_CHUNK] = _rho_chunk(numbers[start : start + _RHO_CHUNK])
    return out


def _rho_chunk(n):
    import numpy as np

    out = np.zeros(len(n), dtype=np.int64)
    live = np.arange(len(n))
    fn = 1.0 / n.astype(np.float64)  # the inverse, as _mulmod takes it
    y = np.full(len(n), 2, dtype=np.int64)
    q = np.ones(len(n), dtype=np.int64)

    def step(v, n, fn):
        v = _mulmod(v, v, n, fn) + 1
        return v - (n & ~((v - n) >> 63))  # v == n wraps to 0

    r, spent = 1, 0
    while live.size and spent < _VECTOR_RHO_STEPS:
        x = y.copy()
        for _ in range(r):
            y = step(y, n, fn)
        k = 0
        while k < r and live.size:
            ys = y.copy()
            for _ in range(min(_GCD_EVERY, r - k)):
                y = step(y, n, fn)
                q = _mulmod(q, np.abs(x - y), n, fn)
            g = np.gcd(q, n)
            k += _GCD_EVERY
            closed = g == n
            if closed.any():  # the batch overshot: step back one at a time from ys
                g[closed] = _backtrack(x[closed], ys[closed], n[closed], fn[closed], step)
            done = (g > 1) | closed
            if done.any():
                split = done & (g < n)
                out[live[split]] = g[split]
                keep = ~done
                live, n, fn, x, y, q = live[keep], n[keep], fn[keep], x[keep], y[keep], q[keep]
        spent += 2 * r
        r *= 2
    return out


def _backtrack(x, ys, n, fn, step):
    """gcd(|x - ys|, n) > 1 at the first step after ys where it is (n itself: no split here)."""
    import numpy as np

    g = np.ones_like(n)
    for _ in range(_GCD_EVERY + 1):
        ys = np.where(g == 1, step(ys, n, fn), ys)
        g = np.where(g == 1, np.gcd(np.abs(x - ys), n), g)
        if (g > 1).all():
            break
    return np.where(g > 1, g, n)
