"""Factoring many integers at once (NumPy) against SymPy and against one at a time."""

import random

import numpy as np
import pytest
import sympy

import echo_theory.factoring as factoring
from echo_theory.factoring import VECTOR_LIMIT, _mulmod, factor_many, factor_table, factorize

# Strong pseudoprimes to the first bases: each passes every base below the bound where the
# next base is needed, so a wrong bound in _VECTOR_BASES calls them prime.
PSEUDOPRIMES = [
    3_215_031_751,  # to 2, 3, 5, 7
    2_152_302_898_747,  # to 2, 3, 5, 7, 11
    3_474_749_660_383,  # to 2, ..., 13
    341_550_071_728_321,  # to 2, ..., 17 (and 19)
]


def mixed_integers(count: int, seed: int) -> list[int]:
    """Random integers of every kind the batch path meets: small, smooth, prime, semiprime
    with both factors above trial division, prime squares and powers, near 2^52, above it."""
    rng = random.Random(seed)
    out = {1, 2, 3, 1024, 1021 * 1021, 1031 * 1031, VECTOR_LIMIT - 1, VECTOR_LIMIT, VECTOR_LIMIT + 1}
    out.update(PSEUDOPRIMES)
    while len(out) < count:
        kind = rng.randrange(6)
        if kind == 0:
            out.add(rng.randrange(1, 1 << 20))
        elif kind == 1:
            out.add(rng.randrange(1, 1 << 52))
        elif kind == 2:
            out.add(int(sympy.randprime(1 << 20, 1 << 48)))
        elif kind == 3:
            p = int(sympy.randprime(1031, 1 << 24))
            out.add(p * int(sympy.randprime(1031, (1 << 51) // p)))
        elif kind == 4:
            p = int(sympy.randprime(1031, 1 << 17))
            out.add(p ** rng.randrange(2, 4) * rng.randrange(1, 100))
        else:
            out.add(rng.randrange(1 << 52, 1 << 64))
    return sorted(out)


def test_mulmod_is_exact_up_to_the_limit():
    rng = np.random.default_rng(3)
    n = np.concatenate([rng.integers(2, VECTOR_LIMIT, 20_000), np.full(100, VECTOR_LIMIT - 1)])
    a, b = rng.integers(0, VECTOR_LIMIT, len(n)) % n, (n - 1 - rng.integers(0, 3, len(n))) % n
    got = _mulmod(a, b, n, 1.0 / n.astype(np.float64))
    assert got.tolist() == [int(x) * int(y) % int(m) for x, y, m in zip(a, b, n, strict=True)]


@pytest.mark.parametrize("seed", range(3))
def test_factor_many_matches_sympy(seed):
    values = mixed_integers(800, seed)
    got = factor_many(values)
    assert set(got) == set(values)
    for n in values:
        assert dict(got[n]) == sympy.factorint(n), n
        assert list(got[n]) == sorted(got[n])


def test_miller_rabin_on_arrays_matches_sympy():
    """Odd numbers with no factor below 1024, across every base set's range, with the bounds
    themselves (the least composites that pass the set below) and strong pseudoprimes."""
    rng = random.Random(2)
    small = [p for p in range(3, 1024) if sympy.isprime(p)]
    values = set(PSEUDOPRIMES) | {1_050_535_501, 350_269_456_337, 55_245_642_489_451}
    for bits in range(21, 50):
        while sum(1 for v in values if v.bit_length() == bits) < 60:
            n = rng.randrange(1 << (bits - 1), 1 << bits) | 1
            if all(n % p for p in small):
                values.add(n)
        values.add(int(sympy.prevprime(1 << bits)))
    values = sorted(values)
    got = factoring._is_prime_vector(np.array(values, dtype=np.int64))
    assert got.tolist() == [sympy.isprime(n) for n in values]


def test_cofactors_past_the_array_limit_go_one_at_a_time():
    values = [VECTOR_LIMIT + 1, 3 * VECTOR_LIMIT + 7, (1 << 62) + 1, int(sympy.prevprime(1 << 62)), 12]
    owners, primes, powers = factor_table(np.array(values, dtype=np.int64))
    first = np.searchsorted(owners, np.arange(len(values) + 1))
    for i, n in enumerate(values):
        rows = slice(first[i], first[i + 1])
        assert dict(zip(primes[rows].tolist(), powers[rows].tolist(), strict=True)) == sympy.factorint(n)


def test_pseudoprimes_are_composite():
    got = factor_many(PSEUDOPRIMES + list(range(2, 600)))
    for n in PSEUDOPRIMES:
        assert len(got[n]) > 1


def test_the_table_rows_are_by_owner_then_prime():
    values = [n for n in mixed_integers(800, 7) if n < VECTOR_LIMIT]
    owners, primes, powers = factor_table(np.array(values, dtype=np.int64))
    assert np.all(np.diff(owners) >= 0)
    first = np.searchsorted(owners, np.arange(len(values) + 1))
    factorize.cache_clear()
    for i, n in enumerate(values):
        rows = slice(first[i], first[i + 1])
        assert tuple(zip(primes[rows].tolist(), powers[rows].tolist(), strict=True)) == factorize(n)


def test_composites_the_arrays_leave_go_one_at_a_time(monkeypatch):
    """With no lockstep iterations at all, every composite falls back to Pollard-Brent in Python
    integers: the factorizations are the same."""
    monkeypatch.setattr(factoring, "_VECTOR_RHO_STEPS", 0)
    values = mixed_integers(600, 11)
    got = factor_many(values)
    for n in values:
        assert dict(got[n]) == sympy.factorint(n)


def test_bad_input():
    with pytest.raises(ValueError):
        factor_many([5, 0])
    assert factor_many([]) == {}
