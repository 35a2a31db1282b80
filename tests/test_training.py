"""Training: settings, the truncated update, short runs that learn, and the theory beside them."""

import math

import numpy as np
import pytest

from echo_theory import EchoProcess, LimitError, ProcessError
from echo_theory.errors import SettingError, TrainingError
from echo_theory.evaluation import evaluate
from echo_theory.learners.rnn import Parameters, Unroll
from echo_theory.settings import TrainSettings
from echo_theory.training import Trainer, _sample, _seed_sequences, train, train_seeds

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
# small enough for CI: 2,000 steps per row, 400 windows of 5
QUICK = dict(series_length=100_000, batch_size=50, optimizer="adam", learning_rate=0.05)


def test_defaults_are_the_posts_settings():
    settings = TrainSettings()
    assert (settings.num_steps, settings.state_size, settings.batch_size) == (5, 4, 200)
    assert (settings.epochs, settings.series_length) == (1, 1_000_000)
    assert (settings.optimizer, settings.learning_rate, settings.reset_state) == ("adagrad", 0.1, False)
    assert (settings.row_length, settings.windows) == (5000, 1000)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_steps=0), "--num-steps: 0 is not an integer >= 1"),
        (dict(state_size=2.5), "--state-size: 2.5 is not an integer >= 1"),
        (dict(batch_size=True), "--batch-size: True is not an integer >= 1"),
        (dict(epochs=0), "--epochs: 0 is not an integer >= 1"),
        (dict(learning_rate=0), "--learning-rate: 0 is not a number > 0"),
        (dict(learning_rate=math.nan), "--learning-rate: nan is not a number > 0"),
        (dict(clip_norm=-1.0), "--clip-norm: -1.0 is not a number > 0"),
        (dict(seed=-1), "--seed: -1 is not an integer >= 0"),
        (dict(optimizer="rmsprop"), "--optimizer: 'rmsprop' is not one of adagrad, sgd, adam"),
        (
            dict(series_length=999),
            "--series-length 999 in 200 rows gives 4 steps per row, fewer than one window of --num-steps 5",
        ),
    ],
)
def test_nonsense_settings(kwargs, message):
    with pytest.raises(SettingError) as error:
        TrainSettings(**kwargs)
    assert str(error.value) == message


def test_limits():
    with pytest.raises(LimitError, match="--state-size 2000 is above the limit of 1024"):
        TrainSettings(state_size=2000)
    with pytest.raises(LimitError, match="--series-length"):
        TrainSettings(series_length=10**9)


def test_processes_it_cannot_train_on():
    with pytest.raises(ProcessError, match=r"shifts must be numbers \(symbols: a\)"):
        TrainSettings().check(EchoProcess(["3:a"]))
    with pytest.raises(SettingError) as error:
        TrainSettings(series_length=1600).check(SEED)
    assert str(error.value) == (
        "rule lag 8 is not shorter than a row of the series (8 steps: --series-length 1600 in 200 rows)"
    )
    TrainSettings(series_length=1800).check(SEED)  # rows of 9 steps reach back 8


def test_an_epoch_is_truncated_backprop_with_the_state_carried():
    """Two windows by hand: the second starts from the first's final state (computed with the
    parameters before the update) and its gradient stops at that state."""
    settings = TrainSettings(series_length=40, batch_size=4, num_steps=5, optimizer="sgd", learning_rate=0.5)
    streams = _seed_sequences(3, 1)
    trainer = Trainer(settings, [streams[0]])
    x, y = _sample(SEED, settings, [streams[2]])
    assert x.shape == (2, 5, 1, 4)
    params = trainer.params.copy()
    state = np.zeros((1, settings.state_size, 4))
    for w in range(2):
        unroll = Unroll(1, settings.state_size, 4, 5)
        unroll.forward(params, x[w : w + 1], y[w : w + 1], state)
        grads = Parameters.zeros(1, settings.state_size)
        unroll.backward(params, grads)
        state = unroll.final_state.copy()
        params.flat -= 0.5 * grads.flat
    history = trainer.run_epoch(x, y)
    np.testing.assert_allclose(trainer.params.flat, params.flat, rtol=1e-13)
    assert [(epoch, window) for epoch, window, _ in history] == [(1, 2)]


