"""The validator past 2^n counts: (sum of the learned shifts, y) per subset, for additive rules."""

from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess, work_budget
from echo_theory.cli import cli
from echo_theory.errors import EchoTheoryError, LimitError
from echo_theory.estimate import cell_estimate
from echo_theory.sampling import SamplerPlan, child_seed, root_seed, sample_series
from echo_theory.sampling.sums import count_sums, sum_subset
from echo_theory.simulation import (
    BLOCKS,
    SumCountTable,
    block_lengths,
    simulate,
    simulate_counts,
    simulate_sum_counts,
)

# equal shifts (lags 1 and 2 pool), negative ones, p_x != 1/2, clipping, and sums of up to 304
# values in units of 1/400 (so 2 k + y passes a byte while k fits one)
SMALL = EchoProcess(["1:+0.1", "2:+0.1", "4:-0.2", "7:+0.35", "9:-3/400"], base="0.6", p_x="0.3", clip=True)
# in this order each sum builds on an earlier one: adding terms, then taking one off
SMALL_SUBSETS = [(), (1,), (4,), (1, 2), (1, 2, 4), (2, 7, 9), (1, 2, 4, 7, 9), (1, 2, 7, 9)]


def grouped(process, counts, learned):
    """The configuration counts of ``learned`` added up by the sum index of the learned shifts,
    from the configurations' own shifts (Fractions), not from the sampler's weights."""
    subset = sum_subset(process, learned)
    sums = subset.sums()
    shifts = {rule.lag: Fraction(rule.shift) for rule in process.rules}
    marginal = counts.marginal(learned)
    out = np.zeros((counts.batches, subset.size, 2), dtype=np.int64)
    for mask in range(2 ** len(learned)):
        fired = sum((shifts[lag] for i, lag in enumerate(learned) if mask >> i & 1), Fraction(0))
        out[:, sums.index(fired)] += marginal[:, mask]
    return out


@pytest.mark.parametrize("method", ["general", "summed", "bitsliced"])
def test_sum_counts_are_the_configuration_counts_grouped_by_the_sum(method):
    """Both countings read the same series (the general and summed paths draw alike), so the
    (V_S, y) counts are exactly the configuration counts grouped by V_S, and the estimates made
    from them are identical numbers."""
    configurations = simulate_counts(SMALL, 60_000, seed=3, method=method)
    sums = simulate_sum_counts(SMALL, 60_000, SMALL_SUBSETS, seed=3, method=method)
    assert isinstance(sums, SumCountTable) and sums.samples == 60_000
    table = simulate(
        SMALL,
        60_000,
        seed=3,
        learned=[",".join(map(str, s)) or "none" for s in SMALL_SUBSETS],
        method=method,
        counting="sums",
    )
    for learned in SMALL_SUBSETS:
        expected = grouped(SMALL, configurations, learned)
        assert (sums.table(learned) == expected).all(), learned
        row = table.row(learned)
        assert row.estimate == cell_estimate(expected, learned)
    pooled = sums.table((1, 2))
    assert pooled.shape == (BLOCKS, 3, 2)  # 0, 0.1, 0.2: the two middle configurations pool


def test_where_every_sum_is_distinct_the_two_countings_estimate_alike():
    """Distinct subset sums: each sum is one configuration, so both countings have the same
    cells (in another order) and the same estimates, to rounding."""
    process = EchoProcess(["1:+0.1", "3:-0.2", "4:+0.04", "6:+0.25"], base="0.45", p_x="0.4")
    by_configuration = simulate(process, 50_000, seed=8, method="general")
    by_sum = simulate(process, 50_000, seed=8, method="general", counting="sums")
    for one, other in zip(by_configuration.rows, by_sum.rows, strict=True):
        assert one.learned == other.learned
        for field in ("plugin", "miller_madow", "stderr"):
            assert getattr(one.estimate, field) == pytest.approx(getattr(other.estimate, field), rel=1e-12)


@pytest.mark.parametrize("together", [True, False], ids=["together", "alone"])
def test_sum_counts_match_a_direct_count_of_the_series(together):
    """Block 0 is series 0, which sample_series returns: its (V_S, y) counts, written out step by
    step from x and y with exact shifts, are the counter's (the first max-lag steps, whose
    inputs are the unseen warm-up, are taken off with a count of those steps alone). Counted
    together, the subsets share their buffers and build on each other's sums; alone, each
    subset's sums have their own width (2 k + y passes a byte where k does not)."""
    length = block_lengths(64 * 3000)[0]
    x, y = sample_series(SMALL, length, seed=2)
    plan = SamplerPlan.of(SMALL)
    subsets = [sum_subset(SMALL, s) for s in SMALL_SUBSETS]
    groups = [subsets] if together else [[subset] for subset in subsets]
    top = plan.max_lag
    shifts = {rule.lag: Fraction(rule.shift) for rule in SMALL.rules}
    for group in groups:
        counts = count_sums(plan, child_seed(root_seed(2), 0), length, group, chunk_size=640)
        head = count_sums(plan, child_seed(root_seed(2), 0), top, group, chunk_size=640)
        for subset, count, before in zip(group, counts, head, strict=True):
            sums = subset.sums()
            direct = np.zeros_like(count)
            for t in range(top, length):
                fired = sum((shifts[lag] for lag in subset.learned if x[t - lag]), Fraction(0))
                direct[sums.index(fired), y[t]] += 1
            assert (count - before == direct).all(), subset.learned


