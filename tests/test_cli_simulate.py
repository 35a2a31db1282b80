"""``echo-theory simulate`` through click's CliRunner: formats, the JSON contract, exact error lines."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess
from echo_theory.cli import cli
from echo_theory.simulation import simulate

SEED = ["--rule", "3:+0.5", "--rule", "8:-0.25"]
PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])


def run(*args):
    return CliRunner().invoke(cli, ["simulate", *args])


def test_the_done_when_command():
    result = run(*SEED, "--samples", "1e7", "--seed", "0")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == PROCESS.describe()
    assert lines[1] == "10000000 samples in 64 independent blocks, seed 0"
    rows = {line.split()[0]: line.split() for line in lines[5:]}
    assert list(rows) == ["none", "3", "8", "3,8"]
    for learned, cells in rows.items():
        exact = PROCESS.cross_entropy(learned).value
        assert float(cells[3]) == pytest.approx(exact, abs=5e-9)
        assert abs(float(cells[1]) - exact) < 3 * float(cells[2])
        assert cells[5] == "agrees"
    assert result.stderr == ""  # no progress bar: stderr is not a terminal


def test_json_contract():
    result = run(*SEED, "--samples", "2e4", "--seed", "4", "--format", "json", "--learned", "3")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {"process", "samples", "seed", "units", "rows"} <= set(data)
    assert data["process"] == PROCESS.to_dict()
    assert (data["samples"], data["seed"], data["units"]) == (20000, 4, "nats")
    (row,) = data["rows"]
    assert {"learned", "estimate", "stderr", "exact", "z"} <= set(row)
    library = simulate(PROCESS, 20_000, seed=4, learned=["3"]).rows[0]
    assert row["learned"] == [3]
    assert row["estimate"] == library.estimate.plugin and row["stderr"] == library.estimate.stderr
    assert row["exact"] == PROCESS.cross_entropy([3]).value
    assert row["z"] == pytest.approx((row["estimate"] - row["exact"]) / row["stderr"])


def test_same_output_for_any_jobs():
    one = run(*SEED, "--samples", "1e5", "--format", "json")
    two = run(*SEED, "--samples", "1e5", "--format", "json", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0 and one.output == two.output
    assert run(*SEED, "--samples", "1e5", "--format", "json", "--seed", "1").output != one.output


def test_csv_markdown_and_units():
    result = run(*SEED, "--samples", "1e4", "--format", "csv", "--units", "bits")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["learned"] for row in rows] == ["none", "3", "8", "3,8"]
    assert float(rows[3]["exact"]) == PROCESS.cross_entropy([3, 8], units="bits").value
    assert rows[3]["exact_text"] == "5/4 - 3/8*log2(3)"
    markdown = run(*SEED, "--samples", "1e4", "--format", "markdown").output
    assert "| {3, 8} |" in markdown and "| learned | estimate (nats) |" in markdown


def test_quiet_and_help():
    result = run(*SEED, "--samples", "1e4", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    help_text = run("--help").output
    for option in ("--samples", "--seed", "--jobs", "--learned", "--quiet", "--p-x", "--clip"):
        assert option in help_text


BAD_INPUT = [
    (
        ["--rule", "3:a"],
        "Error: the rules hold symbols (a); simulating needs numbers: give shifts such as 3:+0.5",
    ),
    ([*SEED, "--samples", "1.5"], "Error: --samples: '1.5' is not a whole number"),
    ([*SEED, "--samples", "0"], "Error: --samples: '0' is not positive"),
    ([*SEED, "--samples", "-1e6"], "Error: --samples: '-1e6' is not positive"),
    (
        [*SEED, "--samples", "ten"],
        "Error: --samples: 'ten' is not a number; give a count such as 10000000 or 1e7",
    ),
    (
        [*SEED, "--samples", "500"],
        "Error: --samples: 500 is below the minimum of 1000 (the run is 64 independent blocks, "
        "which give the standard error)",
    ),
    (
        [*SEED, "--samples", "2e12"],
        "Error: --samples: 2000000000000 is more than the limit of 1e12 (hours of work even on the "
        "fast path, for a standard error already below 1e-6)",
    ),
    ([*SEED, "--seed", "-1"], "Error: Invalid value for '--seed': '-1' is not an integer >= 0"),
    ([*SEED, "--jobs", "0"], "Error: Invalid value for '--jobs': '0' is not an integer in 1..64"),
    ([*SEED, "--learned", "5"], "Error: learned lag 5 has no rule (rule lags: 3, 8)"),
    (
        ["--rule", "3:+0.5", "--rule", "5:+0.5"],
        "Error: P(y=1 | x[t-3]=1, x[t-5]=1) = 3/2 is outside [0, 1]; use --clip to clamp",
    ),
]


@pytest.mark.parametrize("args, line", BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(args, line):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line + "\n"


def test_clip_and_p_x_reach_the_simulation():
    result = run(
        "--rule",
        "0:+0.75",
        "--rule",
        "2:+0.75",
        "--base",
        "0.1",
        "--p-x",
        "0.3",
        "--clip",
        "--samples",
        "2e5",
        "--format",
        "json",
    )
    data = json.loads(result.output)
    assert data["process"] == {
        "rules": [{"lag": 0, "shift": "3/4"}, {"lag": 2, "shift": "3/4"}],
        "base": "1/10",
        "p_x": "3/10",
        "clip": True,
    }
    assert all(abs(row["z"]) < 5 for row in data["rows"])


def test_the_jobs_limit_is_the_block_count():
    from echo_theory.cli.simulate import _BLOCKS
    from echo_theory.simulation import BLOCKS

    assert _BLOCKS == BLOCKS


def test_the_exact_commands_do_not_load_numpy():
    """numpy loads with simulate and estimate only, so `compute` keeps its cold start."""
    import subprocess
    import sys

    code = (
        "import sys, echo_theory, echo_theory.cli;"
        "echo_theory.cli.cli(['compute', '--rule', '3:0.5'], standalone_mode=False);"
        "print('numpy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("False")


def test_the_progress_bar_waits_and_goes_to_stderr(monkeypatch, capsys):
    import echo_theory.cli.simulate as command

    quiet = command._Progress(1000, enabled=False)
    quiet(500)
    quiet.close()
    assert capsys.readouterr() == ("", "")
    monkeypatch.setattr(command, "_BAR_AFTER", 3600.0)
    short = command._Progress(1000, enabled=True)
    short(500)  # a run shorter than the wait never shows a bar
    assert short.bar is None
    monkeypatch.setattr(command, "_BAR_AFTER", 0.0)
    shown = command._Progress(1000, enabled=True)
    shown(400)
    shown(600)
    assert shown.bar is not None and shown.bar.pos == 1000
    shown.close()
    out, err = capsys.readouterr()
    assert out == "" and "simulating" in err
