"""The Monte Carlo validator: agreement with the engine, honest error bars, reproducible counts."""

import math
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess
from echo_theory.errors import EchoTheoryError, LimitError, ProcessError
from echo_theory.estimate import count_table, entropy_estimate
from echo_theory.sampler import SamplerPlan, child_seed, count_series, root_seed, sample_series
from echo_theory.sampling.masks import count_masks, draw_y
from echo_theory.sampling.series import bits
from echo_theory.simulation import BLOCKS, block_lengths, simulate, simulate_counts

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
AWKWARD = EchoProcess(["0:+1/3", "2:+0.7", "70:-0.45"], base="0.15", p_x="1/3", clip=True)
SIX = EchoProcess([f"{lag}:{(-1) ** lag * lag}/100" for lag in range(1, 7)])  # masks as bytes


def random_processes(count, seed=2024):
    """Random numeric processes: 1 to 4 rules, lags 0..20, shifts in halves to hundredths or
    thirds and sevenths, any base and p_x, clipped when they leave [0, 1]."""
    rng = np.random.default_rng(seed)
    processes = []
    while len(processes) < count:
        n = int(rng.integers(1, 5))
        lags = rng.choice(21, size=n, replace=False)
        denominators = [2, 4, 10, 100, 3, 7]
        rules = []
        for lag in lags:
            d = int(rng.choice(denominators))
            rules.append(f"{lag}:{Fraction(int(rng.integers(-d, d + 1)), d)}")
        base = Fraction(int(rng.integers(0, 11)), 10)
        p_x = str(rng.choice(["1/2", "1/3", "0.3", "0.85", "1/4"]))
        clip = bool(rng.integers(0, 2))
        try:
            processes.append(EchoProcess(rules, base=base, p_x=p_x, clip=clip))
        except ProcessError:
            processes.append(EchoProcess(rules, base=base, p_x=p_x, clip=True))
    return processes


def test_the_random_processes_cover_clipping_and_biased_inputs():
    processes = random_processes(10)
    assert any(p.clip and p.raw_table != p.table for p in processes)
    assert any(p.p_x != Fraction(1, 2) for p in processes)
    assert any(SamplerPlan.of(p).y_residual is not None for p in processes)  # ties drawn


@pytest.mark.parametrize("process", random_processes(10), ids=lambda p: p.describe())
def test_agreement_with_the_exact_engine(process):
    table = simulate(process, 200_000, seed=7)
    exact = process.subset_table()
    assert [row.learned for row in table.rows] == [row.learned for row in exact.rows]
    for row, reference in zip(table.rows, exact.rows, strict=True):
        assert row.exact.value == reference.cross_entropy.value
        assert row.z is not None and abs(row.z) < 5, (row.learned, row.z)


def random_interaction_processes(count, seed=12):
    """Random processes with AND and XOR rules over 2 to 6 lags (0..15) beside single-lag
    rules, shifts in tenths to hundredths, any base and p_x, clipped when they leave [0, 1]."""
    rng = np.random.default_rng(seed)
    processes = []
    while len(processes) < count:
        lags = sorted(int(lag) for lag in rng.choice(16, size=int(rng.integers(2, 7)), replace=False))
        rules = {}
        for _ in range(int(rng.integers(1, 5))):
            size = int(rng.integers(1, len(lags) + 1))
            chosen = sorted(int(lag) for lag in rng.choice(lags, size=size, replace=False))
            op = "" if size == 1 else str(rng.choice(["&", "^"]))
            d = int(rng.choice([10, 20, 100]))
            rules[op.join(map(str, chosen))] = f"{Fraction(int(rng.integers(-d // 2, d // 2 + 1)), d)}"
        if not any(("&" in c or "^" in c) for c in rules):
            continue
        texts = [f"{condition}:{shift}" for condition, shift in rules.items()]
        base = Fraction(int(rng.integers(1, 10)), 10)
        p_x = str(rng.choice(["1/2", "1/3", "0.3", "0.7"]))
        try:
            processes.append(EchoProcess(texts, base=base, p_x=p_x))
        except ProcessError:
            processes.append(EchoProcess(texts, base=base, p_x=p_x, clip=True))
    return processes


def test_the_random_interaction_processes_cover_both_paths_and_clipping():
    processes = random_interaction_processes(8)
    assert {SamplerPlan.of(p).method for p in processes} == {"bitsliced", "general"}
    assert any(p.clip and p.raw_table != p.table for p in processes)
    assert any(p.p_x != Fraction(1, 2) for p in processes)


@pytest.mark.parametrize("process", random_interaction_processes(8), ids=lambda p: p.describe())
def test_interaction_processes_agree_with_the_exact_engine(process):
    table = simulate(process, 200_000, seed=3)
    for row in table.rows:
        assert row.z is not None and abs(row.z) < 5, (row.learned, row.z)