def test_clipping_bounds_each_update():
    settings = TrainSettings(
        series_length=2000, batch_size=20, optimizer="sgd", learning_rate=1.0, clip_norm=1e-3
    )
    streams = _seed_sequences(0, 1)
    trainer = Trainer(settings, [streams[0]])
    x, y = _sample(EchoProcess(["3:+0.5"]), settings, [streams[2]])
    before = trainer.params.flat.copy()
    trainer.run_epoch(x[:1], y[:1])
    assert np.linalg.norm(trainer.params.flat - before) == pytest.approx(1e-3)


def test_a_short_run_learns_the_lag_3_rule():
    """From about log 2 untrained (no better than knowing nothing, H(Y) = 0.6616) to about
    H(Y | X_3) = 0.5192 after 400 windows."""
    settings = TrainSettings(**QUICK)
    streams = _seed_sequences(settings.seed, 1)
    untrained = Trainer(settings, [streams[0]]).params
    x, y = _sample(SEED, settings, [streams[1]])  # the held-out series train() uses
    before, _ = evaluate(untrained, x, y, settings.num_steps, False)
    assert SEED.cross_entropy([]).value - 0.01 < before[0] < math.log(2) + 0.2
    result = train(SEED, settings)
    assert abs(result.final_loss - SEED.cross_entropy([3]).value) < 0.015
    assert result.nearest.learned == (3,)
    assert result.nearest.cross_entropy == SEED.cross_entropy([3])
    assert result.history[0].train_loss > result.history[-1].train_loss + 0.05


def test_lag_effects_at_five_steps():
    """The post's settings: lag 3's effect is learned, lag 8's is not (it is beyond the window)."""
    result = train(SEED)
    effects = {effect.lag: effect for effect in result.lag_effects}
    assert (effects[3].exact, effects[8].exact) == (SEED.lag_effect(3), SEED.lag_effect(8))
    assert abs(effects[3].measured - 0.5) < 0.05
    assert abs(effects[8].measured) < 0.05
    assert result.truncation_bound.learned == (3,) and not result.bound_is_exact


def test_reset_state_reads_against_window_optima():
    settings = TrainSettings(**QUICK, num_steps=4, reset_state=True, seed=2)
    result = train(SEED, settings)
    assert result.bound_is_exact
    assert result.truncation_bound.learned == (3,)
    assert result.truncation_bound.cross_entropy == SEED.window_cross_entropy([3], 4)
    assert {ref.learned: ref.cross_entropy for ref in result.references} == {
        learned: SEED.window_cross_entropy(learned, 4) for learned in [(), (3,), (8,), (3, 8)]
    }
    assert result.nearest.cross_entropy == SEED.window_cross_entropy(result.nearest.learned, 4)
    assert result.nearest.learned in [(), (3,)]  # ties go to the smaller subset
    effects = {effect.lag: effect.measured for effect in result.lag_effects}
    assert effects[8] is None  # no position of a 4-step window sees 8 steps back


def test_seeds_side_by_side_match_single_runs():
    settings = TrainSettings(series_length=20_000, batch_size=20, epochs=2)
    together = train_seeds(SEED, settings, [4, 9])
    for result in together:
        alone = train(
            SEED, TrainSettings(series_length=20_000, batch_size=20, epochs=2, seed=result.settings.seed)
        )
        assert result.final_loss == pytest.approx(alone.final_loss, rel=1e-9)
        assert [p.train_loss for p in result.history] == pytest.approx([p.train_loss for p in alone.history])
    assert together[0].final_loss != together[1].final_loss


def test_same_seed_same_result():
    settings = TrainSettings(series_length=20_000, batch_size=20, seed=11)
    assert train(SEED, settings).to_dict() == train(SEED, settings).to_dict()


def test_history_points_every_hundred_windows():
    settings = TrainSettings(series_length=50_000, batch_size=20, num_steps=10, epochs=2)  # 250 windows
    result = train(SEED, settings)
    assert [(p.epoch, p.window) for p in result.history] == [
        (1, 100),
        (1, 200),
        (1, 250),
        (2, 100),
        (2, 200),
        (2, 250),
    ]


