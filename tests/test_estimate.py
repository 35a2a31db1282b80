"""Estimators on count tables and on anyone's arrays: the formulas, the 0 log 0 cells, the errors."""

import math

import numpy as np
import pytest

from echo_theory import EchoProcess
from echo_theory.errors import EchoTheoryError, LimitError
from echo_theory.estimate import (
    CountTable,
    count_table,
    entropy_estimate,
    estimate_series,
    estimate_table,
    minimum_length,
)
from echo_theory.sampler import sample_series

SEED = EchoProcess(["3:+0.5", "8:-0.25"])


def plugin_by_hand(pairs):
    """H(Y | C) from a list of (c, y) pairs, the textbook way."""
    n = len(pairs)
    joint, marginal = {}, {}
    for c, y in pairs:
        joint[c, y] = joint.get((c, y), 0) + 1
        marginal[c] = marginal.get(c, 0) + 1
    return -sum(k / n * math.log(k / marginal[c]) for (c, _), k in joint.items())


def test_plugin_and_miller_madow_on_a_small_table():
    # x3 = 0: 55 zeros, 25 ones; x3 = 1: 0 zeros, 80 ones (an empty cell)
    table = CountTable((3,), np.array([[[30, 10], [0, 40]], [[25, 15], [0, 40]]]))
    pairs = [(0, 0)] * 55 + [(0, 1)] * 25 + [(1, 1)] * 80
    estimate = entropy_estimate(table, [3])
    assert estimate.plugin == pytest.approx(plugin_by_hand(pairs), rel=1e-14)
    # nonempty cells: 3 joint, 2 configurations
    assert estimate.miller_madow == pytest.approx(estimate.plugin + (3 - 2) / (2 * 160), rel=1e-14)
    nothing = entropy_estimate(table, [])
    assert nothing.plugin == pytest.approx(plugin_by_hand([(0, y) for _, y in pairs]), rel=1e-14)
    assert nothing.miller_madow == pytest.approx(nothing.plugin + 1 / 320, rel=1e-14)
    bits = entropy_estimate(table, [3], units="bits")
    assert bits.plugin == pytest.approx(estimate.plugin / math.log(2), rel=1e-14)
    assert bits.stderr == pytest.approx(estimate.stderr / math.log(2), rel=1e-14)


def test_the_standard_error_is_batch_means_of_the_influence():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 50, size=(10, 4, 2))
    table = CountTable((1, 2), counts)
    estimate = entropy_estimate(table, [1, 2])
    total = counts.sum(axis=0)
    log_p = np.log(total / total.sum(axis=1, keepdims=True))
    per_batch = -(counts * log_p).sum(axis=(1, 2))  # sum of -log P(y | c) in each batch
    steps = counts.sum(axis=(1, 2))
    h = per_batch.sum() / steps.sum()
    variance = 10 / 9 * ((per_batch - h * steps) ** 2).sum() / steps.sum() ** 2
    assert estimate.stderr == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert entropy_estimate(CountTable((1, 2), counts[:1]), [1]).stderr is None


def test_the_seed_processes_zero_cell():
    """P(y=0 | x3=1, x8=0) = 0: the cell never occurs, and contributes 0 log 0 = 0."""
    x, y = sample_series(SEED, 200_000, 0)
    table = count_table(x, y, "3,8")
    total = table.counts.sum(axis=0)
    assert total[0b01, 0] == 0  # mask bit 0 is x3, bit 1 is x8
    assert (total[[0b00, 0b10, 0b11]] > 0).all() and total[0b01, 1] > 0
    estimate = entropy_estimate(table, [3, 8])
    assert math.isfinite(estimate.plugin) and math.isfinite(estimate.stderr)
    pairs = [((int(x[t - 3]), int(x[t - 8])), int(y[t])) for t in range(8, len(x))]
    assert estimate.plugin == pytest.approx(plugin_by_hand(pairs), rel=1e-12)
    # the deterministic cell is 3/8 of the x3 = 1 steps' entropy, and the empty cell adds no term
    assert estimate.miller_madow == pytest.approx(estimate.plugin + (7 - 4) / (2 * table.samples))


def test_arrays_where_a_configuration_never_occurs():
    rng = np.random.default_rng(11)
    x = rng.integers(0, 2, 20_000)
    x[1::2] = 0  # x is 0 at every odd step: with lags 1 and 2, (x[t-1], x[t-2]) = (1, 1) never occurs
    y = (rng.random(20_000) < 0.3).astype(int)
    table = estimate_series(x, y, [1, 2])
    counts = count_table(x, y, [1, 2]).counts.sum(axis=0)
    assert (counts[0b11] == 0).all()
    for row in table.rows:
        pairs = [(tuple(int(x[t - lag]) for lag in row.learned), int(y[t])) for t in range(2, len(x))]
        assert row.plugin == pytest.approx(plugin_by_hand(pairs), rel=1e-12)
        assert math.isfinite(row.stderr)


