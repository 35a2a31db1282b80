"""Speed of `echo-theory train`: truncated windows per second, against PyTorch in the same run.

The baseline is the same model in PyTorch on the CPU: nn.RNN (tanh) with a Linear layer to two
logits and the mean cross entropy, the same sizes, batch, data and optimizer (Adagrad with
TF1's initial accumulator of 0.1, or Adam), one update per window and the state detached
between windows. Its hidden-to-hidden bias is frozen at zero so that it has exactly our
parameters. Before timing, both start from the same weights on the same windows and must
agree: the first loss to 1e-12, the weights after a few updates to 1e-6.

Figures are medians of repeated epochs, after a warm-up. "Models at once" trains several
seeds side by side on one array axis (each on its own data); its figure is per model.

Needs the bench extra: pip install -e '.[bench]'  (torch, CPU wheel)
Run: python benchmarks/bench_train.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine

from echo_theory import EchoProcess
from echo_theory.evaluation import arrange
from echo_theory.sampler import sample_series
from echo_theory.training import Trainer, TrainSettings

SEED_PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])

CASES = {
    "the post: H 4, T 5, Adagrad 0.1": dict(
        state_size=4, num_steps=5, optimizer="adagrad", learning_rate=0.1
    ),
    "H 16, T 15, Adam 0.01": dict(state_size=16, num_steps=15, optimizer="adam", learning_rate=0.01),
}


def windows_for(settings: TrainSettings, models: int, seed: int = 0):
    """Arranged windows (W, T, M, B) of one series per model."""
    series = [
        sample_series(SEED_PROCESS, settings.series_length, np.random.SeedSequence([seed, m]))
        for m in range(models)
    ]
    x = arrange(np.stack([s[0] for s in series]), settings.batch_size, settings.num_steps)
    y = arrange(np.stack([s[1] for s in series]), settings.batch_size, settings.num_steps)
    return x, y


def time_numpy(settings: TrainSettings, x, y, repeats: int) -> float:
    """Median seconds per epoch over ``x``/``y``, a fresh model each time."""
    models = x.shape[2]
    times = []
    for r in range(repeats + 1):
        trainer = Trainer(settings, list(range(models)))
        start = time.perf_counter()
        trainer.run_epoch(x, y)
        if r:  # the first is a warm-up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


class TorchModel:
    """The same RNN in PyTorch, with our weights copied in."""

    def __init__(self, torch, settings: TrainSettings, dtype, params=None):
        self.torch = torch
        h = settings.state_size
        self.rnn = torch.nn.RNN(2, h, nonlinearity="tanh").to(dtype)
        self.out = torch.nn.Linear(h, 2).to(dtype)
        with torch.no_grad():
            self.rnn.bias_hh_l0.zero_()
            if params is not None:
                self.rnn.weight_ih_l0.copy_(torch.from_numpy(params.W_xh[0]))
                self.rnn.weight_hh_l0.copy_(torch.from_numpy(params.W_hh[0]))
                self.rnn.bias_ih_l0.copy_(torch.from_numpy(params.b_h[0]))
                self.out.weight.copy_(torch.from_numpy(params.W_hy[0]))
                self.out.bias.copy_(torch.from_numpy(params.b_y[0]))
        self.rnn.bias_hh_l0.requires_grad_(False)  # one bias, as in our model
        trainable = [p for p in [*self.rnn.parameters(), *self.out.parameters()] if p.requires_grad]
        if settings.optimizer == "adagrad":
            self.optimizer = torch.optim.Adagrad(
                trainable, lr=settings.learning_rate, initial_accumulator_value=0.1
            )
        else:
            self.optimizer = torch.optim.Adam(trainable, lr=settings.learning_rate)
        self.dtype = dtype

    def epoch(self, x, y) -> list[float]:
        """x: one-hot (W, T, B, 2) tensor, y: (W, T, B) long tensor; one update per window."""
        torch = self.torch
        state = torch.zeros(1, x.shape[2], self.rnn.hidden_size, dtype=self.dtype)
        losses = []
        for w in range(x.shape[0]):
            outputs, last = self.rnn(x[w], state)
            loss = torch.nn.functional.cross_entropy(self.out(outputs).reshape(-1, 2), y[w].reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            state = last.detach()
            losses.append(loss.item() if w < 3 else 0.0)
        return losses

    def weights(self) -> np.ndarray:
        parts = [
            self.rnn.weight_ih_l0,
            self.rnn.weight_hh_l0,
            self.rnn.bias_ih_l0,
            self.out.weight,
            self.out.bias,
        ]
        return np.concatenate([p.detach().double().numpy().ravel() for p in parts])


def torch_inputs(torch, x, y, dtype):
    """Our (W, T, 1, B) windows as PyTorch's (W, T, B, 2) one-hot inputs and (W, T, B) targets."""
    xs = torch.from_numpy(x[:, :, 0].astype(np.int64))
    return torch.nn.functional.one_hot(xs, 2).to(dtype), torch.from_numpy(y[:, :, 0].astype(np.int64))