def test_divergence_is_a_clear_error():
    settings = TrainSettings(series_length=20_000, optimizer="sgd", learning_rate=1e308)
    with pytest.raises(TrainingError) as error:
        train(SEED, settings)
    message = str(error.value)
    assert message.startswith("training diverged at epoch 1, window ")
    assert message.endswith("try a smaller --learning-rate than 1e+308, or --clip-norm 1")
    assert "\n" not in message


def test_json_shape():
    data = train(SEED, TrainSettings(series_length=20_000, batch_size=20)).to_dict()
    assert list(data) == [
        "process",
        "settings",
        "final_loss",
        "nearest",
        "truncation_bound",
        "lag_effects",
        "history",
    ]
    assert data["settings"]["series_length"] == 20_000 and data["settings"]["clip_norm"] is None
    assert set(data["nearest"]) == {"learned", "cross_entropy"}
    assert data["truncation_bound"]["learned"] == [3] and data["truncation_bound"]["exact"] is False
    assert [(e["lag"], e["exact"]) for e in data["lag_effects"]] == [(3, 0.5), (8, -0.25)]
    assert set(data["history"][0]) == {"epoch", "window", "train_loss"}


def test_text_report():
    result = train(SEED, TrainSettings(series_length=20_000, batch_size=20))
    text = result.to_text()
    assert text.startswith(
        SEED.describe() + "\nRNN: state 4, windows of 5 steps, state carried across windows"
    )
    assert f"held-out loss              {result.final_loss:.4f}" in text
    assert "not a bound: the carried state can hold older inputs" in text
    assert "  3  +0.5000" in text and "  8  -0.2500" in text


TINY = dict(series_length=4_000, batch_size=20, num_steps=4, learning_rate=0.01)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("optimizer", ["adagrad", "sgd", "adam"])
def test_every_cell_with_every_optimizer(cell, optimizer):
    settings = TrainSettings(cell=cell, optimizer=optimizer, clip_norm=1.0, **TINY)
    (result,) = train_seeds(SEED, settings, [1])
    assert math.isfinite(result.final_loss) and result.settings.cell == cell
    assert result.to_dict()["settings"]["cell"] == cell


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("reset_state", [False, True])
def test_true_truncation_side_by_side_matches_single_runs(cell, reset_state):
    settings = TrainSettings(cell=cell, truncation="true", reset_state=reset_state, optimizer="adam", **TINY)
    both = train_seeds(SEED, settings, [0, 5])
    alone = train(SEED, TrainSettings(**{**settings.to_dict(), "seed": 5}))
    assert both[1].final_loss == pytest.approx(alone.final_loss, rel=1e-12)
    assert both[1].to_dict()["settings"]["truncation"] == "true"


def test_true_truncation_reads_against_the_lags_below_T():
    """With the state reset every prediction sees the lags <= T-1: at T = 5 the references
    are H(Y | X_{S, lags <= 4}), and the trained model sees nothing of lag 8."""
    settings = TrainSettings(truncation="true", reset_state=True, num_steps=5, **QUICK)
    result = train(SEED, settings)
    references = {ref.learned: ref.cross_entropy.value for ref in result.references}
    assert references[(3, 8)] == references[(3,)] == SEED.cross_entropy([3]).value
    assert references[(8,)] == references[()] == SEED.cross_entropy([]).value
    assert result.truncation_bound.learned == (3,) and result.bound_is_exact
    assert result.final_loss > SEED.cross_entropy([3]).value - 0.01  # an optimum, less sampling noise
    assert result.final_loss < SEED.cross_entropy([]).value - 0.05  # and lag 3 is learned
    assert {e.lag: e.measured for e in result.lag_effects}[8] is None


def test_true_truncation_settings():
    assert TrainSettings(truncation="true", num_steps=5).windows == (5000 - 4) // 5
    with pytest.raises(SettingError, match="'full' is not one of tf, true"):
        TrainSettings(truncation="full")
    with pytest.raises(SettingError, match="'cnn' is not one of rnn, gru, lstm"):
        TrainSettings(cell="cnn")
