"""The exact engine against the seed, against an independent float brute force, and its laws."""

import itertools
import math
from collections import defaultdict
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from echo_theory import EchoProcess, ProcessError, all_subsets
from echo_theory.logform import LogForm

F = Fraction
SEED = ["3:+0.5", "8:-0.25"]
# The seed post's figures (and H(Y | X8), which it does not give), to 1e-12.
SEED_VALUES = {
    (): 0.6615632381579821,
    (3,): 0.5191666997072094,
    (8,): 0.6277411625893768,
    (3, 8): 0.4544543674493905,
}


@pytest.mark.parametrize("learned", SEED_VALUES)
def test_seed_values_in_nats_and_bits(learned):
    process = EchoProcess(SEED)
    assert abs(process.cross_entropy(learned).value - SEED_VALUES[learned]) < 1e-12
    bits = process.cross_entropy(learned, units="bits").value
    assert abs(bits - SEED_VALUES[learned] / math.log(2)) < 1e-12


def test_seed_lag3_canonical_form():
    h = EchoProcess(SEED).cross_entropy([3])
    assert h.text == "3*log(2) - 3/16*log(3) - 5/16*log(5) - 7/16*log(7)"
    assert h.form == LogForm.from_dict({2: F(3), 3: F(-3, 16), 5: F(-5, 16), 7: F(-7, 16)})


def test_the_posts_bracket():
    """The post writes -0.5*(h78 - 0.5*h58) for the lag-3 case; the right value is 0.5*(h78 + h58)."""

    def xlogx(p):
        return p * math.log(p)

    as_written = -0.5 * (xlogx(0.875) + xlogx(0.125) - 0.5 * (xlogx(0.625) + xlogx(0.375)))
    corrected = -0.5 * (xlogx(0.875) + xlogx(0.125)) - 0.5 * (xlogx(0.625) + xlogx(0.375))
    engine = EchoProcess(SEED).cross_entropy([3]).value
    assert abs(as_written - 0.023) < 0.001
    assert abs(corrected - engine) < 1e-15


def test_seed_deterministic_branch():
    """P(y=0 | x3=1, x8=0) = 0: its 0 log 0 contributes nothing, and nothing is nan."""
    process = EchoProcess(SEED)
    cells = process.marginal([3, 8])
    assert [(c.bits, c.weight, c.probability) for c in cells] == [
        ((0, 0), F(1, 4), F(1, 2)),
        ((1, 0), F(1, 4), F(1)),
        ((0, 1), F(1, 4), F(1, 4)),
        ((1, 1), F(1, 4), F(3, 4)),
    ]
    row = process.subset_table().row([3, 8])
    assert not math.isnan(row.cross_entropy.value)


def test_floats_are_correctly_rounded_from_the_exact_form():
    mpmath.mp.dps = 60
    for row in EchoProcess(SEED).subset_table().rows:
        exact = sympy.N(row.cross_entropy.to_sympy(), 60)
        assert row.cross_entropy.value == float(exact)


def brute_force(shifts, base, p_x, clip, learned):
    """H(Y | X_S) in floats, by enumerating every configuration: independent of the engine."""
    lags = sorted(shifts)
    groups = defaultdict(lambda: [0.0, 0.0])
    for bits in itertools.product((0, 1), repeat=len(lags)):
        weight = math.prod(float(p_x) if b else 1 - float(p_x) for b in bits)
        p = float(base) + sum(float(shifts[lag]) for lag, b in zip(lags, bits, strict=True) if b)
        if clip:
            p = min(max(p, 0.0), 1.0)
        assert 0 <= p <= 1 or clip
        key = tuple(b for lag, b in zip(lags, bits, strict=True) if lag in learned)
        groups[key][0] += weight
        groups[key][1] += weight * p
    total = 0.0
    for weight, joint in groups.values():
        if weight > 0:
            q = joint / weight
            total -= weight * sum(v * math.log(v) for v in (q, 1 - q) if v > 0)
    return total


probabilities = st.fractions(0, 1, max_denominator=12)
shift_values = st.fractions(-1, 1, max_denominator=12)


