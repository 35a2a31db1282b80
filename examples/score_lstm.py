"""A model that is not ours: a PyTorch nn.LSTM trained on an echo task, read by `echo-theory score`.

    pip install 'echo-theory[bench]'        # torch (CPU is enough)
    echo-theory sample --rule 3:+0.5 --rule 8:-0.25 --steps 1e6 --seed 0 --output train.npz
    echo-theory sample --rule 3:+0.5 --rule 8:-0.25 --steps 2e5 --seed 1 --output test.npz
    python examples/score_lstm.py train.npz test.npz --output predictions.npz
    echo-theory score predictions.npz --rule 3:+0.5 --rule 8:-0.25

Without file arguments the script samples both series itself (``echo_theory.sample_series``,
the sampler `echo-theory sample` writes from) and prints the score at the end.

The LSTM reads x one step at a time and predicts P(y_t = 1) from its state after x_t, trained by
truncated backprop in windows of 20 steps with the state carried along each row of the batch
(as `echo-theory train` does). Its predictions on the test series are written as the columns
x, y, p of `score`'s format. Only torch and NumPy are used for the model: echo-theory's part is
the data and the reading.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from echo_theory import EchoProcess, sample_series, score
from echo_theory.series import load_series, write_series

PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])
WINDOW, BATCH, HIDDEN = 20, 100, 16


class Model(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(1, HIDDEN, batch_first=True)
        self.out = torch.nn.Linear(HIDDEN, 1)

    def forward(self, x, state=None):
        h, state = self.lstm(x, state)
        return self.out(h).squeeze(-1), state  # logits of P(y=1)


def rows(series: np.ndarray) -> torch.Tensor:
    """A series cut into BATCH contiguous rows, (BATCH, steps, 1) floats."""
    length = series.size // BATCH
    return torch.as_tensor(series[: BATCH * length].reshape(BATCH, length, 1), dtype=torch.float32)


def fit(x: np.ndarray, y: np.ndarray, epochs: int = 2, seed: int = 0) -> Model:
    torch.manual_seed(seed)
    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    xs, ys = rows(x), rows(y)[..., 0]
    for _ in range(epochs):
        state = None
        for start in range(0, xs.shape[1] - WINDOW + 1, WINDOW):
            logits, state = model(xs[:, start : start + WINDOW], state)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, ys[:, start : start + WINDOW])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = tuple(s.detach() for s in state)  # truncation: no gradient into the last window
    return model


def predict(model: Model, x: np.ndarray) -> np.ndarray:
    """P(y_t = 1) for every step of one long row, NaN for the first 8 (the warm-up)."""
    with torch.no_grad():
        logits, _ = model(torch.as_tensor(x, dtype=torch.float32).reshape(1, -1, 1))
    p = torch.sigmoid(logits.double())[0].numpy()
    p[: max(PROCESS.lags)] = np.nan
    return p


def main() -> int:
    torch.set_num_threads(1)  # tiny matrices: on a shared machine, more threads only spin
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", nargs="?", help="x, y to train on (.npz, .npy or .csv)")
    parser.add_argument("test", nargs="?", help="x, y to predict")
    parser.add_argument("--output", help="where to write x, y, p for `echo-theory score`")
    args = parser.parse_args()
    if args.train and args.test:
        (train_x, train_y), (test_x, test_y) = load_series(args.train), load_series(args.test)
    else:
        (train_x, train_y), (test_x, test_y) = (
            sample_series(PROCESS, 1_000_000, 0),
            sample_series(PROCESS, 200_000, 1),
        )
    model = fit(train_x, train_y)
    p = predict(model, test_x)
    if args.output:
        write_series(args.output, {"x": test_x, "y": test_y, "p": p})
        print(f"wrote {args.output}: `echo-theory score {args.output} --rule 3:+0.5 --rule 8:-0.25` reads it")
    print(score(PROCESS, test_x, test_y, p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