def check_agreement(torch, settings: TrainSettings, x, y) -> None:
    trainer = Trainer(settings, [0])
    model = TorchModel(torch, settings, torch.float64, trainer.params)
    tx, ty = torch_inputs(torch, x[:5], y[:5], torch.float64)
    theirs = model.epoch(tx, ty)
    ours = []
    for w in range(5):  # the same loop as run_epoch, recording the losses
        ours.append(trainer.unroll.forward(trainer.params, x[w : w + 1], y[w : w + 1], trainer.state)[0, 0])
        trainer.unroll.backward(trainer.params, trainer.grads)
        trainer.optimizer.step(trainer.params.flat, trainer.grads.flat)
        trainer.state[...] = trainer.unroll.final_state
    assert abs(ours[0] - theirs[0]) < 1e-12, "first losses differ"
    assert np.allclose(trainer.params.flat[0], model.weights(), rtol=1e-6, atol=1e-9), "weights differ"


def time_torch(torch, settings: TrainSettings, x, y, dtype, repeats: int) -> float:
    tx, ty = torch_inputs(torch, x, y, dtype)
    times = []
    for r in range(repeats + 1):
        model = TorchModel(torch, settings, dtype)
        start = time.perf_counter()
        model.epoch(tx, ty)
        if r:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows and repeats, for a smoke run")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="PyTorch's intra-op threads (default 1: these matrices are tiny, and on a shared machine "
        "its spinning worker threads can slow it down by orders of magnitude)",
    )
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit("the baseline needs PyTorch: pip install -e '.[bench]'") from None
    torch.set_num_threads(args.torch_threads)
    repeats = 3 if args.quick else 7
    steps_per_row = 1_000 if args.quick else 5_000  # the post: 1,000,000 steps in 200 rows
    model_counts = (1, 4) if args.quick else (1, 4, 16)

    print(
        f"Machine: {machine()}; NumPy {np.__version__}, PyTorch {torch.__version__} "
        f"({torch.get_num_threads()} intra-op thread{'s' if torch.get_num_threads() != 1 else ''})\n"
    )
    print("## Training throughput, batch 200 (truncated windows per second, median)\n")
    print("| setting | windows | NumPy (echo-theory) | PyTorch float64 | PyTorch float32 | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    baselines = {}
    for name, case in CASES.items():
        settings = TrainSettings(series_length=200 * steps_per_row, batch_size=200, **case)
        x, y = windows_for(settings, 1)
        check_agreement(torch, settings, x, y)
        ours = time_numpy(settings, x, y, repeats)
        theirs64 = time_torch(torch, settings, x, y, torch.float64, repeats)
        theirs32 = time_torch(torch, settings, x, y, torch.float32, repeats)
        windows = len(x)
        best = min(theirs64, theirs32)
        baselines[name] = (settings, windows / best)
        print(
            f"| {name} | {windows} | {windows / ours:,.0f}/s | {windows / theirs64:,.0f}/s "
            f"| {windows / theirs32:,.0f}/s | {best / ours:.1f}x |"
        )

    print("\n## Several seeds at once (one array axis), per model\n")
    print("| setting | models at once | windows/s | model-windows/s | per-model speed-up vs PyTorch |")
    print("|---|---:|---:|---:|---:|")
    for name, (settings, torch_rate) in baselines.items():
        for models in model_counts:
            x, y = windows_for(settings, models)
            seconds = time_numpy(settings, x, y, repeats)
            rate = len(x) / seconds
            per_model = rate * models
            print(f"| {name} | {models} | {rate:,.0f} | {per_model:,.0f} | {per_model / torch_rate:.1f}x |")


if __name__ == "__main__":
    main()
