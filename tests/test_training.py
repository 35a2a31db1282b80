"""Training: settings, the truncated update, short runs that learn, and the theory beside them."""

import math
from fractions import Fraction

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
        "rule_effects",
        "history",
        "samples",
        "stderr",
        "levels",
        "best_match",
        "information_fraction",
        "verdict",
    ]
    assert data["rule_effects"] == []  # no interaction rules
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


def test_a_result_prints_as_its_readout():
    result = train(SEED, TrainSettings(series_length=20_000, batch_size=20))
    assert str(result) == result.to_text().rstrip("\n")
    assert repr(result).startswith(f"<TrainResult: held-out loss {result.final_loss:.4f}, nearest subset ")
    assert len(repr(result)) < 120
    markdown = result._repr_markdown_()
    assert markdown.startswith("```text\n") and markdown.endswith("\n```\n")
    assert result.to_text().rstrip("\n") in markdown


PARITY = EchoProcess(["3^8:+0.4"], base="0.3")


def test_parity_run_reports_its_rule_effect():
    settings = TrainSettings(**QUICK, num_steps=10, state_size=8)
    result = train(PARITY, settings)
    (effect,) = result.rule_effects
    assert str(effect.rule) == "3^8:+2/5" and effect.exact == Fraction(2, 5)
    assert -0.5 < effect.measured < 0.5 and 0 < effect.stderr < 0.01
    p = result.held_out[2]
    assert effect.steps == np.isfinite(p[8:]).sum()  # every predicted step with x[t-8] in the series
    assert [e.exact for e in result.lag_effects] == [0, 0]
    data = result.to_dict()["rule_effects"]
    assert data == [
        {
            "rule": "3^8:+2/5",
            "exact": 0.4,
            "measured": effect.measured,
            "stderr": effect.stderr,
            "fraction": effect.measured / 0.4,
        }
    ]
    text = result.to_text()
    assert "effect of each interaction rule's condition on P(y=1), on average (true minus false)" in text
    assert f"3^8:+2/5  +0.4000   {effect.measured:+.4f}" in text


def test_rule_effects_under_reset_count_only_what_a_window_sees():
    short = train(PARITY, TrainSettings(**QUICK, num_steps=8, reset_state=True))
    assert short.rule_effects[0].measured is None and short.rule_effects[0].steps == 0
    assert "3^8:+2/5  +0.4000      none" in short.to_text()
    settings = TrainSettings(**QUICK, num_steps=10, reset_state=True)
    (effect,) = train(PARITY, settings).rule_effects
    assert effect.steps == settings.batch_size * settings.windows * 2  # positions 8 and 9 of each window


# --- the readout: diagnosis.score on the held-out series ----------------------------------------


def test_the_readout_is_score_on_the_held_out_predictions():
    from echo_theory.diagnosis import score

    result = train(SEED, TrainSettings(series_length=20_000, batch_size=20, seed=5))
    x, y, p = result.held_out
    assert x.shape == y.shape == p.shape == (20_000,)
    assert np.isnan(p).sum() == 0  # 20 rows of 1000 steps, 200 windows each: nothing dropped
    again = score(SEED, x, y, p)
    assert again.loss == result.final_loss
    assert again.to_dict()["verdict"] == result.to_dict()["verdict"]
    assert [e.measured for e in result.lag_effects] == [e.measured for e in again.lag_effects]


def test_predict_agrees_with_evaluate():
    """The held-out P(y=1) from ``predict`` gives evaluate's loss, under both state protocols."""
    from echo_theory.evaluation import predict

    for reset in (False, True):
        settings = TrainSettings(series_length=20_003, batch_size=20, num_steps=7, reset_state=reset)
        trainer = Trainer(settings, [1])
        trainer.run_epoch(*_sample(SEED, settings, [np.random.SeedSequence(3)]))
        x, y, _, ys = _sample(SEED, settings, [np.random.SeedSequence(4)], keep=True)
        loss, _ = evaluate(trainer.params, x, y, 7, reset)
        p = predict(trainer.params, x, y, 7, reset, settings.series_length)[0]
        kept = ~np.isnan(p)
        # rows of 1000 steps hold 142 windows of 7: the last 6 of each row, and 3 at the end, are NaN
        assert kept.sum() == 20 * 142 * 7 and np.isnan(p[994:1000]).all() and np.isnan(p[-3:]).all()
        direct = -np.log(np.where(ys[0][kept] == 1, p[kept], 1 - p[kept])).mean()
        assert direct == pytest.approx(loss[0], rel=1e-12)


def test_a_finite_loss_far_above_nothing_gets_the_note():
    result = train(
        SEED, TrainSettings(series_length=20_000, batch_size=20, optimizer="sgd", learning_rate=100)
    )
    assert math.isfinite(result.final_loss) and result.final_loss > 5
    assert result.score.verdict.kind == "worse_than_nothing"
    assert result.note == "the run likely diverged: try a smaller --learning-rate than 100, or --clip-norm 1"
    assert result.to_dict()["note"] == result.note
    assert "\nnote: the run likely diverged" in result.to_text()


def test_reset_state_readout_is_position_aware():
    settings = TrainSettings(**QUICK, num_steps=4, reset_state=True, seed=2)
    result = train(SEED, settings)
    assert result.score.window == 4
    assert [lv.cross_entropy for lv in result.score.levels] == [
        SEED.window_cross_entropy(s, 4).value for s in [(), (3,), (8,), (3, 8)]
    ]


@pytest.mark.slow
def test_past_scores_lag_limit_train_reads_loss_and_lag_effects_alone():
    """17 rules: more rule lags than score's input codes allow; train still reports the held-out
    loss, the references (chain, singles, complements) and every lag's measured effect."""
    from echo_theory.diagnosis.scorer import MAX_SCORE_LAGS

    rules = [f"{lag}:+0.02" for lag in range(MAX_SCORE_LAGS + 1)]
    process = EchoProcess(rules, base="0.3")
    result = train(process, TrainSettings(series_length=20_000, batch_size=20, num_steps=20))
    assert result.score is None and len(result.lag_effects) == MAX_SCORE_LAGS + 1
    assert all(e.measured is not None for e in result.lag_effects)
    h_nothing = process.cross_entropy([]).value
    assert 0 < result.final_loss < h_nothing + 0.1
    assert "verdict" not in result.to_dict() and "held-out loss" in result.to_text()


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
    # its predictions cannot depend on x[t-8]: the readout measures no effect and says level 3
    assert abs({e.lag: e.measured for e in result.lag_effects}[8]) < 0.02
    assert result.score.verdict.kind == "level" and result.score.verdict.learned == (3,)


def test_true_truncation_settings():
    assert TrainSettings(truncation="true", num_steps=5).windows == (5000 - 4) // 5
    with pytest.raises(SettingError, match="'full' is not one of tf, true"):
        TrainSettings(truncation="full")
    with pytest.raises(SettingError, match="'cnn' is not one of rnn, gru, lstm"):
        TrainSettings(cell="cnn")