def test_a_sum_built_on_another_is_the_sum_built_alone():
    """(1, 3, 4, 5) starts from (1, 2, 3, 4): lag 2 taken off, lag 5 added, in uint8 (sizes 241
    and 247), where a partial sum may pass 255 on the way; the counts are those of each subset
    counted alone."""
    process = EchoProcess(["1:+0.101", "2:+0.089", "3:+0.031", "4:+0.019", "5:+0.095"], base="0.3")
    base, built = sum_subset(process, (1, 2, 3, 4)), sum_subset(process, (1, 3, 4, 5))
    assert (base.size, built.size) == (241, 247)
    plan = SamplerPlan.of(process, "general")
    seed = child_seed(root_seed(4), 0)
    together = count_sums(plan, seed, 50_000, [base, built])
    alone = [count_sums(plan, seed, 50_000, [subset])[0] for subset in (base, built)]
    assert all((a == b).all() for a, b in zip(together, alone, strict=True))


def test_sum_counts_do_not_depend_on_jobs_or_chunks():
    process = EchoProcess([f"{lag}:{(-1) ** lag * lag}/100" for lag in range(1, 18)], clip=True, p_x="0.4")
    learned = ["none", "singles", "chain", "3,5,8"]
    reference = simulate_sum_counts(process, 100_000, learned, seed=5)
    assert SamplerPlan.of(process).method == "summed"
    for jobs, chunk_size in [(2, 640), (3, 1 << 12)]:
        other = simulate_sum_counts(process, 100_000, learned, 5, jobs, chunk_size)
        assert all((a == b).all() for a, b in zip(reference.counts, other.counts, strict=True))
    other = simulate_sum_counts(process, 100_000, learned, seed=6)
    assert any((a != b).any() for a, b in zip(reference.counts, other.counts, strict=True))


def test_past_fifteen_rules_the_estimates_agree_with_the_exact_engine():
    """21 rules in hundredths (one of them large enough to clip), p_x = 0.35: the chain, the
    singles and the complements, 62 subsets, by sums (no 2^21 counts), within 5 standard errors of
    the exact values."""
    rules = [f"{lag}:{(-1) ** lag * (lag % 7 + 1)}/100" for lag in range(1, 21)] + ["30:+0.45"]
    process = EchoProcess(rules, base="0.4", p_x="0.35", clip=True)
    assert process.base + sum(max(rule.shift, 0) for rule in process.rules) > 1  # it clips
    table = simulate(process, 2_000_000, seed=11, learned=["chain", "singles", "complements"])
    assert isinstance(table.counts, SumCountTable) and len(table.rows) == 62
    zs = [row.z for row in table.rows]
    assert all(z is not None and abs(z) < 5 for z in zs), max(zs, key=abs)
    exact = process.subset_table(["chain"])
    assert [row.exact.value for row in table.rows[:22]] == [row.cross_entropy.value for row in exact.rows]


def test_forty_rules_by_sums():
    rules = [f"{lag}:{1 / 100 if lag % 3 else -3 / 100}" for lag in range(1, 41)]
    process = EchoProcess(rules, base="0.3", p_x="1/3", clip=True)
    table = simulate(process, 1_000_000, seed=4, learned=["none", ",".join(map(str, range(1, 41))), "3,6,9"])
    assert [row.verdict for row in table.rows] == ["agrees"] * 3
    # the 40 shifts sum to -39/100 .. 27/100: 40 rules learned are 67 sums, not 2^40 configurations
    assert table.counts.table(process.lags).shape == (BLOCKS, 67, 2)


def test_counts_past_the_budget_are_refused_with_the_way_on():
    process = EchoProcess([f"{lag}:{lag}/100003" for lag in range(1, 41)])  # sums up to 820
    with pytest.raises(
        LimitError, match=r"every configuration of 40 rule lags .* raise it with --budget"
    ) as error:
        simulate_counts(process, 10_000)
    assert str(error.value).endswith("or count the sums of the learned shifts (counting='sums')")
    parities = EchoProcess([f"{lag}^{lag + 1}:+0.01" for lag in range(1, 20, 2)], clip=True)  # 20 lags
    with pytest.raises(LimitError) as error:
        simulate(parities, 10_000, learned=["none"])
    assert str(error.value) == (
        "simulate's counts of every configuration of 20 rule lags (64 blocks) need about 1.3e8 counts "
        "(1.1 GB), past the budget of 1.0e8 (800 MB); raise it with --budget 1.4e8"
    )
    with work_budget(10**5):
        with pytest.raises(LimitError) as error:
            simulate_sum_counts(process, 10_000, ["chain"])
    message = str(error.value)
    assert "41 subsets of 40 rules" in message and "--budget 1.6e6" in message, message
    with pytest.raises(EchoTheoryError, match="counting 'masks' is not one of auto, configurations, sums"):
        simulate(process, 10_000, learned=["none"], counting="masks")
    with pytest.raises(EchoTheoryError, match="needs additive rules"):
        simulate_sum_counts(EchoProcess(["1&2:+0.2"]), 10_000, ["1"])


def test_the_command_past_fifteen_rules():
    rules = [arg for lag in range(1, 21) for arg in ("--rule", f"{lag}:{(-1) ** lag * lag}/100")]
    result = CliRunner().invoke(cli, ["simulate", *rules, "--clip", "--samples", "2e5", "--learned", "chain"])
    assert result.exit_code == 0, result.output
    assert "agrees" in result.output and "disagrees" not in result.output
    result = CliRunner().invoke(
        cli, ["simulate", *rules, "--clip", "--samples", "2e5", "--learned", "chain", "--budget", "1e5"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: simulate's counts of the learned sums for 21 subsets of 20 rules")
    assert result.stderr.count("\n") == 1 and "--budget" in result.stderr
