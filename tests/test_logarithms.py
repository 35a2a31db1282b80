"""Logarithms of many integers on arrays, and the floats of wide forms taken from them."""

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from echo_theory.logarithms import BITS, ERROR, LIMIT, fixed_ln2, fixed_logs, rounded
from echo_theory.logform import Difference, LogForm, _evaluate


def edge_integers() -> list[int]:
    """Powers of two and their neighbours, the table's boundaries (m = j/256), the ends."""
    out = {2, 3, 5, 7, LIMIT - 1, LIMIT - 2}
    for e in range(2, 53):
        out.update({(1 << e) - 1, 1 << e, (1 << e) + 1})
    for j in range(128, 257):
        out.update({(j << 44) - 1, j << 44, (j << 44) + 1, ((2 * j + 1) << 43)})
    return sorted(n for n in out if 2 <= n < LIMIT)


def test_fixed_logs_are_within_their_bound():
    rng = random.Random(5)
    values = edge_integers() + [rng.randrange(2, LIMIT) for _ in range(3000)] + list(range(2, 3000))
    a, b = fixed_logs(np.array(values, dtype=np.int64))
    mpmath.mp.dps = 60
    scale = mpmath.mpf(2) ** BITS
    worst = max(
        abs(mpmath.mpf((x << 50) + y) - mpmath.log(v) * scale)
        for v, x, y in zip(values, a.tolist(), b.tolist(), strict=True)
    )
    assert worst < 16 < ERROR  # observed about 1.3: a wide margin under the bound the floats use
    assert abs(fixed_ln2() - mpmath.log(2) * scale) <= 0.5


def wide_form(rng: random.Random, terms: int) -> LogForm:
    primes = sorted(rng.sample(range(2, 1 << 40), terms))
    denominator = rng.randrange(1, 10**30)
    return LogForm.from_integers({p: rng.randrange(-(10**25), 10**25) for p in primes}, denominator)


@pytest.mark.parametrize("seed", range(20))
def test_wide_floats_match_decimal(seed):
    """Floats from the arrays equal the Decimal evaluation's, in nats and bits, for forms whose
    terms are far larger than their sum, and for a difference of two such forms."""
    rng = random.Random(seed)
    a, b = wide_form(rng, rng.randrange(30, 400)), wide_form(rng, rng.randrange(30, 400))
    near = LogForm.combine([(Fraction(1), a), (Fraction(-1), LogForm.from_integers({2: 1}, 10**40))])
    for form in (a, near, Difference(a, b), Difference(a, near)):
        parts = form._parts()
        assert form.fixed_sum() is not None
        assert form.to_float() == _evaluate(*parts, False)
        assert form.to_float("bits") == _evaluate(*parts, True)


def test_a_zero_difference_falls_back_and_is_zero():
    form = wide_form(random.Random(1), 50)
    assert Difference(form, form).to_float() == 0.0
    assert rounded(0, 5, 1, False) is None
    assert rounded(-3, 5, 1, True) is None


def test_undecided_bounds_fall_back():
    """When the two ends of the bound round apart, no float is claimed."""
    total = 1 << BITS  # exactly 1, give or take 2^-50: several doubles apart
    assert rounded(total, 1 << 50, 1, False) is None
    assert rounded(total, 0, 1, False) == 1.0
    assert rounded(total, 1, 1, False) == 1.0


def test_a_difference_is_unfactored_when_either_form_is():
    from echo_theory.logform import _UNFACTORED

    wide = wide_form(random.Random(3), 30)
    composite = (10**29 + 7) * (10**29 + 9)  # kept whole as if factoring's budget ran out
    _UNFACTORED.add(composite)
    try:
        whole = LogForm.from_integers({2: 1, composite: 3}, 5)
        assert Difference(wide, LogForm.from_integers({2: 1}, 5)).fully_factored
        assert not Difference(wide, whole).fully_factored
        assert not Difference(whole, wide).fully_factored
    finally:
        _UNFACTORED.discard(composite)


def test_one_wide_subset_keeps_numpy_unloaded():
    """One subset of 64 rules (hundreds of logs) takes its floats from Decimal: importing NumPy
    for them would cost more than the arrays save."""
    import subprocess
    import sys

    rules = [f"'{lag}:{(-1) ** lag * lag}/100'" for lag in range(1, 65)]
    code = (
        "import sys; from echo_theory import EchoProcess;"
        f"p = EchoProcess([{', '.join(rules)}], base='0.1', clip=True);"
        "h, gain = p.cross_entropy(range(1, 65)).value, p.information(range(1, 65)).value;"
        "print(h, gain, 'numpy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split()[-1] == "False"
