"""Validity conditions: they hold exactly where every table entry is a probability."""

import functools
import itertools
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from echo_theory import EchoProcess, Rule
from echo_theory.literals import make_symbol
from echo_theory.validity import Condition, _implied, validity_conditions

F = Fraction


def texts(process):
    return [str(c) for c in validity_conditions(process)]


def test_seed_conditions():
    assert texts(EchoProcess(["3:a", "8:-b"])) == [
        "-1/2 <= a <= 1/2",
        "-1/2 <= b <= 1/2",
        "-1/2 <= a - b <= 1/2",
    ]


def test_duplicates_merge_and_implied_conditions_go():
    # entries 1/2 + a (twice) and 1/2 + 2a: a's own interval is the tighter one, once
    assert texts(EchoProcess(["3:a", "8:a"])) == ["-1/4 <= a <= 1/4"]
    # x[t-3] and x[t-5] both add a: a's own interval is [-1/4, 1/4], from 1/2 + 2a
    assert texts(EchoProcess(["3:a", "5:a", "7:b", "9:-b"])) == [
        "-1/4 <= a <= 1/4",
        "-1/2 <= b <= 1/2",
        "-1/2 <= a + b <= 1/2",
        "-1/2 <= 2*a + b <= 1/2",
        "-1/2 <= a - b <= 1/2",
        "-1/2 <= 2*a - b <= 1/2",
    ]
    assert texts(EchoProcess(["3:a", "5:b", "7:-a", "9:-b"])) == [
        "-1/2 <= a <= 1/2",
        "-1/2 <= b <= 1/2",
        "-1/2 <= a + b <= 1/2",
        "-1/2 <= a - b <= 1/2",
    ]


def test_a_condition_the_box_implies_is_dropped():
    a, b = make_symbol("a"), make_symbol("b")
    box = {a: (F(-1, 2), F(1, 2)), b: (F(-1, 4), F(1, 4))}
    assert _implied(Condition(a + b, F(-3, 4), F(3, 4)), box)
    assert not _implied(Condition(a + b, F(-1, 2), F(3, 4)), box)
    assert not _implied(Condition(a - 2 * b, F(-3, 4), F(3, 4)), box)  # reaches 1
    assert not _implied(Condition(a + make_symbol("c"), F(-9), F(9)), box)  # c is unbounded


def test_numeric_and_clipped_processes_need_nothing():
    assert validity_conditions(EchoProcess(["3:0.5"])) == ()
    assert validity_conditions(EchoProcess(["3:a"], clip=True)) == ()


def test_a_point_interval_and_an_empty_one():
    (point,) = validity_conditions(EchoProcess(["3:a", "8:-a"], base=0))
    assert (point.lower, point.upper) == (0, 0) and point.is_satisfiable
    empty = Condition(make_symbol("a"), F(1), F(0))
    assert not empty.is_satisfiable


def test_entries_that_are_not_linear_keep_their_plain_form():
    a = make_symbol("a")
    process = EchoProcess([Rule(3, a**2), Rule(4, sympy.sin(a))])
    assert texts(process) == [
        "0 <= a**2 + 1/2 <= 1",
        "0 <= sin(a) + 1/2 <= 1",
        "0 <= a**2 + sin(a) + 1/2 <= 1",
    ]


names = ["a", "b", "c"]


@st.composite
def symbolic_processes(draw):
    lags = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
    rules = [f"{lag}:{draw(st.sampled_from(['', '-']))}{draw(st.sampled_from(names))}" for lag in lags]
    base = draw(st.fractions(0, 1, max_denominator=4))
    return EchoProcess(rules, base=base)


@pytest.mark.slow
@settings(max_examples=40)
@given(symbolic_processes())
def test_conditions_hold_exactly_where_the_table_is_valid(process):
    """Brute force on a grid: the conditions accept a point iff every entry lies in [0, 1]."""
    symbols = sorted(process.symbols, key=lambda s: s.name)
    conditions = validity_conditions(process)
    grid = [F(n, 4) for n in range(-5, 6)]
    for point in itertools.product(grid, repeat=len(symbols)):
        values = {s: sympy.Rational(v) for s, v in zip(symbols, point, strict=True)}
        entries = [p if isinstance(p, F) else F(str(p.subs(values))) for p in process.table]
        valid = all(0 <= p <= 1 for p in entries)
        assert all(c.holds(values) for c in conditions) == valid, (point, [str(c) for c in conditions])


def test_interaction_conditions():
    # entries 1/2, 1/2 + a + b (x3 = 1, x8 = 0), 1/2 + b, 1/2 + a (both 1: parity even)
    assert texts(EchoProcess(["3:a", "3^8:b"])) == [
        "-1/2 <= a <= 1/2",
        "-1/2 <= b <= 1/2",
        "-1/2 <= a + b <= 1/2",
    ]
    # 1/4 + a only where both inputs are 1
    assert texts(EchoProcess(["3&8:a"], base="1/4")) == ["-1/4 <= a <= 3/4"]


@functools.cache
def _mixed_conditions():
    """Built once: the symbolic table is the slow part."""
    return validity_conditions(EchoProcess(["3:a", "3&8:-b", "3^5^8:b"], base="1/3"))


@settings(max_examples=100)
@given(st.fractions(-1, 1, max_denominator=6), st.fractions(-1, 1, max_denominator=6))
def test_interaction_conditions_hold_exactly_where_the_entries_are_probabilities(a_value, b_value):
    a, b = make_symbol("a"), make_symbol("b")
    values = {a: sympy.Rational(a_value.numerator, a_value.denominator)}
    values[b] = sympy.Rational(b_value.numerator, b_value.denominator)
    entries = []  # every configuration's P(y=1 | x), enumerated here from the rules
    for x3, x5, x8 in itertools.product((0, 1), repeat=3):
        entries.append(F(1, 3) + a_value * x3 - b_value * (x3 and x8) + b_value * ((x3 + x5 + x8) % 2))
    valid = all(0 <= p <= 1 for p in entries)
    assert all(c.holds(values) for c in _mixed_conditions()) == valid
