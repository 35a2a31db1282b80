"""Counting configurations without drawing y: the masks against the inputs counted step by step,
and y drawn per configuration with the distribution of the step-by-step series."""

import math
from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess, binomial
from echo_theory.sampling import SamplerPlan, child_seed, count_series, root_seed
from echo_theory.sampling import masks as masks_module
from echo_theory.sampling.masks import count_masks, draw_y

LAG_SETS = [(), (0,), (3, 8), (0, 1, 2, 3), (2, 5, 9, 64, 70), (1, 2, 3, 4, 5, 6), tuple(range(0, 30, 3))]


def process_on(lags, clip=True, **options):
    rules = [f"{lag}:{(-1) ** i * Fraction(i + 1, 40)}" for i, lag in enumerate(lags)]
    return EchoProcess(rules, clip=clip, **options)


def reference_masks(plan, seed, length):
    """The masks written out from x's own stream: for p_x = 1/2, x is the bits of the series'
    first PCG64 stream, the warm-up words first (x[-64 h .. -1]), then the steps."""
    history = plan.history_words
    words = np.random.PCG64(child_seed(seed, 0, 0)).random_raw(history + -(-length // 64))
    x = np.unpackbits(words.view(np.uint8), bitorder="little").astype(np.int64)
    t = np.arange(length) + 64 * history
    mask = np.zeros(length, np.int64)
    for i, lag in enumerate(plan.lags):
        mask += x[t - lag] << i
    return np.bincount(mask, minlength=2 ** len(plan.lags))


@pytest.mark.parametrize("tree_lags", [0, masks_module.TREE_LAGS, 16])  # bytes, the default, packed
@pytest.mark.parametrize("lags", LAG_SETS, ids=str)
def test_the_masks_are_the_inputs_configurations(monkeypatch, lags, tree_lags):
    monkeypatch.setattr(masks_module, "TREE_LAGS", tree_lags)
    plan = SamplerPlan.of(process_on(lags))
    seed = child_seed(root_seed(4), 2)
    for length, chunk in [(1, 64), (4_999, 640), (70_001, 1 << 20)]:
        assert (count_masks(plan, seed, length, chunk) == reference_masks(plan, seed, length)).all()


@pytest.mark.parametrize("lags", [(0, 2, 70), (1, 2, 3, 4, 5, 6), (0, 1, 2, 3, 4, 5, 6, 7, 8, 11)], ids=str)
def test_biased_inputs_give_the_series_configurations_on_every_way(monkeypatch, lags):
    # p_x = 1/3 draws x by digit planes and ties: the series' own x, whichever way the masks go
    process = process_on(lags, base="0.3", p_x="1/3")
    plan = SamplerPlan.of(process, "general")
    seed = child_seed(root_seed(8), 5)
    series = count_series(plan, seed, 50_003).sum(axis=1)
    for tree_lags in (0, 16):
        monkeypatch.setattr(masks_module, "TREE_LAGS", tree_lags)
        for chunk in (64, 4096):
            assert (count_masks(plan, seed, 50_003, chunk) == series).all()


def test_y_is_binomial_per_configuration():
    # clipped: some configurations are certain (p = 1) or impossible (p = 0)
    process = EchoProcess(["1:+0.6", "2:-0.45", "4:+1/3", "5:+0.07"], base="0.3", clip=True)
    plan = SamplerPlan.of(process)
    table = [Fraction(p) for p in process.table]
    assert Fraction(0) in table and Fraction(1) in table
    steps = np.array([count_masks(plan, child_seed(root_seed(3), b), 200_000, 1 << 16) for b in range(5)])
    counts = draw_y(plan, np.stack([steps, np.zeros_like(steps)], axis=-1), np.random.PCG64(9))
    assert counts.shape == (5, len(table), 2) and (counts.sum(axis=2) == steps).all()
    ones = counts[:, :, 1].sum(axis=0)
    for m, p in enumerate(table):
        n = steps[:, m].sum()
        if p in (0, 1):
            assert ones[m] == n * p
            continue
        z = (ones[m] - n * float(p)) / math.sqrt(n * float(p) * (1 - float(p)))
        assert abs(z) < 5, (m, p, z)


def test_drawing_by_groups_of_rows_is_one_draw(monkeypatch):
    # draw_y takes rows in groups to bound memory: the same stream, the same draws as one call
    plan = SamplerPlan.of(process_on((1, 3, 4)))
    steps = np.random.default_rng(0).integers(0, 10**5, size=(6, 8))
    monkeypatch.setattr(binomial, "GROUP_CELLS", 16)  # two rows a group, in both
    whole = plan.binomial_coins.draw(steps, np.random.PCG64(4))
    counts = draw_y(plan, np.stack([steps, np.zeros_like(steps)], axis=-1), np.random.PCG64(4))
    assert (counts[:, :, 1] == whole).all() and (counts.sum(axis=2) == steps).all()


def test_the_masks_depend_on_the_seed_alone():
    plan = SamplerPlan.of(process_on((1, 2, 3, 4, 5, 6)))
    seed = child_seed(root_seed(1), 0)
    a = count_masks(plan, seed, 30_000, 64)
    assert (a == count_masks(plan, seed, 30_000, 1 << 20)).all()
    assert (a != count_masks(plan, child_seed(root_seed(1), 1), 30_000, 64)).any()
