"""Optimizers against their textbook update rules, written out here one parameter at a time."""

import math

import numpy as np
import pytest

from echo_theory.errors import SettingError
from echo_theory.learners.optimizers import Adagrad, Adam, clip_by_global_norm, make_optimizer


def gradients(steps=4, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


def run(optimizer, grads, start):
    params = start.copy()
    for g in grads:
        optimizer.step(params, g.copy())
    return params


def test_sgd():
    grads, start = gradients(), np.ones((2, 3))
    params = run(make_optimizer("sgd", start.shape, 0.3), grads, start)
    np.testing.assert_allclose(params, start - 0.3 * sum(grads), rtol=1e-14)


def test_adagrad_as_tensorflow_1():
    grads, start = gradients(), np.ones((2, 3))
    params = run(make_optimizer("adagrad", start.shape, 0.1), grads, start)
    for index in np.ndindex(start.shape):
        p, accumulator = start[index], 0.1  # TF1's initial_accumulator_value
        for g in grads:
            accumulator += g[index] ** 2
            p -= 0.1 * g[index] / math.sqrt(accumulator)
        assert params[index] == pytest.approx(p, rel=1e-14)
    assert isinstance(make_optimizer("adagrad", (1, 1), 0.1), Adagrad)


def test_adam_with_bias_correction():
    grads, start = gradients(6), np.zeros((2, 3))
    params = run(make_optimizer("adam", start.shape, 0.01), grads, start)
    for index in np.ndindex(start.shape):
        p, m, v = 0.0, 0.0, 0.0
        for t, g in enumerate(grads, start=1):
            m = 0.9 * m + 0.1 * g[index]
            v = 0.999 * v + 0.001 * g[index] ** 2
            p -= 0.01 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        assert params[index] == pytest.approx(p, rel=1e-12)
    assert isinstance(make_optimizer("adam", (1, 1), 0.1), Adam)


def test_models_do_not_share_state():
    """Row m of a batched run is what a run of that row alone gives."""
    grads, start = gradients(5, (3, 4)), np.ones((3, 4))
    for name in ("adagrad", "adam"):
        together = run(make_optimizer(name, start.shape, 0.05), grads, start)
        for m in range(3):
            alone = run(make_optimizer(name, (1, 4), 0.05), [g[m : m + 1] for g in grads], start[m : m + 1])
            np.testing.assert_array_equal(together[m : m + 1], alone)


def test_clip_by_global_norm_per_model():
    grads = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    norms = clip_by_global_norm(grads, 1.0)
    np.testing.assert_allclose(norms, [5.0, 0.5, 0.0])
    np.testing.assert_allclose(grads, [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]])  # only the first is scaled


def test_unknown_optimizer():
    with pytest.raises(SettingError, match=r"^optimizer: 'rmsprop' is not one of adagrad, sgd, adam$"):
        make_optimizer("rmsprop", (1, 1), 0.1)
