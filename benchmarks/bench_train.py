"""Speed of `echo-theory train`: updates per second for every cell and both truncation styles,
against PyTorch in the same run.

The baseline is the same model in PyTorch on the CPU: nn.RNN (tanh), nn.GRU or nn.LSTM with a
Linear layer to two logits and the mean cross entropy, the same sizes, batch, data and
optimizer (Adagrad with TF1's initial accumulator of 0.1, or Adam). PyTorch's gate order is
ours; its second bias (bias_hh) is frozen at zero, so that it has exactly our parameters.
- tf truncation: one update per window of T steps, the state detached between windows.
- true truncation, BPTT(T, 1): one update per block of T losses, each backpropagated exactly T
  steps: the block's T chains of T steps stacked on the batch axis, started from zero (reset
  state) or from the states the row carries, which a no-grad pass along the row computes.
Before timing, both start from the same weights on the same data and must agree: the first
loss to 1e-12, the weights after five updates to 1e-6 (float64).

Figures are medians of repeated epochs, after a warm-up; ours and PyTorch's two precisions run
in turn, repeat by repeat, so that they share the load of a shared machine. "Models at once" trains several
seeds side by side on one array axis (each on its own data); its figure is per model.

Needs the bench extra: pip install -e '.[bench]'  (torch, CPU wheel)
Run: python benchmarks/bench_train.py [--quick] [--cells rnn,gru,lstm]
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
from echo_theory.sampler import sample_series
from echo_theory.training import Trainer, TrainSettings

SEED_PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])

CASES = {
    "the post: H 4, T 5, Adagrad 0.1": dict(
        state_size=4, num_steps=5, optimizer="adagrad", learning_rate=0.1
    ),
    "H 16, T 15, Adam 0.01": dict(state_size=16, num_steps=15, optimizer="adam", learning_rate=0.01),
}
TRUE_CASE = dict(state_size=4, num_steps=10, optimizer="adam", learning_rate=0.01)


def data_for(settings: TrainSettings, models: int, seed: int = 0):
    """The epoch's x and y as the trainer walks them, one series per model."""
    layout = Trainer(settings, list(range(models))).arrange
    series = [
        sample_series(SEED_PROCESS, settings.series_length, np.random.SeedSequence([seed, m]))
        for m in range(models)
    ]
    return layout(np.stack([s[0] for s in series])), layout(np.stack([s[1] for s in series]))


def numpy_epoch(settings: TrainSettings, x, y):
    """A timed epoch over ``x``/``y`` with a fresh model: returns a function that runs it."""
    models = x.shape[-2]

    def run() -> float:
        trainer = Trainer(settings, list(range(models)))
        start = time.perf_counter()
        trainer.run_epoch(x, y)
        return time.perf_counter() - start

    return run


def time_numpy(settings: TrainSettings, x, y, repeats: int) -> float:
    """Median seconds per epoch over ``x``/``y``, a fresh model each time, after a warm-up."""
    run = numpy_epoch(settings, x, y)
    run()
    return statistics.median(run() for _ in range(repeats))


