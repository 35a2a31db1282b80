"""Optimizers over one flat parameter buffer, and clipping by global norm.

Every parameter of M models lives in one (M, P) float64 array (see ``learners.cell.Parameters``), so an
update is a handful of whole-buffer operations, written in place. Each row is one model:
models never share a norm, an accumulator or a step.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import SettingError
from ..settings import OPTIMIZERS


class SGD:
    """p -= lr g."""

    def __init__(self, shape: tuple[int, int], learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self._step = np.empty(shape)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        np.multiply(grads, self.learning_rate, out=self._step)
        params -= self._step


class Adagrad:
    """Adagrad as in the post's TensorFlow 1: the accumulator starts at 0.1 and grows by g^2;
    p -= lr g / sqrt(accumulator)."""

    def __init__(
        self, shape: tuple[int, int], learning_rate: float, initial_accumulator: float = 0.1
    ) -> None:
        self.learning_rate = learning_rate
        self._sum = np.full(shape, initial_accumulator)
        self._step = np.empty(shape)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        step = self._step
        np.multiply(grads, grads, out=step)
        self._sum += step
        np.sqrt(self._sum, out=step)
        np.divide(grads, step, out=step)
        step *= self.learning_rate
        params -= step


class Adam:
    """Adam (Kingma and Ba) with bias correction: beta1 0.9, beta2 0.999, eps 1e-8."""

    def __init__(
        self,
        shape: tuple[int, int],
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self._m = np.zeros(shape)
        self._v = np.zeros(shape)
        self._step = np.empty(shape)
        self._t = 0

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        self._t += 1
        b1, b2, step = self.beta1, self.beta2, self._step
        self._m *= b1
        np.multiply(grads, 1 - b1, out=step)
        self._m += step
        self._v *= b2
        np.multiply(grads, grads, out=step)
        step *= 1 - b2
        self._v += step
        # lr * m_hat / (sqrt(v_hat) + eps), with the two bias corrections folded into scalars
        correction = math.sqrt(1 - b2**self._t)
        np.sqrt(self._v, out=step)
        step += self.eps * correction
        np.divide(self._m, step, out=step)
        step *= self.learning_rate * correction / (1 - b1**self._t)
        params -= step


def make_optimizer(name: str, shape: tuple[int, int], learning_rate: float) -> SGD | Adagrad | Adam:
    """The optimizer called ``name`` (adagrad, sgd or adam) for a buffer of ``shape``."""
    if name not in OPTIMIZERS:
        raise SettingError(f"optimizer: {name!r} is not one of {', '.join(OPTIMIZERS)}")
    return {"adagrad": Adagrad, "sgd": SGD, "adam": Adam}[name](shape, learning_rate)


def clip_by_global_norm(grads: np.ndarray, max_norm: float) -> np.ndarray:
    """Scale each model's gradient (a row) so that its L2 norm is at most ``max_norm``, in
    place; returns the norms before clipping."""
    norms = np.sqrt(np.einsum("mp,mp->m", grads, grads))
    scale = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(float).tiny))
    grads *= scale[:, None]
    return norms
