"""Derivations: every value in a step is the engine's, and the seed post's numbers are there."""

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from echo_theory import (
    Derivation,
    EchoProcess,
    EchoTheoryError,
    LimitError,
    ProcessError,
    all_subsets,
    derive,
)
from echo_theory.literals import NUMBER_HINT
from echo_theory.logform import LogForm

F = Fraction
SEED = ["3:+0.5", "8:-0.25"]


def post(text):
    """A number as the seed post prints it (0.625), exactly."""
    return Fraction(text)


@pytest.fixture(scope="module")
def seed():
    return EchoProcess(SEED).derive()


def test_seed_steps_in_order(seed):
    kinds = [(step.kind, step.learned) for step in seed.steps]
    subsets = [(), (3,), (8,), (3, 8)]
    expected = [("process", None), ("table", None)]
    for subset in subsets:
        expected += [("marginal", subset), ("entropy", subset), ("result", subset)]
    expected.append(("summary", None))
    assert kinds == expected
    assert seed.learned == tuple(subsets)
    assert all(step.title for step in seed.steps)


def test_seed_conditional_table_has_the_posts_eight_entries(seed):
    """Scenario three of the post: P(y=1 | x3, x8) and P(y=0 | x3, x8) for the four configurations."""
    table = seed.step("table")
    ones = {(1, 1): "0.75", (1, 0): "1", (0, 1): "0.25", (0, 0): "0.5"}
    zeros = {(1, 1): "0.25", (1, 0): "0", (0, 1): "0.75", (0, 0): "0.5"}
    by_bits = {row.bits: row for row in table.rows}  # bits are (x[t-3], x[t-8])
    assert set(by_bits) == set(ones)
    for bits, row in by_bits.items():
        assert row.probability == post(ones[bits])
        assert row.complement == post(zeros[bits])
        assert row.weight == post("0.25")
    process = EchoProcess(SEED)
    assert [row.probability for row in table.rows] == list(process.table)
    assert [row.raw for row in table.rows] == list(process.raw_table)
    assert not table.any_clipped


def test_seed_marginals_are_the_posts(seed):
    process = EchoProcess(SEED)
    # scenario one: P(y_t=1) = 0.625, P(y_t=0) = 0.375
    nothing = seed.step("marginal", ())
    assert [c.probability for c in nothing.cells] == [post("0.625")]
    assert list(nothing.complements) == [post("0.375")]
    # scenario two: P(y=1 | x3=1) = 0.875, P(y=0 | x3=1) = 0.125; x3=0: 0.375 and 0.625
    lag3 = seed.step("marginal", [3])
    by_bits = {c.bits: (c.probability, q0) for c, q0 in zip(lag3.cells, lag3.complements, strict=True)}
    assert by_bits == {(1,): (post("0.875"), post("0.125")), (0,): (post("0.375"), post("0.625"))}
    # and they are the engine's
    for subset in all_subsets(process.lags):
        step = seed.step("marginal", subset)
        assert step.cells == process.marginal(subset)
        assert step.sums == process.marginal_sums(subset)


def test_seed_final_values_are_the_posts_formulas(seed):
    """The post's three cross entropies, its lag-3 bracket corrected, computed here in floats."""

    def xlogx(p):
        return p * math.log(p) if p else 0.0

    posts = {
        (): -(xlogx(0.625) + xlogx(0.375)),
        (3,): -0.5 * (xlogx(0.875) + xlogx(0.125)) - 0.5 * (xlogx(0.625) + xlogx(0.375)),
        (3, 8): -0.25 * (2 * xlogx(0.75) + 2 * xlogx(0.25) + 2 * xlogx(0.5)) - 0.25 * (xlogx(0) + xlogx(1)),
    }
    process = EchoProcess(SEED)
    for learned, value in posts.items():
        result = seed.step("result", learned)
        assert abs(result.cross_entropy.value - value) < 1e-12
        assert result.cross_entropy == process.cross_entropy(learned)
        assert result.information == process.information(learned)


def test_seed_zero_log_zero_is_marked(seed):
    full = seed.step("entropy", [3, 8])
    (certain,) = full.certain_terms
    assert certain.bits == (1, 0)
    assert (certain.probability, certain.complement) == (F(1), F(0))
    assert certain.value.value == 0.0
    for learned in [(), (3,), (8,)]:
        assert seed.step("entropy", learned).certain_terms == ()


