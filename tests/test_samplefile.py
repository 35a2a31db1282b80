"""Sampled series in files: the sampler's series, exact p_true, the same bytes for the same seed."""

from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess, load_series, sample_series
from echo_theory.errors import EchoTheoryError
from echo_theory.samplefile import write_sample

SEED = EchoProcess(["3:+0.5", "8:-0.25"])


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv"])
def test_the_file_holds_the_samplers_series(tmp_path, suffix):
    path = write_sample(SEED, 5000, 7, tmp_path / f"s{suffix}", chunk_size=1024)
    x, y = load_series(path)
    expected_x, expected_y = sample_series(SEED, 5000, 7)
    assert (x == expected_x).all() and (y == expected_y).all()


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv"])
@pytest.mark.parametrize("probabilities", [False, True])
def test_same_seed_same_bytes_whatever_the_chunking(tmp_path, suffix, probabilities):
    one = write_sample(SEED, 3000, 1, tmp_path / f"a{suffix}", probabilities, chunk_size=64)
    two = write_sample(SEED, 3000, 1, tmp_path / f"b{suffix}", probabilities)
    assert one.read_bytes() == two.read_bytes()
    other = write_sample(SEED, 3000, 2, tmp_path / f"c{suffix}", probabilities)
    assert other.read_bytes() != one.read_bytes()


def exact_probability(rules, base, clip, inputs):
    """P(y=1 | the inputs at each rule lag), from the rules directly (not the process's table)."""
    p = Fraction(base) + sum(Fraction(shift) * bit for (_, shift), bit in zip(rules, inputs, strict=True))
    return min(max(p, Fraction(0)), Fraction(1)) if clip else p


@pytest.mark.parametrize(
    "rules, base, clip",
    [
        ([(3, "1/2"), (8, "-1/4")], "1/2", False),
        ([(0, "3/10"), (2, "-1/10"), (70, "1/7")], "1/3", False),  # a lag beyond one 64-bit word
        ([(1, "3/4"), (4, "3/4")], "1/10", True),
    ],
)
def test_p_true_is_the_exact_probability_of_each_step(tmp_path, rules, base, clip):
    process = EchoProcess([f"{lag}:{shift}" for lag, shift in rules], base=base, clip=clip, p_x="2/5")
    n = 4000
    x, y, p = load_series(
        write_sample(process, n, 3, tmp_path / "p.npz", probabilities=True, chunk_size=128),
        ("x", "y", "p_true"),
    )
    expected_x, expected_y = sample_series(process, n, 3)
    assert (x == expected_x).all() and (y == expected_y).all()
    top = max(lag for lag, _ in rules)
    for t in range(n):
        if t >= top:  # every input in the file: the exact value, rounded once
            inputs = [int(x[t - lag]) for lag, _ in rules]
            assert p[t] == float(exact_probability(rules, base, clip, inputs))
        else:  # some inputs are the warm-up's, not in the file: p_true is a value they allow
            choices = set()
            for bits in range(2 ** len(rules)):
                inputs = [int(x[t - lag]) if t >= lag else bits >> i & 1 for i, (lag, _) in enumerate(rules)]
                choices.add(float(exact_probability(rules, base, clip, inputs)))
            assert p[t] in choices
    # and p_true is what y follows: the mean of y per value of p_true is near that value
    for value in np.unique(p):
        chosen = y[p == value]
        if chosen.size > 200:
            assert abs(chosen.mean() - value) < 5 * np.sqrt(value * (1 - value) / chosen.size) + 1e-9


def test_probabilities_in_each_format(tmp_path):
    files = [
        write_sample(SEED, 2000, 0, tmp_path / f"p{suffix}", True) for suffix in (".npz", ".npy", ".csv")
    ]
    columns = [load_series(path, ("x", "y", "p_true")) for path in files]
    for other in columns[1:]:
        for a, b in zip(columns[0], other, strict=True):
            assert (a == b).all()
    assert set(np.unique(columns[0][2]).tolist()) <= {0.25, 0.5, 0.75, 1.0}
    assert files[2].read_text().startswith("x,y,p_true\n")
    structured = np.load(files[1])
    assert structured.dtype.names == ("x", "y", "p_true") and structured["p_true"].dtype == np.float64


def test_bad_requests_fail_before_any_file(tmp_path):
    with pytest.raises(EchoTheoryError, match=r"unknown format '.txt'"):
        write_sample(SEED, 10, 0, tmp_path / "s.txt")
    with pytest.raises(EchoTheoryError, match="the rules hold symbols"):
        write_sample(EchoProcess(["3:a"]), 10, 0, tmp_path / "s.npz")
    with pytest.raises(EchoTheoryError, match="steps: 0 is not a whole number from 1 to 1e12"):
        write_sample(SEED, 0, 0, tmp_path / "s.npz")
    with pytest.raises(EchoTheoryError, match=r"need about .* GB and the folder has"):
        write_sample(SEED, 10**12, 0, tmp_path / "s.npz")
    assert not list(tmp_path.iterdir())
