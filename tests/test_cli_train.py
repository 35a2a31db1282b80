"""``echo-theory train`` with --cell, --truncation and --seeds, and ``compute --truncation true``."""

import json
import math

import pytest
from click.testing import CliRunner

from echo_theory.cli import cli

SEED = ["--rule", "3:+0.5", "--rule", "8:-0.25"]
SMALL = ["--series-length", "20000", "--batch-size", "20", "--quiet"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def binary_entropy(p):
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("truncation", ["tf", "true"])
def test_cells_and_styles_reach_the_settings(cell, truncation):
    result = run("train", *SEED, *SMALL, "--cell", cell, "--truncation", truncation, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["settings"]["cell"], data["settings"]["truncation"]) == (cell, truncation)
    assert math.isfinite(data["final_loss"])


def test_true_truncation_with_reset_is_bounded_by_the_lags_below_T():
    """Under reset, true truncation's bound is H(Y | X_3) at T = 5 (lag 8 unseen), which the
    seed gives by hand: x_3 = 0 -> P(y=1) = 3/8, x_3 = 1 -> 7/8, each half the time."""
    result = run("train", *SEED, *SMALL, "--truncation", "true", "--reset-state", "--format", "json")
    assert result.exit_code == 0, result.output
    bound = json.loads(result.output)["truncation_bound"]
    by_hand = 0.5 * binary_entropy(3 / 8) + 0.5 * binary_entropy(7 / 8)
    assert bound["learned"] == [3] and bound["exact"] is True
    assert bound["cross_entropy"] == pytest.approx(by_hand, rel=1e-14)


def test_the_table_names_the_cell_and_the_style():
    result = run("train", *SEED, *SMALL, "--cell", "lstm", "--truncation", "true")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith(
        "LSTM: state 4, true truncation: every loss backpropagated 5 steps, state carried along the rows"
    )


def test_seeds_print_a_row_each_then_mean_and_range():
    result = run("train", *SEED, *SMALL, "--seeds", "0-1,4")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].endswith("seeds 0, 1, 4")
    rows = {line.split()[0]: line.split() for line in lines[5:10]}
    assert list(rows) == ["0", "1", "4", "mean", "range"]
    losses = [float(rows[s][1]) for s in ("0", "1", "4")]
    assert float(rows["mean"][1]) == pytest.approx(sum(losses) / 3, abs=1e-4)
    assert rows["range"][1:] == [f"{min(losses):.4f}", "to", f"{max(losses):.4f}"]


def test_seeds_json_is_a_list_of_single_runs():
    many = json.loads(run("train", *SEED, *SMALL, "--seeds", "2,3", "--format", "json").output)
    assert list(many) == ["runs"] and [r["settings"]["seed"] for r in many["runs"]] == [2, 3]
    one = json.loads(run("train", *SEED, *SMALL, "--seed", "3", "--format", "json").output)
    # side by side, each model trains as alone (up to the last bit of a sum's order)
    assert many["runs"][1]["settings"] == one["settings"]
    assert many["runs"][1]["final_loss"] == pytest.approx(one["final_loss"], rel=1e-12)


def test_seeds_with_a_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "seeds.png"
    result = run("train", *SEED, *SMALL, "--cell", "gru", "--seeds", "0,1", "--plot", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args, line",
    [
        (["--cell", "cnn"], "Error: Invalid value for '--cell': 'cnn' is not one of 'rnn', 'gru', 'lstm'."),
        (
            ["--truncation", "full"],
            "Error: Invalid value for '--truncation': 'full' is not one of 'tf', 'true'.",
        ),
        (
            ["--truncation", "true", "--num-steps", "40", "--series-length", "1000", "--batch-size", "20"],
            "Error: --truncation true: --series-length 1000 in 20 rows gives 50 steps per row, fewer than "
            "the 79 (2T - 1) that one block of --num-steps 40 needs",
        ),
        (
            ["--seeds", "3-1"],
            "Error: Invalid value for '--seeds': '3-1': seeds are integers >= 0, ranges low-high",
        ),
        (
            ["--seeds", "a,b"],
            "Error: Invalid value for '--seeds': 'a,b' is not a list of seeds such as 0,1,2 or 0-4",
        ),
        (["--seeds", "1,1"], "Error: Invalid value for '--seeds': '1,1' repeats a seed"),
        (["--seeds", "1,2", "--seed", "4"], "Error: give --seed S or --seeds LIST, not both"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, line):
    result = run("train", *SEED, *args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == line


def test_compute_true_window_column():
    """Each subset's column is H(Y | X_{S, lags <= T-1}): at T = 5 lag 8 is out of reach."""
    result = run("compute", *SEED, "--window", "5", "--truncation", "true", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["window"], data["truncation"]) == (5, "true")
    column = {tuple(row["learned"]): row["window_cross_entropy"] for row in data["rows"]}
    nothing = binary_entropy(1 / 2 + 1 / 4 - 1 / 8)  # P(y=1) = 5/8 on average
    with_3 = 0.5 * binary_entropy(3 / 8) + 0.5 * binary_entropy(7 / 8)
    expected = {(): nothing, (3,): with_3, (8,): nothing, (3, 8): with_3}
    assert column == pytest.approx(expected, rel=1e-14)
    text = run("compute", *SEED, "--window", "5", "--truncation", "true").output
    assert "window T=5, true (nats)" in text


def test_compute_true_needs_a_window():
    result = run("compute", *SEED, "--truncation", "true")
    assert result.exit_code == 2
    assert result.stderr == "Error: --truncation true needs --window T\n"