def check_against_engine(derivation, process, units="nats"):
    """Every value a derivation holds is the engine's own."""
    table = process.subset_table(derivation.learned, units)
    for subset in derivation.learned:
        marginal = derivation.step("marginal", subset)
        assert marginal.sums == process.marginal_sums(subset)
        for s, q0 in zip(marginal.sums, marginal.complements, strict=True):
            assert s.cell.probability + q0 == 1
        entropy = derivation.step("entropy", subset)
        assert [(t.bits, t.weight, t.probability) for t in entropy.terms] == [
            (c.bits, c.weight, c.probability) for c in process.marginal(subset)
        ]
        result = derivation.step("result", subset)
        assert result.cross_entropy == process.cross_entropy(subset, units)
        assert result.information == process.information(subset, units)
        assert result.nothing == process.cross_entropy((), units)
        if not process.is_symbolic:
            # the terms written out add up to the engine's value, exactly
            assert LogForm.combine((F(1), t.value.form) for t in entropy.terms) == result.cross_entropy.form
            assert all(t.value.units == units for t in entropy.terms)
        assert table.row(subset) == derivation.step("summary").table.row(subset)


shift_values = st.fractions(-1, 1, max_denominator=8)


@st.composite
def processes(draw):
    lags = draw(st.lists(st.integers(0, 20), min_size=0, max_size=3, unique=True))
    shifts = [f"{lag}:{draw(shift_values)}" for lag in lags]
    base = draw(st.fractions(0, 1, max_denominator=8))
    p_x = draw(st.fractions(0, 1, max_denominator=6))
    try:
        return EchoProcess(shifts, base=base, p_x=p_x, clip=draw(st.booleans()))
    except ProcessError:
        return EchoProcess(shifts, base=base, p_x=p_x, clip=True)


@given(processes(), st.sampled_from(["nats", "bits"]))
def test_every_value_is_the_engines(process, units):
    derivation = process.derive(units=units)
    check_against_engine(derivation, process, units)
    table = derivation.step("table")
    assert [row.weight for row in table.rows] == [c.weight for c in process.marginal(process.lags)]
    assert [row.clipped for row in table.rows] == [
        r != p for r, p in zip(process.raw_table, process.table, strict=True)
    ]


def test_clipped_entries_are_marked():
    process = EchoProcess(["3:+0.5", "5:+0.5"], clip=True)
    table = process.derive().step("table")
    assert [row.clipped for row in table.rows] == [False, False, False, True]
    assert (table.rows[3].raw, table.rows[3].probability) == (F(3, 2), F(1))


def test_chosen_subsets_and_their_order():
    derivation = derive(EchoProcess(SEED), ["3,8", [3], "none", [8, 3]])
    assert derivation.learned == ((3, 8), (3,), ())
    assert [s.learned for s in derivation.steps if s.kind == "result"] == [(3, 8), (3,), ()]


def test_symbolic_derivation_substitutes_to_the_numeric_one():
    symbolic = EchoProcess(["3:a", "8:-b"])
    derivation = symbolic.derive(at={"a": "1/2", "b": F(1, 4)})
    check_against_engine(derivation, symbolic)
    kinds = [step.kind for step in derivation.steps]
    assert kinds[-3:] == ["summary", "conditions", "substitution"]
    step = derivation.step("substitution")
    assert step.values == (("a", F(1, 2)), ("b", F(1, 4)))
    assert step.conditions_hold
    numeric = EchoProcess(SEED)  # built from the seed's own rules, not by substitution
    assert step.numeric_process == numeric
    for row in step.rows:
        assert row.agrees
        assert row.closed_form.form == numeric.cross_entropy(row.learned).form
        assert row.numeric == numeric.cross_entropy(row.learned)
    assert [row.learned for row in step.rows] == list(derivation.learned)


