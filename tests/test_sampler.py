"""The sampler: exact in distribution, warmed up, and the same series however it is chunked."""

from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess
from echo_theory.errors import EchoTheoryError, LimitError, ProcessError
from echo_theory.estimate import CountTable
from echo_theory.sampler import (
    SamplerPlan,
    _series,
    child_seed,
    count_series,
    histogram,
    iter_chunks,
    make_series,
    root_seed,
    sample_series,
)
from echo_theory.sampling.general import _flag_positions

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
# ties that need a draw (1/3, decimals), p_x != 1/2, clipping to 0 and 1, a lag past one word
AWKWARD = EchoProcess(["0:+1/3", "2:+0.7", "100:-0.45"], base="0.15", p_x="1/3", clip=True)
# nine rules: two-byte configuration masks on the general path
NINE = EchoProcess(
    [f"{lag}:{(-1) ** lag * Fraction(lag, 200)}" for lag in (1, 2, 3, 5, 8, 13, 21, 34, 55)], p_x="0.3"
)
# interaction rules: a parity and an AND over shared lags (ties, clipping, p_x != 1/2), and six
# lags through parities and conjunctions only, where the automatic choice is the general path
PARITY = EchoProcess(["3^8:+0.4", "3:-0.1", "3&8:-0.45"], base="0.3", p_x="2/5", clip=True)
SIX = EchoProcess(["1^2^3:+0.3", "4&5&6:-0.2", "2&5:+0.15", "1^6:-0.1"], base="0.4", p_x="0.55")
PROCESSES = [SEED, AWKWARD, EchoProcess(["1:0.1"], p_x="0.9"), EchoProcess([], base="1/7"), NINE, PARITY, SIX]