@st.composite
def processes(draw, max_rules=4):
    lags = draw(st.lists(st.integers(0, 30), min_size=0, max_size=max_rules, unique=True))
    shifts = {lag: draw(shift_values) for lag in lags}
    base, p_x, clip = draw(probabilities), draw(probabilities), draw(st.booleans())
    return shifts, base, p_x, clip


def build(shifts, base, p_x, clip):
    return EchoProcess([f"{lag}:{s}" for lag, s in shifts.items()], base=base, p_x=p_x, clip=clip)


@given(processes())
def test_engine_matches_brute_force(spec):
    shifts, base, p_x, clip = spec
    try:
        process = build(*spec)
    except ProcessError:
        # the engine refuses exactly when some configuration leaves [0, 1]
        assert not clip
        sums = [
            base + sum(c) for r in range(len(shifts) + 1) for c in itertools.combinations(shifts.values(), r)
        ]
        assert any(not 0 <= p <= 1 for p in sums)
        return
    for row in process.subset_table().rows:
        expected = brute_force(shifts, base, p_x, clip, row.learned)
        assert abs(row.cross_entropy.value - expected) < 1e-12
        assert abs(row.information.value - (brute_force(shifts, base, p_x, clip, ()) - expected)) < 1e-12


def test_clip_marginalizes_the_clipped_table():
    shifts = {3: F(1, 2), 5: F(1, 2), 7: F(-1)}
    process = build(shifts, F(1, 2), F(1, 3), True)
    for learned in all_subsets(shifts):
        assert (
            abs(process.cross_entropy(learned).value - brute_force(shifts, F(1, 2), F(1, 3), True, learned))
            < 1e-12
        )


def valid_processes():
    return processes().filter(lambda spec: _valid(spec))


def _valid(spec):
    try:
        build(*spec)
    except ProcessError:
        return False
    return True


@given(valid_processes())
def test_learning_more_never_hurts(spec):
    table = build(*spec).subset_table()
    values = {row.learned: row.cross_entropy.value for row in table.rows}
    for small, large in itertools.product(values, repeat=2):
        if set(small) <= set(large):
            # correctly rounded floats keep the exact order
            assert values[small] >= values[large]


@given(valid_processes())
def test_entropy_bounds_and_units(spec):
    process = build(*spec)
    nats = process.subset_table()
    bits = process.subset_table(units="bits")
    for row, row_bits in zip(nats.rows, bits.rows, strict=True):
        assert 0 <= row.cross_entropy.value <= math.log(2)
        assert 0 <= row_bits.cross_entropy.value <= 1
        assert row.information.value >= 0
        assert row_bits.cross_entropy.value == pytest.approx(
            row.cross_entropy.value / math.log(2), rel=1e-15, abs=1e-300
        )
        assert row.cross_entropy.form == row_bits.cross_entropy.form


@given(valid_processes(), st.randoms())
def test_renamed_lags_give_the_same_numbers(spec, random):
    shifts, base, p_x, clip = spec
    new_lags = random.sample(range(100, 200), len(shifts))
    rename = dict(zip(shifts, new_lags, strict=True))
    renamed = build({rename[lag]: s for lag, s in shifts.items()}, base, p_x, clip)
    original = build(*spec)
    for row in original.subset_table().rows:
        moved = tuple(sorted(rename[lag] for lag in row.learned))
        assert renamed.cross_entropy(moved).form == row.cross_entropy.form


@given(valid_processes())
def test_every_subset_walk_matches_direct_marginals(spec):
    process = build(*spec)
    for row in process.subset_table().rows:
        assert row.cross_entropy == process.cross_entropy(row.learned)
        assert row.information == process.information(row.learned)


def test_subset_order_is_by_size_then_lag():
    process = EchoProcess(["8:0.1", "3:0.1", "5:0.1"])
    assert [row.learned for row in process.subset_table().rows] == [
        (),
        (3,),
        (5,),
        (8,),
        (3, 5),
        (3, 8),
        (5, 8),
        (3, 5, 8),
    ]


def test_chosen_subsets_keep_their_order():
    table = EchoProcess(SEED).subset_table(["3,8", "none", [3], "8,3"])
    assert [row.learned for row in table.rows] == [(3, 8), (), (3,)]


