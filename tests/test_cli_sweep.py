"""``echo-theory sweep``: the command, its report, its errors, and resuming after Ctrl-C or SIGTERM."""

import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess, TrainSettings, train
from echo_theory.cli import cli

SMALL = ["--series-length", "4000", "--batch-size", "20"]
SEED_RULES = ["--rule", "3:+0.5", "--rule", "8:-0.25"]


def sweep(*args, store=None):
    return CliRunner().invoke(cli, ["sweep", *SEED_RULES, *SMALL, "--store", str(store), *args])


def test_sweep_then_report_every_format(tmp_path):
    store = tmp_path / "s.db"
    result = sweep("--num-steps", "1,5", "--seeds", "0-1", "--jobs", "2", "--format", "json", store=store)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["store"] == str(store)
    assert len(data["runs"]) == 4
    first = data["runs"][0]
    assert set(first) >= {"key", "settings", "seed", "status", "final_loss", "readout"}
    direct = train(EchoProcess(["3:+0.5", "8:-0.25"]), TrainSettings(**first["settings"]))
    assert first["final_loss"] == direct.final_loss
    assert first["readout"]["nearest"]["learned"] == list(direct.nearest.learned)
    assert (
        "4 runs in the grid: 4 ran on 2 local workers (4 done, 0 failed), 0 already stored" in result.stderr
    )

    again = sweep("--num-steps", "1,5", "--seeds", "0-1", "--format", "csv", store=store)
    assert again.exit_code == 0
    assert "4 runs in the grid, all 4 already stored" in again.stderr
    lines = again.stdout.splitlines()
    assert lines[0] == "T,seed,status,loss,nearest,verdict,seconds"
    assert lines[1].startswith(f"1,0,done,{direct.final_loss:.4f},")
    verdict = direct.score.verdict
    assert next(csv.reader(lines[1:2]))[5].startswith(f"{verdict.kind} ")  # the readout's verdict, stored

    markdown = sweep("--num-steps", "1,5", "--seeds", "0-1", "--format", "markdown", store=store)
    assert markdown.stdout.splitlines()[1] == "|---:|---:|:---|---:|:---|:---|---:|"
    table = CliRunner().invoke(cli, ["sweep", "--store", str(store), "--report-only"])
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0] == "3:+1/2 8:-1/4"
    assert len([line for line in table.stdout.splitlines() if " done " in line]) == 4


def test_report_only_of_part_of_a_grid(tmp_path):
    store = tmp_path / "s.db"
    assert sweep("--num-steps", "1", store=store).exit_code == 0
    result = sweep("--num-steps", "1,5", "--report-only", store=store)
    assert result.exit_code == 0
    assert "1 runs of the grid are not in" in result.stderr
    assert not (tmp_path / "missing.db").exists()
    missing = CliRunner().invoke(cli, ["sweep", "--store", str(tmp_path / "missing.db"), "--report-only"])
    assert missing.exit_code == 2
    assert not (tmp_path / "missing.db").exists()


def test_a_diverging_run_is_stored_as_failed_and_the_sweep_goes_on(tmp_path):
    store = tmp_path / "s.db"
    result = sweep("--optimizer", "sgd", "--learning-rate", "1e308,0.1", store=store)
    assert result.exit_code == 0, result.output
    rows = [
        line.strip() for line in result.stdout.splitlines() if line.strip().startswith(("1e+308", "0.1 "))
    ]
    assert rows[0].split()[2] == "failed" and "training diverged at epoch 1" in rows[0]
    assert rows[1].split()[2] == "done"
    again = sweep("--optimizer", "sgd", "--learning-rate", "1e308,0.1", "--retry-failed", store=store)
    assert "2 runs in the grid: 1 ran on" in again.stderr and "(0 done, 1 failed)" in again.stderr