def concatenated(process, length, seed, chunk_size, method):
    xs, ys = zip(*iter_chunks(process, length, seed, chunk_size, method), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def cell_counts(x, y, lags):
    """Counts of (mask over lags, y) written out directly: the reference for the packed counts."""
    top = max(lags, default=0)
    counts = np.zeros((2 ** len(lags), 2), dtype=np.int64)
    # the sampler's series starts after its warm-up, so the first `top` steps' inputs are not
    # in x: count the steps whose lags are all in view here
    for t in range(top, len(x)):
        mask = sum(int(x[t - lag]) << i for i, lag in enumerate(lags))
        counts[mask, y[t]] += 1
    return counts


def test_interaction_tables_take_both_paths():
    assert SamplerPlan.of(PARITY).method == "bitsliced"
    assert SamplerPlan.of(SIX).method == "general"
    assert PARITY.raw_table != PARITY.table  # clipped


def test_the_plan_picks_a_path_from_the_process_alone():
    seed_plan = SamplerPlan.of(SEED)
    assert (seed_plan.method, seed_plan.y_bits, seed_plan.y_residual) == ("bitsliced", 2, None)
    assert [c.p for c in seed_plan.y_coins] == list(SEED.table)
    assert SamplerPlan.of(AWKWARD).y_residual is not None
    many = EchoProcess([f"{lag}:0.0{lag}" for lag in range(1, 8)])
    assert SamplerPlan.of(many).method == "general"
    assert SamplerPlan.of(many, "bitsliced").method == "bitsliced"


def test_symbols_and_huge_denominators_are_errors():
    with pytest.raises(ProcessError, match=r"symbols \(a\); simulating needs numbers"):
        SamplerPlan.of(EchoProcess(["3:a"]))
    with pytest.raises(LimitError, match="needs more than 64 bits"):
        SamplerPlan.of(EchoProcess(["3:1/18446744073709551629"]))
    with pytest.raises(EchoTheoryError, match="method"):
        SamplerPlan.of(SEED, "fast")


@pytest.mark.parametrize(
    "process, method",
    [(p, m) for p in PROCESSES for m in ("bitsliced", "general") if not (p is NINE and m == "bitsliced")],
    ids=lambda v: getattr(v, "lags", v),
)
def test_the_chunk_size_never_changes_the_series(process, method):
    length = 5000 + 37
    reference = concatenated(process, length, 11, 64, method)
    for chunk_size in (128, 640, 4096, 1 << 18):
        x, y = concatenated(process, length, 11, chunk_size, method)
        assert (x == reference[0]).all() and (y == reference[1]).all()
    assert reference[0].dtype == np.uint8 and set(np.unique(reference[1])) <= {0, 1}


@pytest.mark.parametrize("method", ["bitsliced", "general"])
@pytest.mark.parametrize("process", PROCESSES, ids=range(len(PROCESSES)))
def test_packed_counts_match_the_series(process, method):
    """The counting path (popcounts or bincount) counts exactly the series that the arrays show."""
    length = 3000
    x, y = concatenated(process, length, 4, 640, method)
    plan = SamplerPlan.of(process, method)
    counts = count_series(plan, child_seed(root_seed(4), 0), length, 640)
    assert counts.sum() == length
    # the first max-lag steps' lagged inputs are the unseen warm-up: compare the rest
    top = plan.max_lag
    tail = count_series(plan, child_seed(root_seed(4), 0), top, 640) if top else 0
    assert (counts - tail == cell_counts(x, y, process.lags)).all()


@pytest.mark.parametrize("length", [200_001, 262_144])
@pytest.mark.parametrize("process", [AWKWARD, NINE], ids=["byte masks", "two-byte masks"])
def test_general_counts_of_long_chunks_match_the_series(process, length):
    """Long chunks take the paired lookups and the paired histogram; they still count the series."""
    x, y = concatenated(process, length, 5, 1 << 17, "general")
    plan = SamplerPlan.of(process, "general")
    counts = count_series(plan, child_seed(root_seed(5), 0), length, 1 << 17)
    top = plan.max_lag
    tail = count_series(plan, child_seed(root_seed(5), 0), top, 1 << 17) if top else 0
    assert (counts - tail == cell_counts(x, y, process.lags)).all()


def test_masks_of_more_than_fifteen_lags_count_the_series():
    """16 lags through interaction rules: four-byte masks on the general path, still the series."""
    rules = [f"{lag}^{lag + 1}:{Fraction(lag, 400)}" for lag in range(1, 17, 2)] + ["2&15:-0.2"]
    process = EchoProcess(rules, base="0.4", p_x="0.45")
    assert len(process.lags) == 16 and not process.is_additive
    plan = SamplerPlan.of(process)
    assert plan.method == "general"

    def series(chunk_size):
        chunks = [s.arrays() for s in _series(plan, child_seed(root_seed(6), 0), 4000, chunk_size)]
        return np.concatenate([x for x, _ in chunks]), np.concatenate([y for _, y in chunks])

    x, y = series(1024)
    other = series(128)
    assert (x == other[0]).all() and (y == other[1]).all()
    counts = count_series(plan, child_seed(root_seed(6), 0), 4000, 640)
    tail = count_series(plan, child_seed(root_seed(6), 0), plan.max_lag, 640)
    assert (counts - tail == cell_counts(x, y, process.lags)).all()


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 1000, 100_003])
def test_sparse_flag_positions_are_flatnonzero(size):
    flags = np.random.default_rng(size).random(size) < 0.02
    flags[-1:] = True  # a flag in the tail past the last whole word of 8
    assert (_flag_positions(flags) == np.flatnonzero(flags)).all()


@pytest.mark.parametrize("bins", [1, 2, 64, 65, 128, 129, 256])
@pytest.mark.parametrize("size", [0, 1, 65_535, 65_536, 65_537, 300_001])
def test_histogram_is_bincount(size, bins):
    values = np.random.default_rng(size).integers(0, bins, size, dtype=np.uint8)
    reference = np.bincount(values, minlength=bins)
    assert (histogram(values, bins) == reference).all()
    series = make_series(SamplerPlan.of(EchoProcess(["1:0.1"])), root_seed(0), 16)  # lends buffers
    assert (histogram(values, bins, series) == reference).all()
    assert (histogram(values.astype(np.uint16), bins, series) == reference).all()


def test_sample_series_is_series_zero_and_deterministic():
    x, y = sample_series(SEED, 10_000, 3)
    again = sample_series(SEED, 10_000, np.random.SeedSequence(3))
    assert (x == again[0]).all() and (y == again[1]).all()
    chunked = concatenated(SEED, 10_000, 3, 1024, "auto")
    assert (x == chunked[0]).all() and (y == chunked[1]).all()
    other = sample_series(SEED, 10_000, 4)
    assert (x != other[0]).any() and (y != other[1]).any()


def test_a_seed_sequence_is_not_consumed():
    seed = np.random.SeedSequence(12345)
    first = sample_series(AWKWARD, 2000, seed)
    second = sample_series(AWKWARD, 2000, seed)
    assert (first[0] == second[0]).all() and (first[1] == second[1]).all()
    assert seed.n_children_spawned == 0