def test_symbolic_closed_form_substitutes_to_the_seed():
    symbolic = EchoProcess(["3:a", "8:-b"])
    a, b = sorted(symbolic.symbols, key=lambda s: s.name)
    values = {a: sympy.Rational(1, 2), b: sympy.Rational(1, 4)}
    for row in symbolic.subset_table().rows:
        assert row.cross_entropy.value is None
        assert row.cross_entropy.form.subs(values) == EchoProcess(SEED).cross_entropy(row.learned).form
        # the closed form itself, where no probability reaches 0 or 1
        at = {a: sympy.Rational(1, 5), b: sympy.Rational(1, 10)}
        direct = float(row.cross_entropy.to_sympy().subs(at))
        numeric = EchoProcess(["3:0.2", "8:-0.1"]).cross_entropy(row.learned).value
        assert abs(direct - numeric) < 1e-14


def test_symbols_that_vanish_give_numbers():
    # with p_x = 0 no rule ever fires, so no symbol survives
    table = EchoProcess(["3:a"], p_x=0).subset_table()
    assert all(row.cross_entropy.value == math.log(2) for row in table.rows)
    # a and -a cancel in the marginal of nothing learned
    row = EchoProcess(["3:a", "8:-a"]).subset_table().row(())
    assert row.cross_entropy.value == math.log(2)
    assert EchoProcess(["3:a", "8:-a"]).subset_table().row([3]).information.value is None


def test_ten_rules_all_subsets():
    rules = [f"{lag}:{(-1) ** lag * F(1, 2 * lag + 40)}" for lag in range(1, 11)]
    process = EchoProcess(rules, p_x="1/3")
    table = process.subset_table()
    assert len(table.rows) == 1024
    assert table.rows[-1].cross_entropy == process.cross_entropy(process.lags)


def test_marginal_sums_write_out_the_seed():
    process = EchoProcess(SEED)
    (nothing,) = process.marginal_sums(())
    assert nothing.hidden == (3, 8)
    assert [(t.bits, t.factors, t.probability) for t in nothing.terms] == [
        ((0, 0), (F(1, 2), F(1, 2)), F(1, 2)),
        ((1, 0), (F(1, 2), F(1, 2)), F(1)),
        ((0, 1), (F(1, 2), F(1, 2)), F(1, 4)),
        ((1, 1), (F(1, 2), F(1, 2)), F(3, 4)),
    ]
    assert nothing.cell.probability == F(5, 8)
    every = process.marginal_sums([3, 8])
    assert all(s.hidden == () and len(s.terms) == 1 and s.terms[0].weight == 1 for s in every)


@given(valid_processes())
def test_marginal_sums_are_the_definition_of_the_marginal(spec):
    shifts, base, p_x, clip = spec
    process = build(*spec)
    lags = process.lags
    for learned in all_subsets(lags):
        sums = process.marginal_sums(learned)
        assert [s.cell for s in sums] == list(process.marginal(learned))
        seen = []
        for s in sums:
            assert s.hidden == tuple(lag for lag in lags if lag not in learned)
            total = F(0)
            for term in s.terms:
                seen.append(term.mask)
                bits = dict(zip(lags, [term.mask >> i & 1 for i in range(len(lags))], strict=True))
                assert tuple(bits[lag] for lag in learned) == s.cell.bits
                assert tuple(bits[lag] for lag in s.hidden) == term.bits
                assert term.factors == tuple(p_x if b else 1 - p_x for b in term.bits)
                assert term.weight == math.prod(term.factors, start=F(1))
                # the table entry, rebuilt from the rules here
                raw = base + sum(shifts[lag] for lag in lags if bits[lag])
                assert term.probability == (min(max(raw, F(0)), F(1)) if clip else raw)
                total += term.weight * term.probability
            assert total == s.cell.probability
        assert sorted(seen) == list(range(1 << len(lags)))


