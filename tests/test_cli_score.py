"""``echo-theory score FILE``: the formats, the outputs, and one clear line for each bad input."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess
from echo_theory.cli import cli
from echo_theory.diagnosis import score
from echo_theory.sampler import sample_series

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
RULES = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def run(*args):
    return CliRunner().invoke(cli, ["score", *map(str, args)])


@pytest.fixture(scope="module")
def series():
    x, y = sample_series(SEED, 20_000, 4)
    p = np.full(x.size, np.nan)  # a model that learned lag 3: P(y=1 | x3) = 3/8 or 7/8
    p[8:] = np.where(x[5:-3] == 1, 7 / 8, 3 / 8)
    return x, y, p


def write_csv(path, columns):
    names = list(columns)
    rows = zip(*(columns[name] for name in names), strict=True)
    path.write_text(",".join(names) + "\n" + "".join(",".join(map(repr, map(float, r))) + "\n" for r in rows))


@pytest.fixture(scope="module")
def files(series, tmp_path_factory):
    x, y, p = series
    folder = tmp_path_factory.mktemp("predictions")
    np.savez(folder / "run.npz", x=x, y=y, p=p)
    structured = np.zeros(x.size, dtype=[("x", "u1"), ("y", "u1"), ("p", "f8")])
    structured["x"], structured["y"], structured["p"] = x, y, p
    np.save(folder / "run.npy", structured)
    lines = ["x,y,p"] + [f"{a},{b},{c!r}" for a, b, c in zip(x, y, p.tolist(), strict=True)]
    (folder / "run.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("name", ["run.npz", "run.npy", "run.csv"])
def test_every_format_gives_the_library_result(files, series, name):
    result = run(files / name, *RULES, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == json.loads(json.dumps(score(SEED, *series).to_dict()))
    assert data["verdict"]["kind"] == "level" and data["verdict"]["learned"] == [3]
    assert data["best_match"]["learned"] == [3]


def test_table_markdown_and_csv(files):
    table = run(files / "run.npz", *RULES)
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0] == SEED.describe()
    assert lines[1] == "run.npz: 19,992 predicted rows in 64 batches"
    assert lines[3].startswith("verdict: level. It uses lag 3 fully and no other")
    markdown = run(files / "run.npz", *RULES, "--format", "markdown").output
    assert markdown.startswith(f"`{SEED.describe()}`") and "| lag |" in markdown
    csv = run(files / "run.npz", *RULES, "--format", "csv").output.splitlines()
    assert csv[0] == "quantity,learned,value,stderr"
    assert csv[4] == "verdict,3,level,"


def test_window_option(files):
    data = json.loads(run(files / "run.npz", *RULES, "--window", "5", "--format", "json").output)
    assert data["window"] == 5
    assert data["levels"][1]["cross_entropy"] == SEED.window_cross_entropy([3], 5).value
    assert data["lag_effects"][1]["measured"] is None  # a 5-step window never sees 8 back


def test_an_infinite_loss_is_reported(tmp_path, series):
    x, y, p = series
    p = p.copy()
    p[np.flatnonzero(y[8:] == 1)[0] + 8] = 0.0
    np.savez(tmp_path / "bad.npz", x=x, y=y, p=p)
    result = run(tmp_path / "bad.npz", *RULES)
    assert result.exit_code == 0
    assert "verdict: worse_than_nothing. Its loss inf is above H(Y)" in result.output
    assert math.isinf(json.loads(run(tmp_path / "bad.npz", *RULES, "--format", "json").output)["loss"])


def one_line_error(result, *parts):
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    for part in parts:
        assert part in result.stderr, result.stderr


def test_missing_columns(tmp_path, series):
    x, y, p = series
    np.savez(tmp_path / "no_p.npz", x=x, y=y)
    one_line_error(run(tmp_path / "no_p.npz", *RULES), "no_p.npz", "p")
    write_csv(tmp_path / "no_x.csv", {"y": y[:3000], "p": p[:3000]})
    one_line_error(run(tmp_path / "no_x.csv", *RULES), "no_x.csv", "x")
    np.save(tmp_path / "pairs.npy", np.stack([x, y], axis=1))  # a plain (n, 2) array has no p
    one_line_error(run(tmp_path / "pairs.npy", *RULES), "pairs.npy", "p")


def test_p_outside_the_unit_interval_names_the_row(tmp_path, series):
    x, y, p = series
    bad = p.copy()
    bad[100] = 1.5
    np.savez(tmp_path / "over.npz", x=x, y=y, p=bad)
    one_line_error(run(tmp_path / "over.npz", *RULES), "over.npz", "100", "1.5")
    lines = ["x,y,p"] + [
        f"{a},{b},{c!r}" for a, b, c in zip(x[:3000], y[:3000], p[:3000].tolist(), strict=True)
    ]
    lines[51] = f"{x[50]},{y[50]},abc"  # line 52 of the file, the header being line 1
    (tmp_path / "text.csv").write_text("\n".join(lines) + "\n")
    one_line_error(run(tmp_path / "text.csv", *RULES), "text.csv", "line 52", "abc")


def test_columns_of_different_lengths(tmp_path, series):
    x, y, p = series
    np.savez(tmp_path / "short.npz", x=x, y=y, p=p[:-5])
    one_line_error(run(tmp_path / "short.npz", *RULES), "short.npz", "length")


def test_too_few_rows_for_the_rule_lags(tmp_path, series):
    x, y, p = series
    np.savez(tmp_path / "few.npz", x=x[:500], y=y[:500], p=p[:500])
    one_line_error(run(tmp_path / "few.npz", *RULES), "500 rows", "lags up to 8", "2888")


def test_a_symbolic_process_is_refused(files):
    one_line_error(run(files / "run.npz", "--rule", "3:a", "--rule", "8:-0.25"), "symbols (a)")


def test_an_unknown_format(tmp_path):
    (tmp_path / "run.txt").write_text("x,y,p\n")
    one_line_error(run(tmp_path / "run.txt", *RULES), "run.txt", "unknown format")


# --- the round trip: train --save-predictions, then score ----------------------------------------

TRAIN = ["train", *RULES, "--series-length", "20000", "--batch-size", "20", "--format", "json"]


@pytest.mark.parametrize(
    "name, extra", [("held.npz", []), ("held.npy", []), ("held.csv", ["--num-steps", "6", "--reset-state"])]
)
def test_train_then_score_gives_the_same_loss(tmp_path, name, extra):
    path = tmp_path / name
    trained = CliRunner().invoke(cli, [*TRAIN, *extra, "--save-predictions", str(path)])
    assert trained.exit_code == 0, trained.output
    window = ["--window", "6"] if extra else []
    scored = run(path, *RULES, *window, "--format", "json")
    assert scored.exit_code == 0, scored.output
    a, b = json.loads(trained.output), json.loads(scored.output)
    assert abs(a["final_loss"] - b["loss"]) < 1e-9
    assert a["verdict"] == b["verdict"] and a["best_match"] == b["best_match"]
    if extra:  # 1000-step rows hold 166 windows of 6: 4 steps per row are NaN, and restart windows
        assert b["samples"] == 20 * 166 * 6


def test_save_predictions_target_is_checked_before_training(tmp_path):
    result = CliRunner().invoke(cli, [*TRAIN, "--save-predictions", str(tmp_path / "missing" / "p.npz")])
    one_line_error(result, "--save-predictions", "does not exist")
    result = CliRunner().invoke(cli, [*TRAIN, "--save-predictions", str(tmp_path / "p.txt")])
    one_line_error(result, "--save-predictions", ".txt")


def test_save_predictions_refuses_an_unknown_format_before_training(tmp_path):
    target = tmp_path / "held.txt"
    result = CliRunner().invoke(
        cli,
        [
            "train",
            *RULES,
            "--series-length",
            "20000",
            "--batch-size",
            "20",
            "--save-predictions",
            str(target),
        ],
    )
    assert result.exit_code == 2 and not target.exists()
    assert result.stderr == (
        "Error: --save-predictions held.txt: unknown format '.txt'; give a .csv, .npy or .npz file\n"
    )
