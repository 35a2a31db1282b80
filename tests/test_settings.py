"""The training settings' memory estimate: held against what a run really allocates."""

import re
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess, evaluation, settings, training
from echo_theory.cli import cli
from echo_theory.errors import LimitError
from echo_theory.settings import TrainSettings

SEED = EchoProcess(["3:+0.5", "8:-0.25"])


def test_the_copied_constants_match_the_loop():
    assert settings._HISTORY_EVERY == training.HISTORY_EVERY
    assert settings._BLOCK_STEPS == evaluation._BLOCK_STEPS
    assert settings._CHUNK_TARGETS == evaluation._CHUNK_TARGETS


@pytest.mark.parametrize(
    "options, models",
    [
        ({"series_length": 200_000, "batch_size": 2000, "state_size": 16}, 2),  # wide batches
        ({"series_length": 400_000, "batch_size": 4, "num_steps": 20_000}, 1),  # long windows
        ({"series_length": 100_000, "batch_size": 10_000, "num_steps": 2, "epochs": 2}, 1),
    ],
)
def test_the_estimate_covers_the_measured_peak(options, models):
    """tracemalloc sees NumPy's allocations: the estimate is above the real peak, and not by
    more than a small factor (so a refusal is not far from the truth)."""
    run = TrainSettings(**options)
    estimate = sum(run.memory(SEED, models).values())
    tracemalloc.start()
    try:
        training.train_seeds(SEED, run, list(range(models)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= estimate <= 3 * peak, (estimate, peak)


LIMIT = 8 * 10**9
REFUSAL = re.compile(
    r"Error: this run needs about ([0-9.]+) (GB|TB) of memory \((series|training|held-out|history): "
    r"[0-9.]+ (?:GB|TB)\), above the limit of 8 GB; lower --series-length, --batch-size, --num-steps "
    r"or --epochs\n"
)


@pytest.mark.parametrize(
    "args, part",
    [
        (["--batch-size", "1000000", "--series-length", "100000000"], "held-out"),
        (["--num-steps", "10000000", "--series-length", "100000000", "--batch-size", "10"], "training"),
        (["--epochs", "100000000"], "history"),
    ],
)
def test_a_run_too_big_for_memory_is_refused_before_it_starts(monkeypatch, args, part):
    monkeypatch.setattr(settings, "MAX_MEMORY", LIMIT)
    result = CliRunner().invoke(cli, ["train", "--rule", "3:+0.5", "--rule", "8:-0.25", *args])
    assert result.exit_code == 2
    match = REFUSAL.fullmatch(result.stderr)
    assert match is not None, result.stderr
    assert float(match[1]) * {"GB": 1e9, "TB": 1e12}[match[2]] > LIMIT and match[3] == part


def test_train_seeds_counts_every_model(monkeypatch):
    run = TrainSettings(series_length=200_000, batch_size=2000)
    one = sum(run.memory(SEED, 1).values())
    monkeypatch.setattr(settings, "MAX_MEMORY", 3 * one)
    run.check(SEED)
    with pytest.raises(LimitError, match="this run needs about"):
        training.train_seeds(SEED, run, list(range(4)))


def test_a_cell_with_more_state_needs_more(monkeypatch):
    """The hook for the gated cells: a cell whose per-step state is k times the RNN's."""
    run = TrainSettings(series_length=200_000, batch_size=200)
    plain = run.memory(SEED)
    monkeypatch.setitem(settings.CELL_STATE_FACTOR, "rnn", 4)
    gated = run.memory(SEED)
    assert gated["series"] == plain["series"]
    assert gated["training"] > 3 * plain["training"] / 2 and gated["held-out"] > plain["held-out"]


def test_memory_limit_defaults_to_half_the_machine(monkeypatch):
    monkeypatch.setattr(settings, "MAX_MEMORY", None)
    import os

    assert settings.memory_limit() == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


# --- the seed streams -----------------------------------------------------------------------


def test_seed_streams_are_spawns_made_when_asked():
    streams = training._seed_sequences(7, 3)
    spawned = np.random.SeedSequence(7).spawn(5)
    assert len(streams) == 5
    for i in range(5):
        assert np.array_equal(streams[i].generate_state(8), spawned[i].generate_state(8))
    with pytest.raises(IndexError):
        streams[5]


def test_many_epochs_make_no_list_of_streams():
    tracemalloc.start()
    try:
        streams = training._seed_sequences(0, 10**8)
        last = streams[10**8 + 1]
        used = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert used < 100_000
    child = np.random.SeedSequence(entropy=0, spawn_key=(10**8 + 1,))
    assert np.array_equal(last.generate_state(4), child.generate_state(4))