def test_series_i_is_the_spawned_child_i():
    spawned = np.random.SeedSequence(77).spawn(3)
    for i in range(3):
        assert (child_seed(root_seed(77), i).generate_state(4) == spawned[i].generate_state(4)).all()


@pytest.mark.parametrize("process", [SEED, AWKWARD], ids=["seed", "awkward"])
def test_a_shorter_series_is_a_prefix(process):
    long_x, long_y = sample_series(process, 9000, 8)
    for length in (1, 63, 64, 65, 4321):
        x, y = sample_series(process, length, 8)
        assert (x == long_x[:length]).all() and (y == long_y[:length]).all()


def test_every_y_has_its_full_history():
    """y_t = x[t-3] exactly: the first three y come from the warm-up, not from zeros or a wrap."""
    echo = EchoProcess(["3:+1"], base="0")
    firsts = []
    for seed in range(300):
        x, y = sample_series(echo, 50, seed)
        assert (y[3:] == x[:-3]).all()
        firsts.append(y[:3])
    firsts = np.array(firsts)
    # warm-up inputs are fair coins: each of y_0, y_1, y_2 is 1 about half the time (5 sigma)
    assert (np.abs(firsts.mean(axis=0) - 0.5) < 5 * np.sqrt(0.25 / 300)).all()


def test_lag_zero_and_constant_inputs():
    x, y = sample_series(EchoProcess(["0:+1"], base="0"), 1000, 1)
    assert (x == y).all()
    x, y = sample_series(EchoProcess(["2:-1"], base="1", p_x="1"), 1000, 1)
    assert (x == 1).all() and (y == 0).all()
    x, y = sample_series(EchoProcess(["2:+0.5"], base="0", p_x="0"), 1000, 1)
    assert (x == 0).all() and (y == 0).all()


@pytest.mark.parametrize("process", PROCESSES, ids=range(len(PROCESSES)))
def test_both_paths_agree_with_the_exact_cell_probabilities(process):
    """Each path's cell frequencies over 64 independent series match the exact P(x_S, y) within 5
    standard errors (measured from the spread between series), and the two paths match each
    other. Cells are over all the lags for up to 4 rules, else over each lag alone (the engine's
    marginal), so that every cell is frequent enough for its error to be measured."""
    few = len(process.lags) <= 4
    subsets = [process.lags] if few else [(lag,) for lag in process.lags]
    steps = 20_000 if few else 5_000  # many rules make the bit-sliced path slow: fewer steps
    means, errors = [], []
    for method in ("bitsliced", "general"):
        plan = SamplerPlan.of(process, method)
        blocks = np.array([count_series(plan, child_seed(root_seed(21), b), steps) for b in range(64)])
        table = CountTable(process.lags, blocks)
        for learned in subsets:
            expected = np.array(
                [
                    [float(c.weight * (1 - c.probability)), float(c.weight * c.probability)]
                    for c in process.marginal(learned)
                ]
            )
            shares = table.marginal(learned) / steps
            mean, error = shares.mean(axis=0), shares.std(axis=0, ddof=1) / 8
            possible = expected > 0
            assert (mean[~possible] == 0).all()  # an impossible cell never occurs
            assert (np.abs(mean - expected)[possible] < 5 * error[possible]).all()
            means.append(mean)
            errors.append(error)
    half = len(means) // 2
    for a, b, error_a, error_b in zip(means[:half], means[half:], errors[:half], errors[half:], strict=True):
        assert (np.abs(a - b) <= 5 * np.hypot(error_a, error_b) + 1e-12).all()


def test_input_frequency_is_p_x():
    x, _ = sample_series(EchoProcess(["1:0.1"], p_x="1/3"), 200_000, 2)
    assert abs(x.mean() - 1 / 3) < 5 * np.sqrt(2 / 9 / 200_000)


def test_bad_arguments():
    with pytest.raises(EchoTheoryError, match="seed"):
        sample_series(SEED, 10, -1)
    with pytest.raises(EchoTheoryError, match="length"):
        sample_series(SEED, -5, 0)
    with pytest.raises(EchoTheoryError, match="multiple of 64"):
        next(iter_chunks(SEED, 100, 0, chunk_size=100))
    x, y = sample_series(SEED, 0, 0)
    assert x.shape == y.shape == (0,)


