"""``echo-theory derive`` through click's CliRunner: formats, options, exit codes, error lines."""

import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess
from echo_theory.cli import cli

SEED = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def run(*args):
    return CliRunner().invoke(cli, ["derive", *args])


def test_default_is_text_for_every_subset():
    result = run(*SEED)
    assert result.exit_code == 0, result.output
    assert result.output == EchoProcess(["3:+0.5", "8:-0.25"]).derive().to_text()
    assert "Learned: x[t-3], x[t-8]" in result.output and "0·log(0)" in result.output


@pytest.mark.parametrize(
    "options, method",
    [
        (["--format", "markdown"], lambda d: d.to_markdown()),
        (["--format", "latex"], lambda d: d.to_latex()),
        (["--format", "latex", "--fragment"], lambda d: d.to_latex(standalone=False)),
        (["--format", "text"], lambda d: d.to_text()),
    ],
)
def test_formats(options, method):
    result = run(*SEED, "--learned", "3", *options)
    assert result.exit_code == 0, result.output
    assert result.output == method(EchoProcess(["3:+0.5", "8:-0.25"]).derive([[3]]))


def test_options_reach_the_derivation():
    result = run(
        "--rule", "2:+0.75", "--base", "0.5", "--p-x", "0.1", "--clip",
        "--learned", "none", "--learned", "2", "--units", "bits",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    process = EchoProcess(["2:+0.75"], base="1/2", p_x="1/10", clip=True)
    assert result.output == process.derive(["none", "2"], units="bits").to_text()
    assert "before clipping" in result.output


def test_symbolic_with_values():
    result = run("--rule", "3:a", "--rule", "8:-b", "--learned", "3", "--at", "a=1/2,b=0.25")
    assert result.exit_code == 0, result.output
    expected = EchoProcess(["3:a", "8:-b"]).derive([[3]], at={"a": "1/2", "b": "1/4"})
    assert result.output == expected.to_text()
    assert "-1/2 ≤ a - b ≤ 1/2" in result.output
    assert "gives the same exact value for every learned set" in result.output


BAD = [
    (["--rule", "3:a", "--at", "a"], "Error: --at: 'a' is not NAME=VALUE (for example a=1/2)"),
    (
        ["--rule", "3:a", "--at", "a=x"],
        "Error: --at: a: 'x' is not a number; give a decimal such as 0.25 or a fraction such as 1/4",
    ),
    (["--rule", "3:a", "--at", "b=1"], "Error: symbol 'b' is not in the rules (symbols: a)"),
    (
        ["--rule", "3:a", "--rule", "8:b", "--at", "a=0"],
        "Error: no value for b: give every symbol a value (symbols: a, b)",
    ),
    (["--rule", "3:0.5", "--at", "a=0"], "Error: the rules have no symbols to substitute values into"),
    (
        ["--rule", "3:a", "--at", "a=1"],
        "Error: P(y=1 | x[t-3]=1) = 3/2 is outside [0, 1]; use --clip to clamp",
    ),
    (["--rule", "3:0.5", "--fragment"], "Error: --fragment goes with --format latex"),
    (["--rule", "3:0.5", "--learned", "4"], "Error: learned lag 4 has no rule (rule lags: 3)"),
    (
        ["--rule", "3:0.5", "--format", "pdf"],
        "Error: Invalid value for '--format': 'pdf' is not one of 'text', 'markdown', 'latex'.",
    ),
    (
        [arg for lag in range(12) for arg in ("--rule", f"{lag}:0.01")] + ["--by", "configurations"],
        "Error: a derivation of 4096 subsets of 12 rules (16781312 terms) is about 1.0e9 steps, past "
        "the budget of 1.0e8 (about 100 s); raise it with --budget 1.1e9 (about 17 min), or choose "
        "fewer subsets with --learned",
    ),
]


@pytest.mark.parametrize("args, line", BAD)
def test_bad_input_is_one_line_and_exit_2(args, line):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line + "\n"


def test_help():
    result = run("--help")
    assert result.exit_code == 0
    for option in ["--rule", "--learned", "--units", "--format", "--fragment", "--at"]:
        assert option in result.output