def test_marginal_sums_with_symbols():
    process = EchoProcess(["3:a", "8:-b"], p_x="1/3")
    for learned in all_subsets(process.lags):
        for s in process.marginal_sums(learned):
            total = sum(sympy.Rational(t.weight) * t.probability for t in s.terms)
            assert sympy.expand(total - s.cell.probability) == 0


# --- window optima and lag effects -------------------------------------------------------------


def brute_force_window(shifts, base, p_x, clip, learned, window):
    """The best mean loss over a window from a reset state, by enumerating every input sequence
    of the history and the window: at window position k the model has seen x_0 ... x_k only, so
    a learned lag L is visible when k - L >= 0. Independent of the engine and its lags <= k rule."""
    lags = sorted(shifts)
    depth = max(lags, default=0)
    total = 0.0
    for k in range(window):
        groups = defaultdict(lambda: [0.0, 0.0])
        for seq in itertools.product((0, 1), repeat=depth + window):
            x = dict(enumerate(seq, start=-depth))  # x[position], positions -depth .. window-1
            weight = math.prod(float(p_x) if b else 1 - float(p_x) for b in seq)
            p = float(base) + sum(float(shifts[lag]) for lag in lags if x[k - lag])
            if clip:
                p = min(max(p, 0.0), 1.0)
            key = tuple(x[k - lag] for lag in learned if k - lag >= 0)
            groups[key][0] += weight
            groups[key][1] += weight * p
        for weight, joint in groups.values():
            if weight > 0:
                q = joint / weight
                total -= weight * sum(v * math.log(v) for v in (q, 1 - q) if v > 0)
    return total / window


@st.composite
def small_windows(draw):
    lags = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3, unique=True))
    shifts = {lag: draw(shift_values) for lag in lags}
    spec = (shifts, draw(probabilities), draw(probabilities), draw(st.booleans()))
    learned = tuple(sorted(draw(st.sets(st.sampled_from(lags)) if lags else st.just(set()))))
    return spec, learned, draw(st.integers(1, 6))


@given(small_windows())
def test_window_optimum_matches_brute_force(case):
    spec, learned, window = case
    assume(_valid(spec))
    value = build(*spec).window_cross_entropy(learned, window).value
    assert abs(value - brute_force_window(*spec, learned, window)) < 1e-12


def test_window_optimum_seed_values():
    """The seed task with both rules learned, at the windows the issue quotes."""
    process = EchoProcess(SEED)
    h = {learned: process.cross_entropy(learned).value for learned in SEED_VALUES}
    for window, expected in [
        (1, h[()]),
        (3, h[()]),
        (4, (4 - 1) / 4 * h[()] + 1 / 4 * h[(3,)]),  # position 3 sees lag 3
        (8, 3 / 8 * h[()] + 5 / 8 * h[(3,)]),
        (9, 3 / 9 * h[()] + 5 / 9 * h[(3,)] + 1 / 9 * h[(3, 8)]),
    ]:
        assert process.window_cross_entropy([3, 8], window).value == pytest.approx(expected, abs=1e-15)
    assert round(process.window_cross_entropy([3, 8], 4).value, 4) == 0.6260
    assert round(process.window_cross_entropy([3, 8], 9).value, 4) == 0.5594


def test_window_optimum_is_exact_and_tends_to_the_plain_value():
    process = EchoProcess(SEED)
    value = process.window_cross_entropy([3, 8], 9)
    # (3 h(none) + 5 h(3) + h(3, 8)) / 9, in the canonical form
    forms = [process.cross_entropy(s).form for s in [(), (3,), (3, 8)]]
    assert value.form == LogForm.combine(zip([F(3, 9), F(5, 9), F(1, 9)], forms, strict=True))
    long = process.window_cross_entropy([3, 8], 10**9).value
    assert abs(long - process.cross_entropy([3, 8]).value) < 1e-8
    assert process.window_cross_entropy([3, 8], 9, units="bits").value == pytest.approx(
        value.value / math.log(2), rel=1e-15
    )


def test_window_parts():
    from echo_theory.exact import window_parts

    assert window_parts((3, 8), 10) == [((), 3), ((3,), 5), ((3, 8), 2)]
    assert window_parts((3, 8), 2) == [((), 2)]
    assert window_parts((0, 2), 3) == [((0,), 2), ((0, 2), 1)]
    assert window_parts((), 7) == [((), 7)]


