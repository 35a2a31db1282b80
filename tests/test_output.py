import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from echo_theory.cli.output import to_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_to_json_round_trips(value):
    assert json.loads(to_json(value)) == value


def test_short_flat_things_stay_inline():
    text = to_json({"rules": [{"lag": 3, "shift": "1/2"}], "learned": [3, 8]})
    assert text == '{\n  "rules": [\n    {"lag": 3, "shift": "1/2"}\n  ],\n  "learned": [3, 8]\n}'


# --- a stdout that cannot take the output ---------------------------------------------------

FULL_DISK = "Error: cannot write the output: No space left on device"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["compute", "--rule", "3:+0.5", "--rule", "8:-0.25"],
        ["simulate", "--rule", "3:+0.5", "--samples", "1e4", "--quiet"],
        ["estimate", "SERIES", "--lags", "3"],
        ["train", "--rule", "3:+0.5", "--series-length", "2000", "--batch-size", "10", "--quiet"],
        ["derive", "--rule", "3:+0.5", "--learned", "3"],
        ["--help"],
    ],
    ids=lambda args: args[0],
)
def test_a_full_stdout_is_one_line_and_exit_1(args, tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("x,y\n" + "".join(f"{i % 2},{i // 3 % 2}\n" for i in range(2000)))
    args = [str(series) if arg == "SERIES" else arg for arg in args]
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "echo_theory", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.stderr == FULL_DISK + "\n"
    assert done.returncode == 1


def test_a_closed_pipe_is_quiet(tmp_path):
    """A reader that stops early (| head): no traceback, nothing on stderr."""
    code = (
        "from echo_theory.cli import cli; "
        "cli(['compute', '--rule', '3:+0.5', '--rule', '8:-0.25', '--window', '9'], prog_name='echo-theory')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # before it writes: its write meets EPIPE
    err = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert err == ""