def test_the_issue_example_agrees_on_all_four_rows():
    table = simulate(SEED, 10**7, seed=0)
    assert [row.learned for row in table.rows] == [(), (3,), (8,), (3, 8)]
    for row in table.rows:
        assert abs(row.z) < 3 and row.verdict == "agrees"
        assert 1e-5 < row.estimate.stderr < 1e-3


def test_counts_do_not_depend_on_jobs_or_chunks():
    cases = [(SEED, "auto"), (AWKWARD, "auto"), (SIX, "auto"), (AWKWARD, "bitsliced"), (AWKWARD, "general")]
    for process, method in cases:
        reference = simulate_counts(process, 100_000, seed=5, method=method).counts
        for jobs, chunk_size in [(2, 64), (3, 640), (1, 1 << 20)]:
            counts = simulate_counts(process, 100_000, 5, jobs, chunk_size, method).counts
            assert (counts == reference).all()
        assert reference.sum() == 100_000
        other = simulate_counts(process, 100_000, seed=6, method=method).counts
        assert (other != reference).any()


def test_blocks_are_independent_series_on_spawned_seeds():
    lengths = block_lengths(100_003)
    assert len(lengths) == BLOCKS and sum(lengths) == 100_003 and max(lengths) - min(lengths) == 1
    plan = SamplerPlan.of(SEED)
    by_step = simulate_counts(SEED, 100_003, seed=9, method=plan.method)
    counts = simulate_counts(SEED, 100_003, seed=9)  # y drawn per configuration
    assert counts.independent and counts.batches == BLOCKS
    spawned = np.random.SeedSequence(9).spawn(BLOCKS)
    for b in (0, 17, 63):
        assert (child_seed(root_seed(9), b).generate_state(2) == spawned[b].generate_state(2)).all()
        series = count_series(plan, spawned[b], lengths[b])
        assert (by_step.counts[b] == series).all()
        # the same inputs, so the same configurations; only how y is drawn differs
        assert (counts.counts[b].sum(axis=1) == series.sum(axis=1)).all()
    # y: one exact binomial per block and configuration, from the seed's next child
    steps = np.array([count_masks(plan, spawned[b], lengths[b], 1 << 20) for b in range(BLOCKS)])
    drawn = np.stack([steps, np.zeros_like(steps)], axis=-1)
    assert (counts.counts == draw_y(plan, drawn, bits(root_seed(9), BLOCKS))).all()
    assert (counts.counts[:, :, 1] != by_step.counts[:, :, 1]).any()
    # block 0 is the first steps of series 0, which sample_series returns
    _, y = sample_series(SEED, lengths[0], 9)
    assert by_step.counts[0, :, 1].sum() == y.sum()


def test_progress_reports_every_block():
    seen = []
    simulate_counts(SEED, 10_000, progress=seen.append)
    assert len(seen) == BLOCKS and sum(seen) == 10_000


def test_learned_subsets_follow_compute():
    table = simulate(SEED, 10_000, learned=["3,8", "none", "8,3"], units="bits")
    assert [row.learned for row in table.rows] == [(3, 8), ()]
    assert table.rows[0].exact.text == "5/4 - 3/8*log2(3)"
    assert table.rows[0].estimate.units == "bits"
    with pytest.raises(ProcessError, match="learned lag 5 has no rule"):
        simulate(SEED, 10_000, learned=["5"])


def test_bad_arguments():
    with pytest.raises(ProcessError, match="symbols"):
        simulate(EchoProcess(["3:a"]), 10_000)
    with pytest.raises(EchoTheoryError, match="below the minimum of 1000"):
        simulate(SEED, 999)
    with pytest.raises(LimitError, match="more than the limit of 1e12"):
        simulate(SEED, 10**12 + 1)
    with pytest.raises(EchoTheoryError, match="jobs"):
        simulate_counts(SEED, 10_000, jobs=0)


def test_verdicts_and_the_degenerate_row():
    """A deterministic y given x_S: the estimate is exactly 0 with no spread, and agrees."""
    echo = EchoProcess(["2:+1"], base="0")
    table = simulate(echo, 10_000)
    row = table.row([2])
    assert row.estimate.plugin == 0 and row.estimate.stderr == 0 and row.z == 0 and row.verdict == "agrees"