class TorchModel:
    """The same cell in PyTorch, with our weights copied in."""

    def __init__(self, torch, settings: TrainSettings, dtype, params=None):
        self.torch, self.settings, self.dtype = torch, settings, dtype
        h = settings.state_size
        module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[settings.cell]
        extra = {"nonlinearity": "tanh"} if settings.cell == "rnn" else {}
        self.rnn = module(2, h, **extra).to(dtype)
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
        self.lstm = settings.cell == "lstm"

    def zeros(self, batch):
        z = self.torch.zeros(1, batch, self.rnn.hidden_size, dtype=self.dtype)
        return (z, z.clone()) if self.lstm else z

    def update(self, loss, losses, w) -> None:
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        losses.append(loss.item() if w < 5 else 0.0)

    def epoch(self, x, y, limit=None) -> list[float]:
        """tf truncation. x: one-hot (W, T, B, 2), y: (W, T, B) long; one update per window."""
        F = self.torch.nn.functional
        state = self.zeros(x.shape[2])
        losses = []
        for w in range(x.shape[0] if limit is None else limit):
            h0 = self.zeros(x.shape[2]) if self.settings.reset_state else state
            outputs, last = self.rnn(x[w], h0)
            self.update(F.cross_entropy(self.out(outputs).reshape(-1, 2), y[w].reshape(-1)), losses, w)
            state = tuple(s.detach() for s in last) if self.lstm else last.detach()
        return losses

    def _starts(self, ext, state, k):
        """The row's states before its first k steps (no grad), and the state k steps on."""
        torch = self.torch
        with torch.no_grad():
            if not self.lstm:
                outputs, _ = self.rnn(ext[:k], state)
                return torch.cat([state, outputs[: k - 1]]).reshape(1, -1, outputs.shape[-1]), outputs[
                    k - 1 : k
                ]
            hs, cs = [], []
            h, c = state
            for t in range(k):
                hs.append(h)
                cs.append(c)
                _, (h, c) = self.rnn(ext[t : t + 1], (h, c))
            size = h.shape[-1]
            return (torch.cat(hs).reshape(1, -1, size), torch.cat(cs).reshape(1, -1, size)), (h, c)

    def epoch_true(self, x, y, limit=None) -> list[float]:
        """true truncation. x: one-hot rows (N/B, B, 2), y: (N/B, B) long; one update per T losses."""
        F = self.torch.nn.functional
        t = self.settings.num_steps
        k = t
        batch = x.shape[1]
        blocks = (x.shape[0] - (t - 1)) // k
        state = self.zeros(batch)
        losses = []
        for b in range(blocks if limit is None else limit):
            start = b * k
            ext = x[start : start + t - 1 + k]
            chains = (
                ext.unfold(0, t, 1).permute(3, 0, 1, 2).reshape(t, k * batch, 2)
            )  # chain j: ext[j : j + T]
            if self.settings.reset_state:
                h0 = self.zeros(k * batch)
            else:
                h0, state = self._starts(ext, state, k)
            outputs, _ = self.rnn(chains, h0)
            logits = self.out(outputs[-1])
            self.update(F.cross_entropy(logits, y[start + t - 1 : start + t - 1 + k].reshape(-1)), losses, b)
        return losses

    def run(self, x, y, limit=None):
        return (self.epoch_true if self.settings.truncation == "true" else self.epoch)(x, y, limit)

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
    """Our (..., 1, B) data (model 0) as PyTorch's one-hot (..., B, 2) inputs and long targets."""
    xs = torch.from_numpy(x[..., 0, :].astype(np.int64))
    return torch.nn.functional.one_hot(xs, 2).to(dtype), torch.from_numpy(y[..., 0, :].astype(np.int64))


def check_agreement(torch, settings: TrainSettings, x, y) -> None:
    """Same weights, same data, five updates: the first loss to 1e-12, the weights to 1e-6."""
    trainer = Trainer(settings, [0])
    model = TorchModel(torch, settings, torch.float64, trainer.params)
    tx, ty = torch_inputs(torch, x, y, torch.float64)
    theirs = model.run(tx, ty, limit=5)
    ours = []
    for w in range(5):  # run_epoch's loop, recording the losses
        ours.append(trainer.forward(x, y, w)[0])
        trainer.unroll.backward(trainer.params, trainer.grads)
        trainer.optimizer.step(trainer.params.flat, trainer.grads.flat)
        if not settings.reset_state:
            trainer.state[...] = (
                trainer.unroll.next_state if settings.truncation == "true" else trainer.unroll.final_state
            )
    what = f"{settings.cell}, {settings.truncation}, reset {settings.reset_state}"
    assert abs(ours[0] - theirs[0]) < 1e-12, f"first losses differ ({what}): {ours[0]!r} {theirs[0]!r}"
    assert np.allclose(trainer.params.flat[0], model.weights(), rtol=1e-6, atol=1e-9), (
        f"weights differ ({what})"
    )


def torch_epoch(torch, settings: TrainSettings, x, y, dtype):
    tx, ty = torch_inputs(torch, x, y, dtype)

    def run() -> float:
        model = TorchModel(torch, settings, dtype)
        start = time.perf_counter()
        model.run(tx, ty)
        return time.perf_counter() - start

    return run


