"""The Dask executor against a real cluster: a scheduler and two workers started as separate
processes on 127.0.0.1, torn down after. The cluster's results must equal a local run's, bit
for bit."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from echo_theory.cli import cli

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    if DASK is None:
        pytest.skip("the dask command is not installed")
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    common = {"cwd": folder, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            **common,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert processes[0].poll() is None, "the scheduler did not start"
            assert time.monotonic() < deadline, "no scheduler file after 60 s"
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                     "--host", "127.0.0.1", "--local-directory", str(folder)],
                    **common,
                )
            )  # fmt: skip
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        _stop(processes[1:])
        _stop(processes[:1])


GRID = [
    "--rule", "3:+0.5", "--rule", "8:-0.25", "--series-length", "20000", "--batch-size", "20",
    "--num-steps", "1,5", "--protocol", "carried,reset", "--seeds", "0-1", "--format", "json",
]  # fmt: skip


def test_the_cluster_gives_the_local_results_bit_for_bit(scheduler, tmp_path):
    local = CliRunner().invoke(cli, ["sweep", *GRID, "--jobs", "2", "--store", str(tmp_path / "local.db")])
    assert local.exit_code == 0, local.output
    remote = CliRunner().invoke(
        cli, ["sweep", *GRID, "--scheduler", scheduler, "--store", str(tmp_path / "dask.db")]
    )
    assert remote.exit_code == 0, remote.output
    assert f"on the Dask scheduler at {scheduler} (2 workers now)" in remote.stderr
    assert "8 done, 0 failed" in remote.stderr

    def runs(output):
        return {run["key"]: run for run in json.loads(output)["runs"]}

    mine, theirs = runs(local.stdout), runs(remote.stdout)
    assert len(mine) == 8 and mine.keys() == theirs.keys()
    for key in mine:
        for field in ("settings", "status", "final_loss", "readout"):
            assert json.dumps(mine[key][field]) == json.dumps(theirs[key][field]), (key, field)
    # The stores hold the same results text, history included.
    import sqlite3

    def results(name):
        with sqlite3.connect(tmp_path / name) as db:
            return dict(db.execute("SELECT key, result FROM runs"))

    assert results("local.db") == results("dask.db")

    # Resuming on the cluster: everything is stored, nothing is sent.
    again = CliRunner().invoke(
        cli, ["sweep", *GRID, "--scheduler", scheduler, "--store", str(tmp_path / "dask.db")]
    )
    assert "8 runs in the grid, all 8 already stored" in again.stderr


def test_a_diverging_run_fails_on_the_cluster_too(scheduler, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["sweep", "--rule", "3:+0.5", "--series-length", "4000", "--batch-size", "20", "--optimizer", "sgd",
         "--learning-rate", "1e308,0.1", "--scheduler", scheduler, "--store", str(tmp_path / "s.db"),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    statuses = sorted(
        (run["settings"]["learning_rate"], run["status"]) for run in json.loads(result.stdout)["runs"]
    )
    assert statuses == [(0.1, "done"), (1e308, "failed")]


def test_an_unreachable_scheduler_is_named_within_10_seconds(tmp_path):
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    start = time.monotonic()
    result = CliRunner().invoke(
        cli, ["sweep", "--rule", "3:+0.5", "--scheduler", address, "--store", str(tmp_path / "s.db")]
    )
    elapsed = time.monotonic() - start
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: --scheduler: cannot reach the Dask scheduler at {address} within 10 s"
    )
    assert result.stderr.count("\n") == 1
    assert elapsed < 14
    assert not (tmp_path / "s.db").exists()  # nothing was created for a sweep that never started


def test_ctrl_c_on_the_cluster_keeps_what_is_stored_and_resumes(scheduler, tmp_path):
    import os
    import signal

    from echo_theory import EchoProcess
    from echo_theory.sweep import DaskExecutor, Grid, Interrupted, SweepStore, run_sweep

    runs = Grid(
        EchoProcess(["3:+0.5"]), {"seed": list(range(12)), "series_length": [20000], "batch_size": [20]}
    ).runs()

    def interrupt_after_the_first(tally) -> None:
        if tally.finished == 1:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would: the handler only raises a flag

    executor = DaskExecutor(scheduler)
    try:
        with SweepStore.open(tmp_path / "s.db") as store:
            with pytest.raises(Interrupted) as stopped:
                run_sweep(runs, store, executor, progress=interrupt_after_the_first)
            assert stopped.value.signum == signal.SIGINT
            kept = len(store)
            assert 1 <= kept < len(runs)
            again = run_sweep(runs, store, executor)
            assert (again.stored_before, again.done) == (kept, len(runs) - kept)
            assert len(store) == len(runs)
    finally:
        executor.close()