def test_symbolic_closed_form_agrees_where_no_probability_is_0_or_1():
    # Here the closed form holds as it stands (no 0 log 0), so SymPy's own substitution applies.
    symbolic = EchoProcess(["3:a", "8:-b"]).derive()
    a, b = sympy.symbols("a b", real=True)
    numeric = EchoProcess(["3:0.2", "8:-0.1"])
    for learned in symbolic.learned:
        closed = symbolic.step("result", learned).cross_entropy.to_sympy()
        value = float(closed.subs({a: sympy.Rational(1, 5), b: sympy.Rational(1, 10)}))
        assert abs(value - numeric.cross_entropy(learned).value) < 1e-14


def test_conditions_step():
    step = EchoProcess(["3:a", "8:-b"]).derive().step("conditions")
    assert [str(c) for c in step.conditions] == [
        "-1/2 <= a <= 1/2",
        "-1/2 <= b <= 1/2",
        "-1/2 <= a - b <= 1/2",
    ]
    assert step.symbols == ("a", "b") and not step.clip
    clipped = EchoProcess(["3:a", "8:-b"], clip=True).derive().step("conditions")
    assert clipped.conditions == () and clipped.clip
    with pytest.raises(KeyError):
        EchoProcess(SEED).derive().step("conditions")


@pytest.mark.parametrize(
    "rules, at, message",
    [
        (SEED, {"a": "1"}, "the rules have no symbols to substitute values into"),
        (["3:a", "8:-b"], {"a": "1/2"}, "no value for b: give every symbol a value (symbols: a, b)"),
        (["3:a"], {"c": "1"}, "symbol 'c' is not in the rules (symbols: a)"),
        (["3:a"], {"a": 0.5}, "a = 0.5 is not exact; give a Fraction, an int or text ('1/4')"),
        (["3:a"], {"a": "x"}, "a: 'x' is not a number; " + NUMBER_HINT),
        (["3:a"], {"a": "1"}, "P(y=1 | x[t-3]=1) = 3/2 is outside [0, 1]; use --clip to clamp"),
    ],
)
def test_bad_values(rules, at, message):
    with pytest.raises(EchoTheoryError) as error:
        EchoProcess(rules).derive(at=at)
    assert str(error.value) == message


def test_bad_requests():
    process = EchoProcess(SEED)
    with pytest.raises(ProcessError, match=r"give a list of subsets"):
        process.derive([3])
    with pytest.raises(ProcessError, match=r"learned lag 5 has no rule"):
        process.derive(["5"])
    with pytest.raises(ValueError, match=r"units: 'shannons'"):
        process.derive(units="shannons")
    many = EchoProcess([f"{lag}:0.01" for lag in range(12)])
    with pytest.raises(
        LimitError, match=r"a derivation of 4096 subsets of 12 rules \(16781312 terms\) is about"
    ):
        many.derive(by="configurations")


def test_the_derivation_object():
    derivation = EchoProcess(SEED).derive([[3]])
    assert isinstance(derivation, Derivation)
    with pytest.raises(AttributeError):  # frozen
        derivation.units = "bits"
    assert derivation._repr_markdown_() == derivation.to_markdown()
    assert derivation._repr_latex_() == derivation.to_latex(standalone=False)
    assert derivation.at is None


@pytest.mark.parametrize(
    "rules, options",
    [
        (["3^8:+0.4"], {"base": "0.3"}),
        (["3:+0.3", "8:+0.3", "3&8:-0.4"], {"p_x": "1/3"}),
        (["1^2^4:+0.5", "2&4:+0.5"], {"base": "0.25", "clip": True}),
    ],
)
def test_interaction_derivations_hold_the_engines_values_and_the_rules_that_fire(rules, options):
    process = EchoProcess(rules, **options)
    derivation = process.derive()
    check_against_engine(derivation, process)
    table = derivation.step("table")
    for row in table.rows:
        inputs = dict(zip(process.lags, row.bits, strict=True))
        fired = []
        for rule in process.rules:  # the conditions, written out here
            ones = sum(inputs[lag] for lag in rule.lags)
            if (ones % 2 == 1) if rule.kind == "xor" else (ones == len(rule.lags)):
                fired.append(rule)
        assert row.fired == tuple(fired)
        assert row.raw == process.base + sum(rule.shift for rule in fired)