def test_table_shapes():
    table = simulate(SEED, 10_000, seed=3)
    data = table.to_dict()
    assert list(data) == ["process", "samples", "seed", "units", "blocks", "rows"]
    assert data["process"] == SEED.to_dict() and (data["samples"], data["seed"]) == (10_000, 3)
    row = data["rows"][1]
    assert list(row)[:5] == ["learned", "estimate", "stderr", "exact", "z"]
    assert row["exact"] == SEED.cross_entropy([3]).value and row["exact_text"] == SEED.cross_entropy([3]).text
    frame = table.to_frame()
    assert frame["learned"].tolist() == [(), (3,), (8,), (3, 8)]
    assert frame["z"].tolist() == [r.z for r in table.rows]


# --- honest error bars ----------------------------------------------------------------------

# Nominal 95% intervals, estimate +- 1.96 stderr, over 400 seeds. With 64 batches the interval
# is a t(63) one read with the normal quantile, so it should cover about 94.5%; the binomial
# spread over 400 seeds is 1.1%. Each subset's coverage must lie in [0.91, 0.99] (3.5 spreads).
COVERAGE_SEEDS = 400
LOW, HIGH = 0.91, 0.99


@pytest.mark.slow
def test_coverage_over_independent_blocks():
    exact = {row.learned: row.cross_entropy.value for row in SEED.subset_table().rows}
    covered = dict.fromkeys(exact, 0)
    for seed in range(COVERAGE_SEEDS):
        counts = simulate_counts(SEED, 20_000, seed)
        for learned, value in exact.items():
            estimate = entropy_estimate(counts, learned)
            covered[learned] += abs(estimate.plugin - value) <= 1.96 * estimate.stderr
    for learned, hits in covered.items():
        assert LOW <= hits / COVERAGE_SEEDS <= HIGH, (learned, hits)


@pytest.mark.slow
def test_coverage_over_contiguous_batches_of_one_dependent_series():
    """Five overlapping lags make neighbouring steps strongly dependent. Batch means still
    cover; the standard error that treats steps as independent (computed here) does not."""
    process = EchoProcess([f"{lag}:+0.18" for lag in range(1, 6)], base="0.05", p_x="0.2")
    subsets = [(), (1,), (3,), (1, 2, 3, 4, 5)]
    exact = {s: process.cross_entropy(s).value for s in subsets}
    covered, naive = dict.fromkeys(subsets, 0), dict.fromkeys(subsets, 0)
    for seed in range(COVERAGE_SEEDS):
        x, y = sample_series(process, 20_000, seed)
        counts = count_table(x, y, process.lags)
        for learned in subsets:
            estimate = entropy_estimate(counts, learned)
            error = abs(estimate.plugin - exact[learned])
            covered[learned] += error <= 1.96 * estimate.stderr
            table = counts.marginal(learned).sum(axis=0)
            n = table.sum()
            share = np.divide(
                table, table.sum(axis=1, keepdims=True), out=np.ones(table.shape), where=table > 0
            )
            f = -np.log(share)
            variance = (table * (f - estimate.plugin) ** 2).sum() / n  # as if the steps were iid
            naive[learned] += error <= 1.96 * math.sqrt(variance / n)
    for learned in subsets:
        assert LOW <= covered[learned] / COVERAGE_SEEDS <= HIGH, (learned, covered[learned])
    assert sum(naive.values()) / (len(subsets) * COVERAGE_SEEDS) < 0.92


# --- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly(jobs):
    """SIGINT to the whole process group, as a terminal sends it: exit 130, "Aborted.", no
    traceback from the parent or any worker, and no process left behind."""
    command = [sys.executable, "-m", "echo_theory", "simulate", "--rule", "3:+0.5", "--rule", "8:-0.25"]
    process = subprocess.Popen(
        [*command, "--samples", "1e12", "--jobs", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.0)  # imports, the exact rows, the pool: then it is counting
    assert process.poll() is None
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert out == ""
    assert err.strip() == "Aborted." and "Traceback" not in err
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process tree from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_the_workers_with_the_parent(signum):
    """The signal to the parent alone (as `kill` sends it): the workers end with it, nothing is
    printed, and the exit status is 128 + the signal."""
    command = [sys.executable, "-m", "echo_theory", "simulate", "--rule", "3:+0.5", "--rule", "8:-0.25"]
    process = subprocess.Popen(
        [*command, "--samples", "1e12", "--jobs", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while len(workers := _children(process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 3, workers
    time.sleep(0.5)  # the workers are counting
    os.kill(process.pid, signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signum
    assert out == "" and "Traceback" not in err and "Error" not in err
    time.sleep(0.2)
    assert [pid for pid in workers if _alive(pid)] == []
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


def test_print_gives_the_simulation_table():
    table = simulate(EchoProcess(["3:+0.5"]), 10_000, seed=1)
    assert str(table) == table.to_text().rstrip("\n")
    assert repr(table) == "<SimulationTable: 2 rows in nats; print() shows it>"
