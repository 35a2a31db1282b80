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