def compare(torch, settings, repeats, label):
    """Check, then time ours and PyTorch's (float64 and float32), interleaved repeat by repeat
    so that all three see the same load on a shared machine; returns (ours/s, best theirs/s)."""
    x, y = data_for(settings, 1)
    check_agreement(torch, settings, x, y)
    updates = Trainer(settings, [0]).updates(x)
    runs = [numpy_epoch(settings, x, y), torch_epoch(torch, settings, x, y, torch.float64)]
    runs.append(torch_epoch(torch, settings, x, y, torch.float32))
    for run in runs:  # warm-up
        run()
    times = [[], [], []]
    for _ in range(repeats):
        for run, kept in zip(runs, times, strict=True):
            kept.append(run())
    ours, theirs64, theirs32 = (updates / statistics.median(kept) for kept in times)
    best = max(theirs64, theirs32)
    print(
        f"| {label} | {updates} | {ours:,.0f}/s | {theirs64:,.0f}/s | {theirs32:,.0f}/s "
        f"| {ours / best:.1f}x |",
        flush=True,
    )
    return ours, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows and repeats, for a smoke run")
    parser.add_argument("--cells", default="rnn,gru,lstm", help="comma-separated cells to measure")
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
    cells = args.cells.split(",")
    repeats = 3 if args.quick else 5
    steps_per_row = 500 if args.quick else 2_500  # the post: 5,000 steps in each of 200 rows
    model_counts = (1, 4) if args.quick else (1, 4, 16)

    print(
        f"Machine: {machine()}; NumPy {np.__version__}, PyTorch {torch.__version__} "
        f"({torch.get_num_threads()} intra-op thread{'s' if torch.get_num_threads() != 1 else ''})\n"
    )
    print("## Training throughput, batch 200, tf truncation (updates = windows per second, median)\n")
    print("| cell, setting | updates | NumPy (echo-theory) | PyTorch float64 | PyTorch float32 | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    baselines = {}
    for cell in cells:
        for name, case in CASES.items():
            settings = TrainSettings(series_length=200 * steps_per_row, batch_size=200, cell=cell, **case)
            baselines[cell, name] = (settings, compare(torch, settings, repeats, f"{cell}, {name}")[1])

    print(
        "\n## True truncation, BPTT(T, 1), batch 200, H 4, T 10, Adam 0.01 (updates = blocks of T losses)\n"
    )
    print("| cell, style | updates | NumPy (echo-theory) | PyTorch float64 | PyTorch float32 | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    costs = []
    for cell in cells:
        rates = {}
        for truncation, reset in (("tf", False), ("true", False), ("true", True)):
            settings = TrainSettings(
                series_length=200 * steps_per_row,
                batch_size=200,
                cell=cell,
                truncation=truncation,
                reset_state=reset,
                **TRUE_CASE,
            )
            label = f"{cell}, {truncation}{', reset' if reset else ', carried'}"
            rates[truncation, reset] = compare(torch, settings, repeats, label)
        costs.append((cell, rates))
    t = TRUE_CASE["num_steps"]
    # Work per update in step-operations on B columns: tf runs T steps forward and T back; true
    # runs 2T - 1 forward (T with a reset state, on T chains: T * T) and T chains of T steps back.
    implied_carried = ((2 * t - 1) + t * t) / (2 * t)
    implied_reset = (t * t + t * t) / (2 * t)
    print(
        f"\nCost of an update, true / tf (same run; implied by the work: carried {implied_carried:.2f}, "
        f"reset {implied_reset:.2f})\n"
    )
    print("| cell | NumPy carried | NumPy reset | PyTorch carried | PyTorch reset |")
    print("|---|---:|---:|---:|---:|")
    for cell, rates in costs:
        tf_ours, tf_theirs = rates["tf", False]
        c_ours, c_theirs = rates["true", False]
        r_ours, r_theirs = rates["true", True]
        print(
            f"| {cell} | {tf_ours / c_ours:.2f} | {tf_ours / r_ours:.2f} | {tf_theirs / c_theirs:.2f} "
            f"| {tf_theirs / r_theirs:.2f} |"
        )

    print("\n## Several seeds at once (one array axis), per model, tf truncation\n")
    print("| cell, setting | models at once | updates/s | model-updates/s | per-model speed-up vs PyTorch |")
    print("|---|---:|---:|---:|---:|")
    for (cell, name), (settings, torch_rate) in baselines.items():
        for models in model_counts if settings.state_size < 16 else model_counts[:2]:
            x, y = data_for(settings, models)
            seconds = time_numpy(settings, x, y, repeats)
            rate = len(x) / seconds
            per_model = rate * models
            print(
                f"| {cell}, {name} | {models} | {rate:,.0f} | {per_model:,.0f} "
                f"| {per_model / torch_rate:.1f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
