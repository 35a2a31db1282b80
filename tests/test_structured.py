"""The structured path (distinct sums) against the walk (2^n table) and direct enumeration."""

from __future__ import annotations

import itertools
import random
import time
from fractions import Fraction

import pytest

from echo_theory import EchoProcess, Rule
from echo_theory.entropy import entropy_form
from echo_theory.exact import _Engine, _form, _marginal_table, all_subsets
from echo_theory.structured import Structured


def random_process(seed: int, max_rules: int = 6) -> EchoProcess:
    """Shifts in hundredths (many equal sums) or with odd denominators, clipped or in range."""
    rng = random.Random(seed)
    n = rng.randint(0, max_rules)
    lags = sorted(rng.sample(range(0, 30), n))
    denominator = rng.choice([100, 7, 12, 60])
    shifts = [Fraction(rng.randint(-denominator // 2, denominator // 2), denominator) for _ in lags]
    base = Fraction(rng.randint(0, 20), 20)
    p_x = rng.choice([Fraction(1, 2), Fraction(1, 3), Fraction(2, 7), Fraction(0), Fraction(1)])
    rules = [Rule(lag, shift) for lag, shift in zip(lags, shifts, strict=True)]
    clip = rng.random() < 0.6
    if not clip:  # scale the shifts into range so the process is valid unclipped
        low = base + sum((s for s in shifts if s < 0), Fraction(0))
        high = base + sum((s for s in shifts if s > 0), Fraction(0))
        if low < 0 or high > 1:
            clip = True
    return EchoProcess(rules, base=base, p_x=p_x, clip=clip)


def enumerate_marginal(process: EchoProcess, learned: tuple[int, ...]) -> dict[tuple[int, ...], tuple]:
    """P(x_S) and P(y=1 | x_S) by summing every full configuration: the definition."""
    lags = process.lags
    out: dict[tuple[int, ...], list] = {}
    for bits in itertools.product((0, 1), repeat=len(lags)):
        weight = Fraction(1)
        p = process.base
        for rule, bit in zip(process.rules, bits, strict=True):
            weight *= process.p_x if bit else 1 - process.p_x
            p += rule.shift if bit else 0
        if process.clip:
            p = min(max(p, Fraction(0)), Fraction(1))
        key = tuple(bit for lag, bit in zip(lags, bits, strict=True) if lag in learned)
        cell = out.setdefault(key, [Fraction(0), Fraction(0)])
        cell[0] += weight
        cell[1] += weight * p
    return {k: (w, (wp / w) if w else None) for k, (w, wp) in out.items()}


def enumerated_entropy(process: EchoProcess, learned: tuple[int, ...]):
    cells = enumerate_marginal(process, learned)
    return entropy_form([(w, p) for w, p in cells.values() if w])


@pytest.mark.parametrize("seed", range(60))
def test_structured_walk_and_enumeration_agree(seed):
    process = random_process(seed)
    structured = Structured(process)
    for learned in all_subsets(process.lags):
        expected = enumerated_entropy(process, learned)
        walk = _form(_marginal_table(process, learned), process.p_x)
        assert structured.form(learned) == walk == expected, (process, learned)


@pytest.mark.parametrize("seed", range(30))
def test_every_subset_at_once_matches_each_subset(seed):
    process = random_process(seed + 100)
    structured = Structured(process)
    lags = process.lags
    for mask, form in structured.all_forms():
        learned = tuple(lag for i, lag in enumerate(lags) if mask >> i & 1)
        assert form == _form(_marginal_table(process, learned), process.p_x)


@pytest.mark.parametrize("seed", range(30))
def test_lag_effects_and_marginals_agree_with_enumeration(seed):
    process = random_process(seed + 200)
    structured = Structured(process)
    for lag in process.lags:
        cells = enumerate_marginal(process, (lag,))
        if process.p_x in (0, 1):
            continue  # one side of x_L never happens
        expected = cells[(1,)][1] - cells[(0,)][1]
        assert structured.lag_effect(lag) == expected == process.lag_effect(lag)
    for learned in all_subsets(process.lags)[:8]:
        expected = enumerate_marginal(process, learned)
        for cell in process.marginal(learned):
            weight, probability = expected[cell.bits]
            assert cell.weight == weight
            if weight:
                assert cell.probability == probability


def test_the_engine_picks_the_structured_path_for_many_equal_sums():
    hundredths = EchoProcess([f"{lag}:{(-1) ** lag * Fraction(lag, 100)}" for lag in range(1, 13)])
    engine = _Engine(hundredths)
    assert engine.uses_structured(hundredths.lags)
    hard = EchoProcess(
        [f"{lag}:{(-1) ** lag * Fraction(1, 2 * lag + 40)}" for lag in range(1, 13)], p_x="1/3"
    )
    # every sum distinct: no fewer cells than the walk, so the estimates are close
    engine = _Engine(hard)
    assert engine.structured_cost(hard.lags) > engine.walk_cost(hard.lags) / 2
    symbolic = EchoProcess(["3:a", "8:0.1"])
    assert _Engine(symbolic).structured is None


def test_window_optima_through_the_structured_path_match_the_walk():
    rules = [f"{lag}:{Fraction(1, 20)}" for lag in range(1, 9)]
    process = EchoProcess(rules, base="0.3", p_x="1/3")
    value = process.window_cross_entropy([2, 5, 8], window=6)
    # positions 0, 1 see no learned lag; 2, 3, 4 see lag 2; 5 sees lags 2 and 5
    parts = [(Fraction(2, 6), ()), (Fraction(3, 6), (2,)), (Fraction(1, 6), (2, 5))]
    expected = sum((float(w) * enumerated_entropy(process, s).to_float() for w, s in parts), 0.0)
    assert value.value == pytest.approx(expected, rel=1e-14)


def test_sixty_four_rules_one_subset_is_quick_and_matches_a_second_method():
    """64 equal shifts: the sum is a count of ones, Binomial(64, p_x), so H(Y | X_S) is a
    sum over 65 counts; the structured engine must give that form."""
    process = EchoProcess([f"{lag}:1/100" for lag in range(1, 65)], base="0.1", p_x="1/3", clip=True)
    start = time.perf_counter()
    learned = process.lags[:40]
    value = process.cross_entropy(learned)
    assert time.perf_counter() - start < 5
    from math import comb

    hidden = [(comb(24, j) * Fraction(1, 3) ** j * Fraction(2, 3) ** (24 - j), j) for j in range(25)]
    terms = []
    for k in range(41):
        weight = comb(40, k) * Fraction(1, 3) ** k * Fraction(2, 3) ** (40 - k)
        p = sum(
            (w * min(Fraction(1, 10) + Fraction(k + j, 100), Fraction(1)) for w, j in hidden), Fraction(0)
        )
        terms.append((weight, p))
    assert value.form == entropy_form(terms)


def hard_process(n: int, seed: int) -> EchoProcess:
    """Shifts 1/d with distinct d in 40..70 and p_x = 1/3 or 2/7: every sum distinct and large
    integers to factor, so every subset at once takes the batched, NumPy-factored path."""
    rng = random.Random(seed)
    denominators = rng.sample(range(40, 71), n)
    rules = [Rule(lag + 1, Fraction((-1) ** lag, d)) for lag, d in enumerate(denominators)]
    clip = rng.random() < 0.5
    base = Fraction(rng.choice([1, 2, 9]), 10) if clip else Fraction(1, 2)
    return EchoProcess(rules, base=base, p_x=rng.choice([Fraction(1, 3), Fraction(2, 7)]), clip=clip)


@pytest.mark.parametrize("seed", range(3))
def test_every_subset_in_batches_matches_enumeration(seed, monkeypatch):
    """9 rules: about 40,000 integers per batch, factored on arrays; small batches (many
    flushes) and one batch give the same forms, and a sample of subsets equals the definition
    enumerated in Fractions, factored one at a time."""
    import echo_theory.entropy as entropy

    process = hard_process(9, seed)
    whole = {row.learned: row for row in process.subset_table().rows}
    monkeypatch.setattr(entropy, "BATCH", 5000)
    monkeypatch.setattr(entropy.batched_forms, "__defaults__", (5000,))
    pieces = {row.learned: row.cross_entropy.form for row in process.subset_table().rows}
    assert pieces == {learned: row.cross_entropy.form for learned, row in whole.items()}
    rng = random.Random(seed)
    for learned in [(), tuple(process.lags), *rng.sample(sorted(whole), 12)]:
        expected = enumerated_entropy(process, learned)
        assert whole[learned].cross_entropy.form == expected, learned
        gain = enumerated_entropy(process, ()) - expected
        assert whole[learned].information.form == gain
        assert whole[learned].information.value == gain.to_float()


@pytest.mark.parametrize("seed", range(12))
def test_every_subset_on_arrays_matches_subset_by_subset(seed):
    """The array pass (6 to 9 rules, clipped or not, p_x from 0 to 1) gives each subset the
    form that the cells, counted one subset at a time, give."""
    from echo_theory.entropy import batched_forms

    rng = random.Random(seed)
    process = random_process(seed + 500, max_rules=9)
    while len(process.lags) < 6:
        process = random_process(rng.randrange(10**6), max_rules=9)
    structured = Structured(process)
    arrays = structured._all_forms_on_arrays()
    assert arrays is not None
    assert dict(arrays) == dict(batched_forms(structured.all_cells()))


@pytest.mark.parametrize("seed", range(4))
def test_every_subset_at_once_matches_one_subset_at_a_time(seed):
    """8 to 9 rules of random kinds: the table of every subset (arrays, batches) and each
    subset asked alone (one integer at a time) give the same forms and floats."""
    rng = random.Random(seed)
    process = random_process(seed + 900, max_rules=9)
    while len(process.lags) < 8:
        process = random_process(rng.randrange(10**6), max_rules=9)
    table = process.subset_table()
    for row in rng.sample(list(table.rows), 40):
        alone = process.cross_entropy(row.learned)
        assert row.cross_entropy.form == alone.form
        assert row.cross_entropy.value == alone.value
        assert row.information.value == process.information(row.learned).value