@pytest.mark.parametrize("window", [0, -1, 1.5, True, "5"])
def test_window_must_be_a_whole_number(window):
    from echo_theory.errors import SettingError

    with pytest.raises(SettingError, match=r"^window: .* is not an integer >= 1$"):
        EchoProcess(SEED).window_cross_entropy([3], window)


@given(valid_processes(), st.integers(1, 40))
def test_window_table_matches_single_values(spec, window):
    process = build(*spec)
    table = process.subset_table(window=window)
    assert table.window == window
    for row in table.rows:
        assert row.window_cross_entropy == process.window_cross_entropy(row.learned, window)
        # a window can only hide lags: its optimum is never below H(Y | X_S)
        assert row.window_cross_entropy.value >= row.cross_entropy.value
    chosen = process.subset_table([row.learned for row in table.rows[::-1]], window=window)
    assert [row.window_cross_entropy for row in chosen.rows] == [
        r.window_cross_entropy for r in table.rows[::-1]
    ]


def test_window_symbolic_substitutes_to_numbers():
    symbolic = EchoProcess(["3:a", "8:-b"])
    a, b = sorted(symbolic.symbols, key=lambda s: s.name)
    value = symbolic.window_cross_entropy([3, 8], 9)
    assert value.value is None
    numeric = value.form.subs({a: sympy.Rational(1, 2), b: sympy.Rational(1, 4)})
    assert numeric == EchoProcess(SEED).window_cross_entropy([3, 8], 9).form


def brute_force_effect(shifts, base, p_x, clip, lag):
    """E over the other inputs of P(y=1 | x_L=1, rest) - P(y=1 | x_L=0, rest), in fractions."""
    others = [other for other in sorted(shifts) if other != lag]
    total = F(0)
    for bits in itertools.product((0, 1), repeat=len(others)):
        weight = math.prod((p_x if b else 1 - p_x for b in bits), start=F(1))
        p = {}
        for on in (0, 1):
            value = base + on * shifts[lag] + sum(shifts[o] for o, b in zip(others, bits, strict=True) if b)
            p[on] = min(max(value, F(0)), F(1)) if clip else value
        total += weight * (p[1] - p[0])
    return total


@given(valid_processes().filter(lambda spec: spec[0]))
def test_lag_effect_matches_brute_force(spec):
    process = build(*spec)
    for lag in process.lags:
        assert process.lag_effect(lag) == brute_force_effect(*spec, lag)


def test_lag_effect_is_the_shift_without_clipping():
    process = EchoProcess(SEED)
    assert (process.lag_effect(3), process.lag_effect(8)) == (F(1, 2), F(-1, 4))
    clipped = EchoProcess(["3:+0.5", "5:+0.5"], clip=True)
    assert clipped.lag_effect(3) == F(1, 2) * F(1, 2) + F(1, 2) * F(0)  # saturated when x5 = 1
    with pytest.raises(ProcessError, match="learned lag 4 has no rule"):
        process.lag_effect(4)


# --- interaction rules (3&8, 3^8) against direct enumeration -----------------------------------
# The oracle reads a plain spec, (lags, kind, shift) per rule, never the process's own rules or
# masks: a configuration is a dict {lag: bit}, and each rule's condition is all() or parity.


def _fires(kind, lags, config):
    ones = sum(config[lag] for lag in lags)
    return ones % 2 == 1 if kind == "xor" else ones == len(lags)


def _oracle_p(spec, config):
    rules, base, _, clip = spec
    p = base + sum(shift for lags, kind, shift in rules if _fires(kind, lags, config))
    return min(max(p, F(0)), F(1)) if clip else p


def _configs(lags):
    return [dict(zip(lags, bits, strict=True)) for bits in itertools.product((0, 1), repeat=len(lags))]


def _weight(config, p_x):
    return math.prod((p_x if bit else 1 - p_x for bit in config.values()), start=F(1))


def _spec_lags(spec):
    return sorted({lag for lags, _, _ in spec[0] for lag in lags})


