"""The experiment script still runs (its --quick smoke mode), and its table has the sweep's shape."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_sweep_quick(tmp_path):
    pytest.importorskip("matplotlib")
    plot, rows = tmp_path / "sweep.png", tmp_path / "rows.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "sweep.py"),
            "--quick",
            "--plot",
            str(plot),
            "--json",
            str(rows),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| H | T | state | held-out loss")
    assert len(table) == 1 + 2 * 2 * 2  # the header, then H in {4, 16} x T in {1, 5} x carried/reset
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert '"num_steps": 5' in rows.read_text()


@pytest.mark.slow
def test_parity_quick(tmp_path):
    rows = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "parity.py"), "--quick", "--json", str(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| H | T | state | held-out loss (mean, range) | learn nothing | learn both")
    assert len(table) == 1 + 2  # the header, then H 4, T 9, carried and reset
    assert '"rule_effects"' in rows.read_text()


@pytest.mark.slow
def test_learners_quick():
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "learners.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    cells = [row for row in rows if row.split("|")[1].strip() in ("rnn", "gru", "lstm")]
    assert len(cells) == 6  # three cells at state 4 and 16
    styles = [row for row in rows if row.split("|")[2].strip() in ("reset", "carried")]
    assert len(styles) == 4  # one T per process, reset and carried
