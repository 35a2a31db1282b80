import math
from fractions import Fraction

import sympy

from echo_theory.entropy import SymbolicForm, binary_entropy, binary_entropy_expr, entropy_form, xlogx
from echo_theory.logform import LogForm

F = Fraction


def test_zero_log_zero_is_zero():
    assert xlogx(F(0)).is_zero
    assert binary_entropy(F(0)).is_zero
    assert binary_entropy(F(1)).is_zero
    # SymPy's own product is nan, which is why the rule lives here
    assert (sympy.Integer(0) * sympy.log(0)) is sympy.nan


def test_binary_entropy_values():
    assert binary_entropy(F(1, 2)) == LogForm.log(F(2))
    assert math.isclose(binary_entropy(F(1, 4)).to_float(), -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    assert binary_entropy(F(1, 3)) == binary_entropy(F(2, 3))


def test_entropy_sum_drops_zero_weights():
    a = sympy.Symbol("a", real=True)
    assert isinstance(entropy_form([(F(0), a), (F(1), F(1, 2))]), LogForm)
    assert isinstance(entropy_form([(F(1), a)]), SymbolicForm)


def test_symbolic_substitution_applies_the_rule():
    a = sympy.Symbol("a", real=True)
    form = entropy_form([(F(1, 2), sympy.Rational(1, 2) + a), (F(1, 2), sympy.Rational(1, 2) - a)])
    closed = form.to_sympy()
    assert closed.subs(a, sympy.Rational(1, 2)) is sympy.nan  # what naive substitution gives
    assert form.subs({a: sympy.Rational(1, 2)}) == LogForm()  # deterministic: entropy 0
    assert form.subs({a: sympy.Rational(1, 4)}) == binary_entropy(F(3, 4))


def test_symbolic_expression_for_numeric_probability_has_no_log_zero():
    assert binary_entropy_expr(F(0)) == 0
    assert binary_entropy_expr(F(1, 2)) == sympy.log(2)