def test_count_table_counts_what_a_loop_counts():
    rng = np.random.default_rng(2)
    x, y = rng.integers(0, 2, 4000), rng.integers(0, 2, 4000)
    table = count_table(x, y, "0,5,2", batches=7)
    assert table.lags == (0, 2, 5) and table.batches == 7 and table.samples == 4000 - 5
    expected = np.zeros((8, 2), dtype=int)
    for t in range(5, 4000):
        expected[x[t] | x[t - 2] << 1 | x[t - 5] << 2, y[t]] += 1
    assert (table.counts.sum(axis=0) == expected).all()
    sizes = table.counts.sum(axis=(1, 2))
    assert sizes.max() - sizes.min() <= 1  # nearly equal contiguous batches
    # the marginal over a subset sums the others out, keeping the lags' order in the mask
    marginal = table.marginal([0, 5]).sum(axis=0)
    assert (marginal[0b10] == expected[0b100] + expected[0b110]).all()


def test_default_batches_respect_the_lags():
    x = np.zeros(minimum_length(8), dtype=np.uint8)
    assert count_table(x, x, "3,8").batches == 16
    long = np.zeros(100_000, dtype=np.uint8)
    assert count_table(long, long, "3,8").batches == 64
    with pytest.raises(EchoTheoryError, match=r"has 2887 steps; with lags up to 8 .* at least 2888"):
        count_table(x[:-1], x[:-1], "3,8")


@pytest.mark.parametrize(
    "x, y, lags, message",
    [
        ([0, 1, 2], [0, 1, 1], "1", r"x\[2\] is 2: values must be 0 or 1"),
        ([0, 1, 1], [0, 0.5, 1], "1", r"y\[1\] is 0.5"),
        ([0, 1, 1], [0, 1], "1", "x has 3 values but y has 2: lengths must match"),
        ([[0, 1]], [0, 1], "1", r"x has shape \(1, 2\)"),
        (["a", "b"], [0, 1], "1", "x holds <U1 values"),
        ([0] * 10, [0] * 10, "3;8", "lags '3;8'"),
    ],
)
def test_bad_series(x, y, lags, message):
    with pytest.raises(EchoTheoryError, match=message):
        count_table(x, y, lags)


def test_limits_and_learned_lags():
    x = np.zeros(10**5, dtype=np.uint8)
    with pytest.raises(LimitError, match="13 lags is more than 12"):
        count_table(x, x, list(range(13)))
    table = count_table(x, x, [1, 2])
    with pytest.raises(EchoTheoryError, match=r"learned lag 3 is not among the counted lags \(1, 2\)"):
        entropy_estimate(table, [3])
    rows = estimate_table(table, ["2", [1, 2], "2"]).rows
    assert [row.learned for row in rows] == [(2,), (1, 2)]


def test_count_table_checks_its_shape():
    with pytest.raises(EchoTheoryError, match=r"expected \(batches, 4, 2\)"):
        CountTable((1, 2), np.zeros((3, 2, 2), dtype=int))
    with pytest.raises(EchoTheoryError, match="non-negative integers"):
        CountTable((1,), -np.ones((3, 2, 2), dtype=int))


def test_tables_and_frames():
    x, y = sample_series(SEED, 50_000, 1)
    table = estimate_series(x, y, "3,8", units="bits")
    assert [row.learned for row in table.rows] == [(), (3,), (8,), (3, 8)]
    data = table.to_dict()
    assert set(data) == {"lags", "samples", "batches", "units", "rows"}
    assert set(data["rows"][0]) == {"learned", "estimate", "miller_madow", "stderr"}
    frame = table.to_frame()
    assert frame.columns.tolist() == ["learned", "estimate", "miller_madow", "stderr"]
    assert frame["estimate"].tolist() == [row.plugin for row in table.rows]
    text = table.to_text()
    assert "49992 steps counted" in text and "estimate (bits)" in text
    assert table.to_csv().splitlines()[0] == "learned,estimate,miller_madow,stderr"
    assert "| {3, 8} |" in table.to_markdown()


def test_a_file_name_is_escaped_in_markdown():
    from dataclasses import replace

    x, y = sample_series(SEED, 20_000, 1)
    table = replace(estimate_series(x, y, "3"), source="*bold* [link](x)_\n# head.csv")
    first = table.to_markdown().split("\n\n")[0]
    assert first.startswith(r"\*bold\* \[link\]\(x\)\_\x0a\# head\.csv: 19997 steps counted")
    assert "\n" not in first
    assert table.to_text().startswith("*bold* [link](x)_\n# head.csv: ")  # text shows it as it is


def test_print_gives_the_estimate_table():
    x, y = sample_series(SEED, 20_000, 1)
    table = estimate_series(x, y, "3")
    assert str(table) == table.to_text().rstrip("\n")
    assert repr(table) == "<EstimateTable: 2 rows in nats; print() shows it>"