def test_the_parity_table_in_text():
    text = EchoProcess(["3^8:+0.4"], base="0.3").derive([[3]]).to_text()
    assert "P(y[t]=1 | x) = 3/10 + 2/5·(x[t-3] ⊕ x[t-8])." in text
    assert (
        "Here x[t-3] ⊕ x[t-8] is 1 when an odd number of its inputs are 1 (xor). Each is 0 otherwise." in text
    )
    assert "  x[t-3]  x[t-8]  P(x)  rules that fire  base + shifts  P(y=1 | x)  P(y=0 | x)" in text
    assert "       1       0   1/4  x[t-3] ⊕ x[t-8]  3/10 + 2/5           7/10        3/10" in text
    assert "       1       1   1/4  none             3/10                 3/10        7/10" in text


def test_interaction_derivations_count_lags():
    """The cost of a derivation is in the lags' configurations, whatever the number of rules."""
    with pytest.raises(LimitError, match=r"a derivation of 65536 subsets of 16 rule lags"):
        EchoProcess(["0^1^2^3^4^5^6^7^8^9^10^11^12^13^14^15:+0.1"]).derive()


def test_symbolic_interaction_derivation_substitutes_to_the_numeric_one():
    derivation = EchoProcess(["3:a", "3^8:b", "3&8:-b"]).derive(at={"a": "1/10", "b": "3/10"})
    conditions = [str(c) for c in derivation.step("conditions").conditions]
    # entries: 1/2, 1/2 + a + b (x3 only), 1/2 + b (x8 only), 1/2 + a - b (both): no a alone
    assert conditions == ["-1/2 <= b <= 1/2", "-1/2 <= a + b <= 1/2", "-1/2 <= a - b <= 1/2"]
    substitution = derivation.step("substitution")
    assert substitution.conditions_hold and all(row.agrees for row in substitution.rows)
    assert substitution.numeric_process == EchoProcess(["3:+0.1", "3^8:+0.3", "3&8:-0.3"])


def test_a_derivation_by_sums_matches_the_configurations():
    """Derived over the distinct sums of the learned shifts: each sum's probability and
    g(v) = P(y=1 | v) are those of the configurations that give it, found by enumeration."""
    import itertools

    process = EchoProcess(["1:0.1", "2:0.1", "3:0.2", "5:-0.1"], base="0.3", p_x="1/3", clip=True)
    learned = (1, 2, 3)
    d = process.derive([learned], by="sums")
    assert [step.kind for step in d.steps] == ["process", "sums", "result", "summary"]
    step = d.step("sums", learned)
    shifts = {rule.lag: rule.shift for rule in process.rules}
    expected: dict[Fraction, list[Fraction]] = {}
    for bits in itertools.product((0, 1), repeat=len(process.lags)):
        w, p, v = Fraction(1), process.base, Fraction(0)
        for lag, bit in zip(process.lags, bits, strict=True):
            w *= process.p_x if bit else 1 - process.p_x
            p += shifts[lag] * bit
            if lag in learned:
                v += shifts[lag] * bit
        cell = expected.setdefault(v, [Fraction(0), Fraction(0)])
        cell[0] += w
        cell[1] += w * min(max(p, Fraction(0)), Fraction(1))
    assert [c.total for c in step.cells] == sorted(expected)
    for c in step.cells:
        weight, mass = expected[c.total]
        assert (c.weight, c.probability) == (weight, mass / weight)
    total = sum((t.form for t in step.terms[1:]), step.terms[0].form)
    assert total == d.step("result", learned).cross_entropy.form
    assert total == process.derive([learned], by="configurations").step("result", learned).cross_entropy.form
    assert "Sum the learned shifts" in d.to_text() and "P(v)" in d.to_markdown()


def test_many_rules_derive_by_sums_and_symbols_by_configurations():
    wide = EchoProcess([f"{lag}:0.01" for lag in range(1, 31)])
    d = wide.derive(["chain"])
    assert len(d.learned) == 31 and d.steps[1].kind == "sums"
    assert len(d.step("sums", range(1, 31)).cells) == 31  # 31 distinct sums, not 2^30 rows
    with pytest.raises(ProcessError, match="a derivation by sums needs additive rules with numeric shifts"):
        EchoProcess(["3:a"]).derive(by="sums")
    with pytest.raises(ProcessError, match="by: 'rows' is not one of"):
        EchoProcess(["3:0.1"]).derive(by="rows")
