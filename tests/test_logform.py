import math
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from echo_theory.logform import LogForm, factorize, latex_fraction

F = Fraction


@given(st.integers(1, 10**15))
def test_factorize_matches_sympy(n):
    assert dict(factorize(n)) == sympy.factorint(n)


def test_factorize_beyond_trial_division():
    n = 1_000_000_007 * 998_244_353 * 4
    assert factorize(n) == ((2, 2), (998_244_353, 1), (1_000_000_007, 1))
    with pytest.raises(ValueError):
        factorize(0)


def test_log_of_a_rational():
    assert LogForm.log(F(45, 8)).coefficients == ((2, -3), (3, 2), (5, 1))
    assert LogForm.log(F(1)).is_zero
    with pytest.raises(ValueError):
        LogForm.log(F(0))


def test_text_and_latex():
    form = LogForm.from_dict({2: F(3), 3: F(-3, 16), 5: F(-5, 16), 7: F(-7, 16)})
    assert form.text() == "3*log(2) - 3/16*log(3) - 5/16*log(5) - 7/16*log(7)"
    assert form.text("bits") == "3 - 3/16*log2(3) - 5/16*log2(5) - 7/16*log2(7)"
    assert form.latex() == r"3 \log 2 - \frac{3}{16} \log 3 - \frac{5}{16} \log 5 - \frac{7}{16} \log 7"
    assert form.latex("bits") == r"3 - \frac{3}{16} \log_2 3 - \frac{5}{16} \log_2 5 - \frac{7}{16} \log_2 7"
    assert LogForm.from_dict({3: F(-1)}).text() == "-log(3)"
    assert LogForm().text() == "0"
    assert LogForm.from_dict({2: F(-1, 2)}).text("bits") == "-1/2"
    assert latex_fraction(F(-3, 4)) == r"-\frac{3}{4}"


def test_text_is_a_sympy_expression_of_the_same_value():
    form = LogForm.from_dict({2: F(5, 4), 3: F(-3, 8), 11: F(1, 7)})
    for units in ("nats", "bits"):
        parsed = sympy.sympify(form.text(units), locals={"log2": lambda x: sympy.log(x, 2)})
        assert sympy.simplify(parsed - form.to_sympy(units)) == 0


def test_arithmetic():
    a = LogForm.log(F(6))
    b = LogForm.log(F(2))
    assert (a - b) == LogForm.log(F(3))
    assert (a + b) == LogForm.log(F(12))
    assert -a == LogForm.log(F(1, 6))


coefficients = st.dictionaries(
    st.sampled_from([2, 3, 5, 7, 11, 13, 1_000_003]),
    st.fractions(min_value=-50, max_value=50, max_denominator=10**6),
    max_size=5,
)


@given(coefficients)
def test_floats_are_correctly_rounded(coefficients):
    form = LogForm.from_dict(coefficients)
    mpmath.mp.dps = 80
    exact = mpmath.fsum(mpmath.mpf(c.numerator) / c.denominator * mpmath.log(p) for p, c in form.coefficients)
    assert form.to_float() == float(exact)
    assert form.to_float("bits") == float(exact / mpmath.log(2))


def test_floats_survive_cancellation():
    # 1054 log 2 - 665 log 3 ~ 1.6e-4 relative to terms of ~730: naive floats lose ~7 digits.
    # A continued-fraction convergent of log 3 / log 2 makes it far worse.
    mpmath.mp.dps = 120
    for num, den in [(1054, 665), (301994, 190537), (10781274, 6802247)]:
        form = LogForm.from_dict({2: F(num), 3: F(-den)})
        exact = num * mpmath.log(2) - den * mpmath.log(3)
        assert form.to_float() == float(exact)
        naive = num * math.log(2) - den * math.log(3)
        assert naive != float(exact) or num == 1054  # the naive sum is wrong where it matters


# --- the factoring budget: inputs of under 100 characters that once ran for minutes ---------


def _mp_entropy(process, learned, digits=40):
    """H(Y | X_S) at ``digits`` digits by mpmath, from the exact probabilities: a second method."""
    import mpmath

    with mpmath.workdps(digits):
        total = mpmath.mpf(0)
        for cell in process.marginal(learned):
            p = mpmath.mpf(cell.probability.numerator) / cell.probability.denominator
            w = mpmath.mpf(cell.weight.numerator) / cell.weight.denominator
            for q in (p, 1 - p):
                if q:
                    total -= w * q * mpmath.log(q)
        return total


def _semiprime_base() -> str:
    import sympy

    return f"1/{sympy.nextprime(10**29) * sympy.nextprime(3 * 10**29)}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "rule, base",
    [
        ("3:0." + "0" * 59 + "1", "1/2"),  # the shift 10^-60
        ("3:0.1", "0." + "0" * 69 + "1"),  # a 70-digit decimal base
        ("3:0.1", None),  # 1 / (a product of two 30-digit primes)
    ],
    ids=["shift 1e-60", "70-digit base", "semiprime base"],
)
def test_hard_integers_stay_exact_within_seconds(rule, base):
    import time

    from echo_theory import EchoProcess

    factorize.cache_clear()
    process = EchoProcess([rule], base=base or _semiprime_base())
    start = time.process_time()  # CPU time: the machines here are shared
    table = process.subset_table()
    values = [(row.learned, row.cross_entropy.value, row.information.value) for row in table.rows]
    assert time.process_time() - start < 5
    for learned, h, _ in values:
        reference = float(_mp_entropy(process, learned))
        assert h == pytest.approx(reference, rel=1e-15, abs=1e-300)
    if base is None:  # the semiprime cannot be split within the budget: kept whole, and said so
        assert not table.rows[0].cross_entropy.fully_factored
        assert "note: some log(n) above has a composite n" in table.to_text()
        assert table.to_dict()["rows"][0]["fully_factored"] is False


def test_an_unfactored_composite_evaluates_against_its_own_factors():
    """Forms whose bases share a factor with an unfactored composite are split by gcds before
    evaluation, so a combination that is exactly zero evaluates to zero and ends."""
    import sympy

    from echo_theory.logform import _UNFACTORED, LogForm

    p, q = int(sympy.nextprime(10**29)), int(sympy.nextprime(2 * 10**29))
    _UNFACTORED.add(p * q)
    form = LogForm(((p, Fraction(1)), (q, Fraction(1)), (p * q, Fraction(-1))))  # log pq - log pq
    assert form.to_float() == 0.0
    assert not form.fully_factored
    half = LogForm(((p, Fraction(1, 2)), (p * q, Fraction(1))))
    assert half.to_float() == pytest.approx(1.5 * math.log(p) + math.log(q), rel=1e-15)