def _oracle_marginal(spec, learned):
    """{x_S as a tuple: (P(x_S), P(y=1 | x_S))}, summing the other lags out by enumeration."""
    lags, p_x = _spec_lags(spec), spec[2]
    groups = defaultdict(lambda: [F(0), F(0)])
    for config in _configs(lags):
        w = _weight(config, p_x)
        key = tuple(config[lag] for lag in learned)
        groups[key][0] += w
        groups[key][1] += w * _oracle_p(spec, config)
    return {key: (w, joint / w if w else None) for key, (w, joint) in groups.items()}


def _oracle_entropy(spec, learned):
    total = 0.0
    for w, q in _oracle_marginal(spec, learned).values():
        if w:
            total -= float(w) * sum(float(v) * math.log(v) for v in (q, 1 - q) if v > 0)
    return total


def _oracle_rule_effect(spec, kind, rule_lags):
    """E[P(y=1 | x) | C] - E[P(y=1 | x) | not C] by enumeration."""
    sums = {True: [F(0), F(0)], False: [F(0), F(0)]}
    for config in _configs(_spec_lags(spec)):
        w = _weight(config, spec[2])
        side = sums[_fires(kind, rule_lags, config)]
        side[0] += w * _oracle_p(spec, config)
        side[1] += w
    return sums[True][0] / sums[True][1] - sums[False][0] / sums[False][1]


def _rule_text(lags, kind, shift):
    op = {"lag": "", "and": "&", "xor": "^"}[kind]
    return f"{op.join(map(str, lags))}:{shift}"


@st.composite
def interaction_specs(draw, max_lags=4):
    """1 to max_lags lags, each rule a single lag, an AND or an XOR of 2+ of them (conditions
    distinct), at least one interaction rule; shifts, base and p_x with small denominators."""
    lags = draw(st.lists(st.integers(0, 12), min_size=2, max_size=max_lags, unique=True))
    conditions = [("lag", (lag,)) for lag in lags]
    for size in range(2, len(lags) + 1):
        for subset in itertools.combinations(sorted(lags), size):
            conditions += [("and", subset), ("xor", subset)]
    chosen = draw(st.lists(st.sampled_from(conditions), min_size=1, max_size=5, unique=True))
    if all(kind == "lag" for kind, _ in chosen):
        chosen.append(draw(st.sampled_from([c for c in conditions if c[0] != "lag"])))
    rules = [(subset, kind, draw(shift_values)) for kind, subset in chosen]
    return rules, draw(probabilities), draw(probabilities), draw(st.booleans())


def _build_interactions(spec):
    rules, base, p_x, clip = spec
    return EchoProcess([_rule_text(*rule) for rule in rules], base=base, p_x=p_x, clip=clip)


@given(interaction_specs())
def test_interaction_table_and_every_subset_match_enumeration(spec):
    try:
        process = _build_interactions(spec)
    except ProcessError as error:
        # refused exactly when unclipped and some configuration leaves [0, 1]
        assert not spec[3]
        assert any(not 0 <= _oracle_p(spec, c) <= 1 for c in _configs(_spec_lags(spec)))
        assert "is outside [0, 1]; use --clip to clamp" in str(error)
        return
    lags = _spec_lags(spec)
    assert process.lags == tuple(lags)
    for mask, p in enumerate(process.table):  # bit i of the mask is x[t - lags[i]]
        config = {lag: mask >> i & 1 for i, lag in enumerate(lags)}
        assert p == _oracle_p(spec, config)
    for row in process.subset_table().rows:
        assert abs(row.cross_entropy.value - _oracle_entropy(spec, row.learned)) < 1e-12
        expected = _oracle_marginal(spec, row.learned)
        for cell in process.marginal(row.learned):
            weight, q = expected[cell.bits]
            assert cell.weight == weight
            if weight:
                assert cell.probability == q


@given(interaction_specs(max_lags=3), st.integers(1, 14))
def test_interaction_window_optimum_matches_enumeration(spec, window):
    try:
        process = _build_interactions(spec)
    except ProcessError:
        return
    learned = process.lags
    expected = (
        sum(_oracle_entropy(spec, [lag for lag in learned if lag <= k]) for k in range(window)) / window
    )
    assert abs(process.window_cross_entropy(learned, window).value - expected) < 1e-12


