"""The command line through click's CliRunner: formats, exit codes and exact error lines."""

import csv
import io
import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from echo_theory import EchoProcess
from echo_theory.cli import cli

SEED = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_compute_table_shows_the_seed():
    result = run("compute", *SEED)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == EchoProcess(["3:+0.5", "8:-0.25"]).describe()
    rows = {line.split()[0]: line.split() for line in lines[4:]}
    assert list(rows) == ["none", "3", "8", "3,8"]
    for learned, value in [
        ("none", 0.6615632381579821),
        ("3", 0.5191666997072094),
        ("8", 0.6277411625893768),
        ("3,8", 0.4544543674493905),
    ]:
        assert float(rows[learned][1]) == pytest.approx(value, abs=1e-10)


def test_compute_json_shape():
    result = run("compute", *SEED, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["process"] == {
        "rules": [{"lag": 3, "shift": "1/2"}, {"lag": 8, "shift": "-1/4"}],
        "base": "1/2",
        "p_x": "1/2",
        "clip": False,
    }
    assert data["units"] == "nats"
    assert [row["learned"] for row in data["rows"]] == [[], [3], [8], [3, 8]]
    for row in data["rows"]:
        assert set(row) == {"learned", "cross_entropy", "exact", "information"}
        expected = EchoProcess(["3:+0.5", "8:-0.25"]).cross_entropy(row["learned"])
        assert row["cross_entropy"] == expected.value  # full precision survives JSON
        assert row["exact"] == expected.text
    assert data["rows"][1]["exact"] == "3*log(2) - 3/16*log(3) - 5/16*log(5) - 7/16*log(7)"
    assert abs(data["rows"][1]["information"] - 0.142396538450773) < 1e-12


def test_compute_json_symbolic_rows_are_null():
    data = json.loads(run("compute", "--rule", "3:a", "--rule", "8:-b", "--format", "json").output)
    assert data["process"]["rules"] == [{"lag": 3, "shift": "a"}, {"lag": 8, "shift": "-b"}]
    for row in data["rows"]:
        assert row["cross_entropy"] is None and row["information"] is None
        assert "log" in row["exact"]


def test_compute_learned_and_units():
    data = json.loads(
        run(
            "compute", *SEED, "--learned", "3,8", "--learned", "none", "--units", "bits", "--format", "json"
        ).output
    )
    assert data["units"] == "bits"
    assert [row["learned"] for row in data["rows"]] == [[3, 8], []]
    assert data["rows"][0]["exact"] == "5/4 - 3/8*log2(3)"


def test_compute_options_reach_the_process():
    data = json.loads(
        run(
            "compute", "--rule", "2:+0.75", "--base", "0.5", "--p-x", "0.1", "--clip", "--format", "json"
        ).output
    )
    assert data["process"] == {
        "rules": [{"lag": 2, "shift": "3/4"}],
        "base": "1/2",
        "p_x": "1/10",
        "clip": True,
    }
    process = EchoProcess(["2:+0.75"], base="1/2", p_x="1/10", clip=True)
    assert data["rows"][1]["cross_entropy"] == process.cross_entropy([2]).value


def test_compute_csv():
    result = run("compute", *SEED, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["learned"] for row in rows] == ["none", "3", "8", "3,8"]
    assert float(rows[3]["cross_entropy"]) == EchoProcess(["3:+0.5", "8:-0.25"]).cross_entropy([3, 8]).value


def test_compute_markdown_and_latex():
    markdown = run("compute", *SEED, "--format", "markdown").output
    assert r"| {3} | 0.5191666997 | 0.1423965385 | $3 \log 2 - \frac{3}{16} \log 3" in markdown
    latex = run("compute", *SEED, "--format", "latex").output
    assert latex.startswith(
        "\\noindent\n\\begin{tabularx}{\\linewidth}{lrr>{\\raggedright\\arraybackslash}X}"
    )
    assert r"$\emptyset$ & 0.6615632382" in latex
    assert r"$\{3, 8\}$ & 0.4544543674" in latex


BAD_INPUT = [
    (["--rule", "3+0.5"], "Error: rule '3+0.5' is not LAG:SHIFT (for example 3:+0.5)"),
    (["--rule", "-3:0.5"], "Error: rule '-3:0.5': the lag must be an integer >= 0, not -3"),
    (["--rule", "3:0.5", "--rule", "3:0.1"], "Error: lag 3 has two rules; give each lag once"),
    (
        ["--rule", "3:+0.5", "--rule", "5:+0.5"],
        "Error: P(y=1 | x[t-3]=1, x[t-5]=1) = 3/2 is outside [0, 1]; use --clip to clamp",
    ),
    (["--rule", "3:0.1", "--base", "1.5"], "Error: --base: 3/2 is outside [0, 1]"),
    (["--rule", "3:0.1", "--p-x", "-0.5"], "Error: --p-x: -1/2 is outside [0, 1]"),
    (
        ["--rule", "3:0.1", "--p-x", "half"],
        "Error: --p-x: 'half' is not a number; give a decimal such as 0.25 or a fraction such as 1/4",
    ),
    (
        ["--rule", "3:0.1", "--base", "0.5.1"],
        "Error: --base: '0.5.1' is not a number; give a decimal such as 0.25 or a fraction such as 1/4",
    ),
    (
        ["--rule", "3:x+1"],
        "Error: rule '3:x+1': shift: 'x+1' is not a number (0.5, -1/4) or a symbol name (a, -b, s_3)",
    ),
    (["--rule", "3:0.1", "--learned", "5"], "Error: learned lag 5 has no rule (rule lags: 3)"),
    (["--rule", "3:0.1", "--learned", "3;5"], "Error: lags '3;5': the lag '3;5' is not a whole number >= 0"),
    (
        ["--rule", "3:0.1", "--units", "shannons"],
        "Error: Invalid value for '--units': 'shannons' is not one of 'nats', 'bits'.",
    ),
    (
        ["--rule", "3:0.1", "--format", "xml"],
        "Error: Invalid value for '--format': 'xml' is not one of 'table', 'json', 'csv', 'markdown', 'latex'.",  # noqa: E501
    ),
    (["--rule"], "Error: Option '--rule' requires an argument."),
]


@pytest.mark.parametrize("args, line", BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(args, line):
    result = run("compute", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line + "\n"


def test_thirteen_rules_with_learned_none_are_computed():
    rules = [arg for lag in range(1, 14) for arg in ("--rule", f"{lag}:0.01")]
    result = run("compute", *rules, "--learned", "none", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"][0]["learned"] == []


def test_too_much_work_is_refused_with_the_estimate_and_the_way_on():
    rules = [arg for lag in range(1, 31) for arg in ("--rule", f"{lag}:{1 / (lag + 1)!s:.8}")]
    result = run("compute", *rules, "--clip")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: every subset of 30 rules (1073741824 subsets) is about ")
    assert "raise it with --budget " in result.stderr
    assert result.stderr.count("\n") == 1
    result = run("compute", *rules[:8], "--clip", "--budget", "10")
    assert result.exit_code == 2 and "past the budget of 1.0e1" in result.stderr


def test_unknown_option_and_command():
    result = run("compute", "--bogus")
    assert (result.exit_code, result.stderr.count("\n")) == (2, 1)
    assert result.stderr.startswith("Error: No such option")
    result = run("nope")
    assert (result.exit_code, result.stderr) == (2, "Error: No such command 'nope'.\n")


def test_bare_command_shows_help():
    result = run()
    assert result.exit_code == 0
    assert "compute" in result.output


def test_every_command_has_help():
    for name, command in cli.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert command.help and "Usage:" in result.output


def test_version():
    from echo_theory import __version__

    assert run("--version").output.strip().endswith(__version__)


def test_python_dash_m(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "echo_theory", "compute", *SEED, "--learned", "3", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert (
        json.loads(result.stdout)["rows"][0]["cross_entropy"]
        == EchoProcess(["3:+0.5", "8:-0.25"]).cross_entropy([3]).value
    )


def test_compute_window_json():
    result = run("compute", *SEED, "--window", "9", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["window"] == 9
    process = EchoProcess(["3:+0.5", "8:-0.25"])
    for row in data["rows"]:
        # the existing keys keep their meaning; the window optimum comes beside them
        assert set(row) == {
            "learned",
            "cross_entropy",
            "exact",
            "information",
            "window_cross_entropy",
            "window_exact",
        }
        assert row["cross_entropy"] == process.cross_entropy(row["learned"]).value
        window = process.window_cross_entropy(row["learned"], 9)
        assert (row["window_cross_entropy"], row["window_exact"]) == (window.value, window.text)


def test_compute_window_table_and_csv():
    lines = run("compute", *SEED, "--window", "4").output.splitlines()
    assert lines[2].split("  ")[:4] == [
        "learned",
        "cross entropy (nats)",
        "information (nats)",
        "window T=4 (nats)",
    ]
    rows = list(csv.DictReader(io.StringIO(run("compute", *SEED, "--window", "4", "--format", "csv").output)))
    value = EchoProcess(["3:+0.5", "8:-0.25"]).window_cross_entropy([3, 8], 4).value
    assert float(rows[3]["window_cross_entropy"]) == value


@pytest.mark.parametrize("text", ["0", "-2", "2.5", "five"])
def test_compute_window_must_be_a_whole_number(text):
    result = run("compute", *SEED, "--window", text)
    assert result.exit_code == 2
    assert result.stderr == f"Error: Invalid value for '--window': '{text}' is not an integer >= 1\n"


# --- echo-theory train ---------------------------------------------------------------------------

SMALL = ["--series-length", "20000", "--batch-size", "20"]


def test_train_json_shape():
    result = run("train", *SEED, *SMALL, "--seed", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    data = json.loads(result.output)
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
    assert data["process"] == EchoProcess(["3:+0.5", "8:-0.25"]).to_dict()
    assert data["settings"] == {
        "num_steps": 5,
        "state_size": 4,
        "batch_size": 20,
        "epochs": 1,
        "series_length": 20000,
        "learning_rate": 0.1,
        "optimizer": "adagrad",
        "reset_state": False,
        "clip_norm": None,
        "seed": 3,
        "cell": "rnn",
        "truncation": "tf",
    }
    assert isinstance(data["final_loss"], float)
    assert set(data["nearest"]) == {"learned", "cross_entropy"}
    assert data["truncation_bound"] == {"learned": [3], "cross_entropy": 0.5191666997072094, "exact": False}
    assert [set(e) for e in data["lag_effects"]] == [{"lag", "exact", "measured", "stderr", "fraction"}] * 2
    assert set(data["verdict"]) == {"kind", "learned", "partial", "text"}
    assert set(data["best_match"]) == {"learned", "divergence"}
    assert [list(point) for point in data["history"]] == [["epoch", "window", "train_loss"]] * 2
    assert [(point["epoch"], point["window"]) for point in data["history"]] == [(1, 100), (1, 200)]


def test_train_options_reach_the_settings():
    args = ["--num-steps", "4", "--state-size", "6", "--epochs", "2", "--learning-rate", "0.01"]
    args += ["--optimizer", "adam", "--reset-state", "--clip-norm", "5", "--quiet", "--format", "json"]
    data = json.loads(run("train", *SEED, *SMALL, *args).output)
    settings = data["settings"]
    assert (settings["num_steps"], settings["state_size"], settings["epochs"]) == (4, 6, 2)
    assert (settings["optimizer"], settings["learning_rate"], settings["clip_norm"]) == ("adam", 0.01, 5.0)
    assert settings["reset_state"] is True and data["truncation_bound"]["exact"] is True
    process = EchoProcess(["3:+0.5", "8:-0.25"])
    assert data["truncation_bound"]["cross_entropy"] == process.window_cross_entropy([3], 4).value
    assert data["lag_effects"][1]["measured"] is None


def test_train_table():
    result = run("train", *SEED, *SMALL)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == EchoProcess(["3:+0.5", "8:-0.25"]).describe()
    assert lines[1].startswith("RNN: state 4, windows of 5 steps, state carried across windows; batch 20")
    assert lines[3].startswith("verdict: ")
    assert lines[7].startswith("held-out loss")
    assert "nearest" not in result.output  # the JSON keeps it; the table does not present it as learned


def test_train_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curve.png"
    result = run("train", *SEED, *SMALL, "--plot", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_train_plot_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    result = run("train", *SEED, "--plot", str(tmp_path / "curve.png"))  # fails before training
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: --plot needs matplotlib, an optional extra: pip install 'echo-theory[plot]'\n"
    )
    assert not (tmp_path / "curve.png").exists()


TRAIN_BAD_INPUT = [
    (["--num-steps", "0"], "Error: Invalid value for '--num-steps': '0' is not an integer >= 1"),
    (["--state-size", "x"], "Error: Invalid value for '--state-size': 'x' is not an integer >= 1"),
    (["--seed", "-1"], "Error: Invalid value for '--seed': '-1' is not an integer >= 0"),
    (["--learning-rate", "0"], "Error: Invalid value for '--learning-rate': '0' is not a number > 0"),
    (["--learning-rate", "inf"], "Error: Invalid value for '--learning-rate': 'inf' is not a number > 0"),
    (["--clip-norm", "-1"], "Error: Invalid value for '--clip-norm': '-1' is not a number > 0"),
    (
        ["--optimizer", "rmsprop"],
        "Error: Invalid value for '--optimizer': 'rmsprop' is not one of 'adagrad', 'sgd', 'adam'.",
    ),
    (
        ["--series-length", "999"],
        "Error: --series-length 999 in 200 rows gives 4 steps per row, "
        "fewer than one window of --num-steps 5",
    ),
    (
        ["--series-length", "1600"],
        "Error: rule lag 8 is not shorter than a row of the series "
        "(8 steps: --series-length 1600 in 200 rows)",
    ),
    (["--state-size", "5000"], "Error: --state-size 5000 is above the limit of 1024"),
    (["--plot", "/no/such/dir/curve.png"], "Error: --plot: the folder '/no/such/dir' does not exist"),
    (
        ["--plot", "/proc/c.png"],
        "Error: --plot: cannot write in the folder '/proc': No such file or directory",
    ),
    (
        ["--plot", "c" * 300 + ".png"],
        "Error: --plot: the file name is 304 bytes, too long to write",
    ),
    (
        ["--plot", "curve.jpg"],
        "Error: --plot: 'curve.jpg' ends in '.jpg'; give a name ending in .png, .pdf, .svg",
    ),
    (
        ["--series-length", "20000", "--optimizer", "sgd", "--learning-rate", "1e308"],
        "Error: training diverged at epoch 1, window 2: the loss (inf) stopped being finite; "
        "try a smaller --learning-rate than 1e+308, or --clip-norm 1",
    ),
]


@pytest.mark.parametrize("args, line", TRAIN_BAD_INPUT)
def test_train_bad_input_is_one_line_and_exit_2(args, line):
    result = run("train", *SEED, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line + "\n"


def test_train_symbolic_process():
    result = run("train", "--rule", "3:a")
    assert result.exit_code == 2
    assert (
        result.stderr == "Error: training samples the process, so its shifts must be numbers (symbols: a)\n"
    )


def test_progress_line(capsys):
    from echo_theory.cli.train import ProgressLine

    progress = ProgressLine(epochs=2)
    progress(1, 100, 1000, 0.61234)
    progress(1, 1000, 1000, 0.52)  # the last window of an epoch is always drawn
    progress.close()
    err = capsys.readouterr().err
    assert err.startswith("\repoch 1/2 [##......................] window 100/1000  loss 0.6123")
    assert "\repoch 1/2 [########################] window 1000/1000  loss 0.5200" in err
    assert err.endswith("\r")  # the line is cleared before the result is printed


# --- one grammar for numbers, and fuzzing the grammars --------------------------------------


@pytest.mark.parametrize("text", ["1_0", "\u0661\u0660", "\uff15", "+3", "3.0", "1e1", "0x10", "", " "])
@pytest.mark.parametrize("option", ["--window"])
def test_integer_options_take_ascii_digits_only(option, text):
    result = run("compute", *SEED, option, text)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: Invalid value for '{option}': ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["train", *SEED, "--num-steps", "1_0"],
        ["train", *SEED, "--seed", "\u0661"],
        ["train", *SEED, "--learning-rate", "1_0"],
        ["train", *SEED, "--learning-rate", "\u0661.5"],
        ["train", *SEED, "--learning-rate", "nan"],
        ["train", *SEED, "--clip-norm", "infinity"],
        ["simulate", *SEED, "--seed", "1_0"],
        ["simulate", *SEED, "--jobs", "\uff12"],
    ],
)
def test_number_options_share_the_rules_grammar(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for ") and result.stderr.count("\n") == 1


def test_a_huge_integer_option_is_too_large():
    result = run("compute", *SEED, "--window", "9" * 40)
    assert result.exit_code == 2
    assert result.stderr == "Error: Invalid value for '--window': '" + "9" * 40 + "' is too large\n"


def test_number_options_accept_the_rules_spellings():
    data = json.loads(
        run(
            "train", *SMALL, *SEED, "--learning-rate", "1/20", "--clip-norm", "5e0", "--format", "json"
        ).output
    )
    assert data["settings"]["learning_rate"] == 0.05 and data["settings"]["clip_norm"] == 5.0


def _one_line_error(result) -> bool:
    return (
        result.exit_code == 2
        and result.stdout == ""
        and result.stderr.startswith("Error: ")
        and result.stderr.count("\n") == 1
        and result.stderr.endswith("\n")
    )


@given(st.text(max_size=30))
def test_any_rule_text_is_a_result_or_one_line(text):
    result = run("compute", "--rule", text, "--learned", "none")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0 or _one_line_error(result), (text, result.output)
    if result.exit_code == 0:  # a valid rule: LAG:SHIFT with an ASCII lag and a number or a name
        condition, _, shift = text.strip().partition(":")
        lags = condition.strip().replace("&", "^").split("^")  # one lag, or lags joined by & or ^
        assert all(lag.isascii() and lag.isdigit() for lag in lags), text
        assert shift.strip() and shift.strip().isascii(), text


@given(st.text(max_size=20) | st.integers(-5, 10**6).map(str))
def test_any_integer_option_text_is_a_result_or_one_line(text):
    result = run("compute", "--rule", "3:+0.5", "--learned", "3", "--window", text)
    assert result.exit_code == 0 or _one_line_error(result), (text, result.output)
    # the oracle: Python's int() after checking the spelling by hand
    plain = text.strip()
    valid = plain != "" and all(c in "0123456789" for c in plain) and len(plain.lstrip("0")) <= 30
    assert (result.exit_code == 0) == (valid and int(plain) >= 1), text


@given(st.text(max_size=20) | st.floats(allow_nan=True, allow_infinity=True).map(repr))
def test_any_real_option_text_is_a_number_or_one_line(text):
    # --num-steps 0 is an error after --learning-rate is read: no training ever starts
    result = run("train", "--rule", "3:+0.5", "--learning-rate", text, "--num-steps", "0")
    assert _one_line_error(result), (text, result.output)
    plain = text.strip()
    try:
        number = float(plain)
    except ValueError:
        number = None
    spelled = plain.isascii() and "_" not in plain and not any(c.isalpha() and c not in "eE" for c in plain)
    valid = number is not None and spelled and math.isfinite(number) and number > 0
    if valid:
        assert "'--num-steps'" in result.stderr, (text, result.stderr)
    elif "/" not in plain:  # fractions (1/20) are valid too, and float() cannot read them
        assert "'--learning-rate'" in result.stderr, (text, result.stderr)


def test_the_signal_handlers_are_the_callers_again_after_a_command():
    import signal

    assert run("compute", *SEED).exit_code == 0
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL


def test_train_help_says_its_rules_are_numbers_and_it_has_q():
    text = run("train", "--help").output
    assert "3:a" not in text and "numbers: this command samples" in " ".join(text.split())
    assert "-q, --quiet" in text
    assert "3:a" not in run("simulate", "--help").output
    assert "3:a" in run("compute", "--help").output
    result = run("train", *SEED, *SMALL, "-q")
    assert result.exit_code == 0 and result.stderr == ""


@given(st.text(max_size=30))
def test_any_learned_text_is_a_result_or_one_line(text):
    result = run("compute", *SEED, "--learned", text)
    assert result.exit_code == 0 or _one_line_error(result), (text, result.output)


def test_compute_interaction_rules():
    result = run("compute", "--rule", "3^8:+0.4", "--base", "0.3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["process"]["rules"] == [{"lags": [3, 8], "kind": "xor", "shift": "2/5", "rule": "3^8:+2/5"}]
    exact = {tuple(row["learned"]): row["exact"] for row in data["rows"]}
    assert exact[()] == exact[(3,)] == exact[(8,)] == "log(2)"
    table = run("compute", "--rule", "3:+0.3", "--rule", "8:+0.3", "--rule", "3&8:-0.4", "--learned", "3")
    assert table.output.startswith(
        "x[t] ~ Bernoulli(1/2); P(y[t]=1 | x) = 1/2 + 3/10*x[t-3] + 3/10*x[t-8] - 2/5*x[t-3]*x[t-8]\n"
    )


@pytest.mark.parametrize(
    "rule, line",
    [
        ("3&", "Error: rule '3&': '&' has no lag after it"),
        (
            "3&8^2:+0.4",
            "Error: rule '3&8^2:+0.4': the condition '3&8^2' mixes & (and) with ^ (xor); "
            "no precedence is defined, so give one operator per rule",
        ),
        (
            "3 ^ 8:+0.4",
            "Error: rule '3 ^ 8:+0.4': the condition '3 ^ 8' has spaces inside; write it without them",
        ),
    ],
)
def test_malformed_interaction_rules_exit_2(rule, line):
    for command in ("compute", "derive", "simulate", "train"):
        result = run(command, "--rule", rule)
        assert result.exit_code == 2 and result.stdout == "" and result.stderr == line + "\n", command


def test_train_reports_rule_effects():
    result = run(
        "train", "--rule", "3^8:+0.4", "--base", "0.3", *SMALL, "--num-steps", "9", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    (effect,) = json.loads(result.output)["rule_effects"]
    assert set(effect) == {"rule", "exact", "measured", "stderr", "fraction"}
    assert (effect["rule"], effect["exact"]) == ("3^8:+2/5", 0.4)