@pytest.mark.parametrize("method, lazy_bits", [("bitsliced", 3), ("general", None)])
def test_ties_are_finished_exactly(monkeypatch, method, lazy_bits):
    """With few digits compared, ties are frequent (1 in 8 for the bit-sliced path with 3 digits,
    1 in 256 for the byte path): were a tie left unfinished, P(y=1 | x) = 1/3 would be off by
    q / 2^k = 1/24 or 1/768, many standard errors at 2^23 steps."""
    import echo_theory.sampling.plan as sampler

    if lazy_bits:
        monkeypatch.setattr(sampler, "LAZY_BITS", lazy_bits)
    process = EchoProcess(["1:+0.3"], base="1/3", p_x="1/3")
    plan = SamplerPlan.of(process, method)
    assert plan.y_residual is not None and plan.y_bits == (lazy_bits or 8)
    n = 2**23
    counts = count_series(plan, child_seed(root_seed(31), 0), n)
    ones = counts.sum(axis=1)
    assert abs(ones[1] / n - 1 / 3) < 5 * np.sqrt(2 / 9 / n)  # x[t-1] = 1
    for mask, p in enumerate([Fraction(1, 3), Fraction(19, 30)]):
        p = float(p)
        assert abs(counts[mask, 1] / ones[mask] - p) < 5 * np.sqrt(p * (1 - p) / ones[mask])
    # and the chunking still does not matter with this many ties
    for chunk_size in (64, 1024):
        x, y = concatenated(process, 3000, 5, chunk_size, method)
        reference = concatenated(process, 3000, 5, 1 << 18, method)
        assert (x == reference[0]).all() and (y == reference[1]).all()


def test_the_summed_path_draws_the_same_series_as_the_table():
    """The summed path looks each step's threshold up by the sum of the fired shifts rather
    than by the configuration; the probabilities, and so the draws, are the same."""
    rules = [f"{lag}:{(-1) ** lag * lag / 100}" for lag in range(1, 7)]
    process = EchoProcess(rules, base="0.5")
    general = list(iter_chunks(process, 50_000, seed=3, chunk_size=1 << 14, method="general"))
    summed = list(iter_chunks(process, 50_000, seed=3, chunk_size=1 << 14, method="summed"))
    for (x1, y1), (x2, y2) in zip(general, summed, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_sums_that_no_configuration_reaches_do_not_change_the_draws():
    """The ties' rejection denominator is the lcm of their residuals. The summed path tabulates
    every sum from the lowest to the highest, and with clipping some sums in between are never
    reached: had they counted, its denominator here would be 5^27 where the table's is 5^22
    (the reachable unclipped probabilities are 3/5 and 3/5 + s1), the rejection constants would
    differ, and so would about one tie draw in three (35 of 100,000 steps before the fix)."""
    step = 3**31  # shifts on the scale 5^27, both multiples of step, with gcd(5^5, 5001) = 1
    s1, s2 = Fraction(5**5 * step, 5**27), Fraction(5001 * step, 5**27)
    process = EchoProcess([f"1:{s1}", f"2:{s2}"], base="3/5", clip=True)  # 3/5 + s2 > 1: clipped
    general, summed = SamplerPlan.of(process, "general"), SamplerPlan.of(process, "summed")
    assert len(summed.y_coins) == 5**5 + 5001 + 1 > 2 ** len(process.lags)
    assert general.y_residual[1] == summed.y_residual[1] == 5**22
    one = concatenated(process, 100_000, 3, 1 << 16, "general")
    other = concatenated(process, 100_000, 3, 1 << 16, "summed")
    assert (one[0] == other[0]).all() and (one[1] == other[1]).all()


def test_forty_rules_sample_without_a_table():
    """40 rules: no 2^40 table; y's mean is P(y=1), the structured engine's learned-none cell."""
    rules = [f"{lag}:{1 / 100 if lag % 3 else -3 / 100}" for lag in range(1, 41)]
    process = EchoProcess(rules, base="0.3", p_x="1/3", clip=True)
    plan = SamplerPlan.of(process)
    assert plan.method == "summed" and "_tables" not in process.__dict__
    x, y = sample_series(process, 400_000, seed=5)
    (cell,) = process.marginal(())
    p = float(cell.probability)
    assert abs(y.mean() - p) < 5 * (p * (1 - p) / y.size) ** 0.5
    # and the effect of lag 3 (a -3/100 rule) as the data shows it
    effect = float(process.lag_effect(3))
    seen = y[3:][x[:-3] == 1].mean() - y[3:][x[:-3] == 0].mean()
    assert abs(seen - effect) < 0.01
    with pytest.raises(LimitError, match="counting every configuration of 40 rules"):
        count_series(plan, np.random.SeedSequence(0), 1000)