@given(interaction_specs())
def test_rule_and_lag_effects_match_enumeration(spec):
    try:
        process = _build_interactions(spec)
    except ProcessError:
        return
    p_x = spec[2]
    for lags, kind, _ in spec[0]:
        rule = f"{_rule_text(lags, kind, 1)}"
        if p_x in (0, 1):
            with pytest.raises(ProcessError, match=r"its condition (never|always) holds"):
                process.rule_effect(rule)
            continue
        assert process.rule_effect(rule) == _oracle_rule_effect(spec, kind, lags)
    if p_x in (0, 1):
        return
    for lag in process.lags:  # the average effect of flipping x_L, over every other input
        others = [o for o in process.lags if o != lag]
        expected = sum(
            _weight(config, p_x) * (_oracle_p(spec, {**config, lag: 1}) - _oracle_p(spec, {**config, lag: 0}))
            for config in _configs(others)
        )
        assert process.lag_effect(lag) == expected
        assert process.rule_effect(f"{lag}:1") == expected  # a single-lag condition: the same thing


def test_the_random_interaction_specs_cover_and_xor_clipping_and_biased_inputs():
    seen = set()

    @given(interaction_specs())
    def record(spec):
        try:
            process = _build_interactions(spec)
        except ProcessError:
            return
        seen.update(kind for _, kind, _ in spec[0])
        if process.clip and process.raw_table != process.table:
            seen.add("clipped")
        if process.p_x not in (0, F(1, 2), 1):
            seen.add("biased")

    record()
    assert {"and", "xor", "clipped", "biased"} <= seen


def test_parity_hides_from_each_single_lag():
    """3^8:+0.4 with base 0.3: y is a fair coin given either input alone, h(3/10) given both."""
    process = EchoProcess(["3^8:+0.4"], base="0.3")
    nothing = process.cross_entropy(())
    assert process.cross_entropy([3]).form == process.cross_entropy([8]).form == nothing.form
    assert nothing.text == "log(2)"
    both = process.cross_entropy([3, 8]).value
    assert abs(both - (-0.3 * math.log(0.3) - 0.7 * math.log(0.7))) < 1e-15
    assert process.lag_effect(3) == process.lag_effect(8) == 0
    assert process.rule_effect("3^8:+0.4") == F(2, 5)
    # biased inputs leak parity into each lag: x3 is no longer independent of x3 xor x8
    biased = EchoProcess(["3^8:+0.4"], base="0.3", p_x="1/3")
    assert biased.cross_entropy([3]).value < biased.cross_entropy(()).value


def test_rule_effect_is_the_shift_for_independent_conditions():
    # disjoint lags; and at p_x = 1/2 a parity is independent of any proper subset of its lags
    assert EchoProcess(["1:+0.2", "3&8:+0.25"]).rule_effect("3&8:1") == F(1, 4)
    assert EchoProcess(["3:+0.2", "3^8:-0.3"]).rule_effect("3^8:1") == F(-3, 10)
    # a shared lag in an AND: the other rules' conditions move with it
    process = EchoProcess(["3:+0.3", "8:+0.3", "3&8:-0.4"])
    assert process.rule_effect("3&8:1") == (F(1, 2) + F(3, 5) - F(2, 5)) - (F(1, 2) + F(3, 10) * F(2, 3))
    with pytest.raises(ProcessError, match=r"^rule 3\^5:\+1: lag 5 has no rule \(rule lags: 3, 8\)$"):
        process.rule_effect("3^5:1")


def test_symbolic_interaction_rule_effect():
    process = EchoProcess(["3:a", "3&8:b"], p_x="1/3")
    a, b = sympy.symbols("a b", real=True)
    # P(C) = 1/9; E[P | C] = 1/2 + a + b; E[P | not C] = 1/2 + a P(x3=1 | not C) = 1/2 + a (1/3 - 1/9) / (8/9)
    assert sympy.simplify(process.rule_effect("3&8:1") - (a + b - a * sympy.Rational(1, 4))) == 0
