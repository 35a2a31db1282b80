"""``echo-theory sample``: files for any framework, round trips through estimate, and interrupts."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess
from echo_theory.cli import cli
from echo_theory.estimate import estimate_series
from echo_theory.sampler import sample_series

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
RULES = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def run(*args):
    return CliRunner().invoke(cli, ["sample", *map(str, args)])


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv"])
def test_sample_then_estimate_round_trips(tmp_path, suffix):
    path = tmp_path / f"series{suffix}"
    result = run(*RULES, "--steps", "2e4", "--seed", 5, "--output", path)
    assert result.exit_code == 0 and result.output == ""
    estimated = CliRunner().invoke(cli, ["estimate", str(path), "--lags", "3,8", "--format", "json"])
    assert estimated.exit_code == 0, estimated.output
    data = json.loads(estimated.output)
    expected = estimate_series(*sample_series(SEED, 20_000, 5), "3,8")
    assert data["samples"] == 20_000 - 8
    for row, reference in zip(data["rows"], expected.rows, strict=True):
        assert row["estimate"] == reference.plugin and row["stderr"] == reference.stderr


def test_steps_grammar_and_same_bytes(tmp_path):
    run(*RULES, "--steps", "1e4", "--output", tmp_path / "a.npz")
    run(*RULES, "--steps", "10000", "--output", tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as archive:
        assert archive["x"].shape == (10_000,) and archive["y"].dtype == np.uint8


def test_probabilities_column(tmp_path):
    result = run(*RULES, "--steps", "1000", "--probabilities", "--output", tmp_path / "p.csv")
    assert result.exit_code == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "x,y,p_true" and len(lines) == 1001
    assert {line.split(",")[2] for line in lines[1:]} <= {"0.25", "0.5", "0.75", "1.0"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "abc", "--output", "{}/s.npz"], "--steps: 'abc' is not a number"),
        (["--steps", "0", "--output", "{}/s.npz"], "--steps: '0' is not positive"),
        (["--steps", "1.5", "--output", "{}/s.npz"], "--steps: '1.5' is not a whole number"),
        (["--output", "{}/s.txt"], "--output s.txt: unknown format '.txt'"),
        (["--output", "{}/missing/s.npz"], "--output: the folder"),
        (
            ["--steps", "1e13", "--output", "{}/s.npz"],
            "steps: 10000000000000 is not a whole number from 1 to 1e12",
        ),
    ],
)
def test_bad_input_is_one_line_and_no_file(tmp_path, args, message):
    result = run(*RULES, *[a.format(tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: " + message) and result.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_a_symbolic_process_is_refused(tmp_path):
    result = run("--rule", "3:a", "--output", tmp_path / "s.npz")
    assert result.exit_code == 2 and "the rules hold symbols" in result.stderr
    assert not list(tmp_path.iterdir())


def test_help_documents_the_formats_and_the_warm_up():
    text = run("--help").output
    for phrase in (".npz", ".npy", ".csv", "p_true", "y[0] already has its history", "same bytes"):
        assert phrase in text


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_partial_file_and_the_old_one_intact(tmp_path, signum):
    target = tmp_path / "s.csv"
    target.write_bytes(b"old contents")
    # CSV with p_true is the slowest format: the run is still writing when the signal comes
    command = [sys.executable, "-m", "echo_theory", "sample", *RULES, "--steps", "1e8", "--probabilities"]
    process = subprocess.Popen(
        [*command, "--output", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if p.name.endswith(".part")] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # well into writing
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    # Ctrl-C is "Aborted." and 130; SIGTERM ends quietly with 128 + 15, as every command does
    expected = (130, "Aborted.") if signum == signal.SIGINT else (128 + signal.SIGTERM, "")
    assert (process.returncode, stderr.strip()) == expected, stderr
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]
    assert target.read_bytes() == b"old contents"