def test_grid_file_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    grid = tmp_path / "grid.toml"
    grid.write_text(
        '[defaults]\nseries_length = 4000\nbatch_size = 20\nseeds = "0-1"\n'
        '[[grid]]\nrules = ["3:+0.5", "8:-0.25"]\nnum_steps = [1, 5]\nstate_size = [4, 8]\n'
        '[[grid]]\nrules = ["2:+1/4"]\nnum_steps = [1, 3]\nstate_size = 4\n'
    )
    store, plot = tmp_path / "s.db", tmp_path / "phase.png"
    result = CliRunner().invoke(
        cli, ["sweep", "--grid", str(grid), "--store", str(store), "--plot", str(plot), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    shared, table = result.stdout.split("\n\n")
    assert shared.startswith("batch_size 20; cell rnn; clip_norm none; epochs 1;")
    assert table.splitlines()[0].split()[:3] == ["process", "T", "H"]
    assert len(table.splitlines()) == 2 + 8 + 4
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--num-steps", "1,x,5"], "Error: --num-steps: 'x' is not an integer or a range such as 1-5\n"),
        (["--seeds", ""], "Error: --seeds: the list is empty; give at least one value\n"),
        (["--state-size", "4-2"], "Error: --state-size: the range '4-2' is empty (write it low-high)\n"),
        (["--optimizer", "adam,adamw"], "Error: --optimizer: 'adamw' is not one of adagrad, sgd, adam\n"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "Error: --jobs is for local workers;"),
        (["--grid", "nothing.toml"], "Error: give the grid either in --grid FILE or by options"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    result = sweep(*args, store=tmp_path / "s.db")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_bad_stores_are_named(tmp_path):
    text, other = tmp_path / "notes.txt", tmp_path / "other.db"
    text.write_text("a,b\n1,2\n")
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for path, what in ((text, "not an SQLite database but a text file"), (other, "not a sweep store")):
        result = sweep("--num-steps", "1", store=path)
        assert result.exit_code == 2
        assert what in result.stderr and result.stderr.count("\n") == 1


def test_missing_dask_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    result = sweep("--scheduler", "tcp://127.0.0.1:8786", store=tmp_path / "s.db")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --scheduler needs Dask, an optional extra: pip install 'echo-theory[dask]'\n"
    )


def test_cold_start_does_not_load_the_sweep_machinery():
    code = (
        "import sys; from echo_theory.cli import cli; "
        "print(sorted(m for m in ('sqlite3', 'numpy', 'distributed', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _stored(store) -> list[tuple[str, str]]:
    if not store.exists():
        return []
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT key, status FROM runs").fetchall()
    except sqlite3.OperationalError:  # the schema is not written yet
        return []
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupt_then_resume(tmp_path, signum):
    """Stop a sweep mid-way (SIGKILL: no chance to clean up, maybe mid-commit): the store stays
    whole, and running again finishes it with each run stored exactly once."""
    store = tmp_path / "s.db"
    command = [
        sys.executable, "-m", "echo_theory", "sweep", *SEED_RULES,
        "--series-length", "30000", "--batch-size", "20",
        "--num-steps", "2,5", "--seeds", "0-7", "--jobs", "2", "--store", str(store), "--quiet",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(_stored(store)) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 128 + signum, err
        assert (
            f"Interrupted ({signal.Signals(signum).name})" in err and "Run the same command to resume" in err
        )
    assert out == ""
    before = _stored(store)
    assert 2 <= len(before) < 16
    assert sqlite3.connect(store).execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    finished = subprocess.run([*command[:-1], "--format", "json"], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    after = _stored(store)
    assert len(after) == len({key for key, _ in after}) == 16
    assert set(before) <= set(after) and all(status == "done" for _, status in after)
    runs = json.loads(finished.stdout)["runs"]
    assert sorted((r["settings"]["num_steps"], r["seed"]) for r in runs) == [
        (t, s) for t in (2, 5) for s in range(8)
    ]
    # The resumed runs are what train gives for their seeds (the last one, checked directly).
    last = runs[-1]
    direct = train(EchoProcess(["3:+0.5", "8:-0.25"]), TrainSettings(**last["settings"]))
    assert last["final_loss"] == direct.final_loss


def test_progress_line(capsys):
    from echo_theory.cli.sweep import SweepProgress
    from echo_theory.sweep import Tally

    progress = SweepProgress()
    tally = Tally(total=10, stored_before=2, todo=8)
    progress(tally)
    tally.done, tally.failed = 3, 1
    progress(tally)
    progress.close()
    err = capsys.readouterr().err
    assert "runs [........................] 0/8  failed 0  ETA --  (2 stored before)" in err
    assert "runs [############............] 4/8  failed 1  ETA " in err
    assert err.endswith("\r")
