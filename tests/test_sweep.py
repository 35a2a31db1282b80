"""The sweep library: grids, run keys, the SQLite store, the local executor and the report."""

import dataclasses
import hashlib
import json
import os
import random
import signal
import sqlite3

import pytest

from echo_theory import EchoProcess, TrainSettings, train
from echo_theory.errors import SettingError
from echo_theory.sweep import (
    AXES,
    Grid,
    GridError,
    LocalExecutor,
    Lost,
    StoreError,
    SweepStore,
    execute,
    load_grid_file,
    parse_list,
    run_key,
    run_sweep,
    to_frame,
)
from echo_theory.sweep.grid import process_spec

SEED = EchoProcess(["3:+0.5", "8:-0.25"])
SMALL = {"series_length": [4000], "batch_size": [20]}  # runs of a few hundredths of a second
AXIS = {axis.option: axis for axis in AXES}


# --- grids ------------------------------------------------------------------------------------


def test_lists_and_ranges():
    assert parse_list("1-3,5,2", AXIS["--num-steps"]) == [1, 2, 3, 5]
    assert parse_list(" 0 - 2 ", AXIS["--seeds"]) == [0, 1, 2]
    assert parse_list("0.1,0.01", AXIS["--learning-rate"]) == [0.1, 0.01]
    assert parse_list("adam,adagrad", AXIS["--optimizer"]) == ["adam", "adagrad"]
    assert parse_list("reset,carried", AXIS["--protocol"]) == [True, False]
    assert parse_list("none,1", AXIS["--clip-norm"]) == [None, 1.0]


@pytest.mark.parametrize(
    "option, text, message",
    [
        ("--num-steps", "1,x,5", "--num-steps: 'x' is not an integer or a range such as 1-5"),
        ("--num-steps", "1,0", "--num-steps: '0' is not an integer >= 1"),
        ("--seeds", "4-2", "--seeds: the range '4-2' is empty (write it low-high)"),
        ("--seeds", "", "--seeds: the list is empty; give at least one value"),
        ("--state-size", "4,,16", "--state-size: '4,,16' has an empty element"),
        ("--learning-rate", "0.1,-1", "--learning-rate: '-1' is not a number > 0"),
        ("--learning-rate", "nan", "--learning-rate: 'nan' is not a number > 0"),
        ("--protocol", "carried,kept", "--protocol: 'kept' is not carried or reset"),
    ],
)
def test_bad_list_elements_are_named(option, text, message):
    with pytest.raises(GridError) as error:
        parse_list(text, AXIS[option])
    assert str(error.value) == message


def test_the_grid_is_the_product_with_one_run_per_seed():
    grid = Grid(SEED, {"num_steps": [1, 5], "state_size": [4, 8, 16], "seed": [0, 1], **SMALL})
    runs = grid.runs()
    assert len(runs) == 2 * 3 * 2
    assert len({run.key for run in runs}) == len(runs)
    assert {(r.settings["num_steps"], r.settings["state_size"], r.seed) for r in runs} == {
        (t, h, s) for t in (1, 5) for h in (4, 8, 16) for s in (0, 1)
    }
    # Every run holds the full settings, defaults included.
    assert set(runs[0].settings) == {field.name for field in dataclasses.fields(TrainSettings)}


def test_settings_that_cannot_train_are_errors_before_any_run():
    with pytest.raises(SettingError, match="rule lag 8 is not shorter than a row"):
        Grid(SEED, {"series_length": [1600]}).runs()
    with pytest.raises(SettingError, match="--optimizer: 'adamw' is not one of"):
        Grid(SEED, {"optimizer": ["adam", "adamw"]}).runs()


def test_run_key_is_sha256_of_canonical_json():
    settings = TrainSettings(series_length=4000, batch_size=20).to_dict()
    text = (
        '{"process":{"base":"1/2","clip":false,"p_x":"1/2","rules":["3:+1/2","8:-1/4"]},'
        '"settings":{"batch_size":20,"clip_norm":null,"epochs":1,"learning_rate":0.1,"num_steps":5,'
        '"optimizer":"adagrad","reset_state":false,"seed":0,"series_length":4000,"state_size":4}}'
    )
    assert run_key(process_spec(SEED), settings) == hashlib.sha256(text.encode()).hexdigest()
    # The same process written another way is the same run.
    same = EchoProcess(["8:-1/4", "3:0.5"], base="0.5")
    assert run_key(process_spec(same), settings) == run_key(process_spec(SEED), settings)
    assert run_key(process_spec(SEED), {**settings, "seed": 1}) != run_key(process_spec(SEED), settings)


def test_grid_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        '[defaults]\nseries_length = 4000\nbatch_size = 20\nseeds = "0-1"\n\n'
        '[[grid]]\nname = "seed task"\nrules = ["3:+0.5", "8:-0.25"]\nnum_steps = [1, 5]\n'
        'protocol = ["carried", "reset"]\n\n'
        '[[grid]]\nrules = ["2:+1/4"]\np_x = "1/3"\nnum_steps = "1-3"\nseeds = 7\n'
    )
    first, second = load_grid_file(path)
    assert first.name == "seed task" and len(first.runs()) == 2 * 2 * 2
    assert second.process == EchoProcess(["2:+1/4"], p_x="1/3")
    assert [run.settings["num_steps"] for run in second.runs()] == [1, 2, 3]
    assert {run.seed for run in second.runs()} == {7}


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[[grid]]\nrules = ["3:+0.5"]\nnum_steps = []\n',
            "grid 1: num_steps is an empty list: the grid has no runs",
        ),
        ("[defaults]\nepochs = 2\n", "has no [[grid]] table: the grid is empty"),
        ('[[grid]]\nrules = ["3:+0.5"]\nnum_step = 5\n', "grid 1: unknown key 'num_step'"),
        ('[[grid]]\nrules = ["3:+0.5"]\nstate_size = [4, "x"]\n', "state_size: 'x' is not an integer"),
        ("[[grid]\n", "is not valid TOML"),
    ],
)
def test_bad_grid_files(tmp_path, text, message):
    path = tmp_path / "grid.toml"
    path.write_text(text)
    with pytest.raises(GridError) as error:
        load_grid_file(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# --- a run --------------------------------------------------------------------------------------


def test_a_run_is_train_with_its_seed():
    """What a worker computes is exactly what train() gives in this process."""
    run = Grid(SEED, {"num_steps": [3], "seed": [5], **SMALL}).runs()[0]
    outcome = execute(run.task())
    direct = train(SEED, TrainSettings(**run.settings)).to_dict()
    assert outcome["status"] == "done"
    assert json.dumps(outcome["result"]) == json.dumps(direct)


def test_a_diverging_run_fails_with_its_message():
    run = Grid(SEED, {"optimizer": ["sgd"], "learning_rate": [1e308], **SMALL}).runs()[0]
    outcome = execute(run.task())
    assert outcome["status"] == "failed"
    assert outcome["message"].startswith("training diverged at epoch 1")
    assert outcome["result"] is None


# --- the store ----------------------------------------------------------------------------------


def test_store_round_trip(tmp_path):
    runs = Grid(SEED, {"num_steps": [1, 5], **SMALL}).runs()
    path = tmp_path / "s.db"
    with SweepStore.open(path) as store:
        for run in runs:
            store.put(run, execute(run.task()))
    with SweepStore.open(path, create=False) as store:
        stored = store.runs([run.key for run in reversed(runs)])
    assert [s.key for s in stored] == [run.key for run in reversed(runs)]
    direct = train(SEED, TrainSettings(**runs[0].settings))
    assert stored[-1].final_loss == direct.final_loss
    assert stored[-1].nearest == direct.nearest.learned
    assert stored[-1].result == json.loads(json.dumps(direct.to_dict()))
    header = sqlite3.connect(path)
    assert header.execute("PRAGMA application_id").fetchone()[0] == 0x45435357
    assert header.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert dict(header.execute("SELECT name, value FROM meta"))["format"] == "echo-theory sweep store"


def test_a_done_run_is_never_replaced(tmp_path):
    run = Grid(SEED, SMALL).runs()[0]
    with SweepStore.open(tmp_path / "s.db") as store:
        store.put(run, execute(run.task()))
        store.put(run, {"status": "failed", "message": "late", "seconds": 1.0})
        assert store.runs([run.key])[0].status == "done"
        assert len(store) == 1


def test_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is text\n")
    with pytest.raises(StoreError) as error:
        SweepStore.open(path)
    assert str(error.value) == (
        f"--store {str(path)!r} is not a sweep store: not an SQLite database but a text file "
        "starting 'hello, this is text'"
    )
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(StoreError, match=r"not an SQLite database but a binary file starting b'\\x89PNG"):
        SweepStore.open(path)


def test_sqlite_but_not_a_sweep(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE birds (name TEXT)")
    db.close()
    with pytest.raises(StoreError) as error:
        SweepStore.open(path)
    assert "is an SQLite database but not a sweep store (its tables: birds)" in str(error.value)


def test_a_damaged_store(tmp_path):
    path = tmp_path / "s.db"
    runs = Grid(SEED, {"seed": list(range(6)), **SMALL}).runs()
    with SweepStore.open(path) as store:
        for run in runs:
            store.put(run, execute(run.task()))
    data = bytearray(path.read_bytes())
    assert len(data) > 3 * 4096
    # pages 2 and 3, past their headers' start; fixed bytes, so the damage is the same every run
    data[4096 + 8 : 3 * 4096] = random.Random(7).randbytes(2 * 4096 - 8)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as error:
        SweepStore.open(path)
    assert "is a damaged SQLite database" in str(error.value)
    assert "\n" not in str(error.value)


# --- sweeping -----------------------------------------------------------------------------------


def test_sweep_resumes_and_skips_stored_runs(tmp_path):
    runs = Grid(SEED, {"num_steps": [1, 2, 5], "seed": [0, 1], **SMALL}).runs()
    with SweepStore.open(tmp_path / "s.db") as store:
        first = run_sweep(runs[:2], store, LocalExecutor(2))
        assert (first.done, first.stored_before) == (2, 0)
        second = run_sweep(runs, store, LocalExecutor(2))
        assert (second.done, second.stored_before, second.total) == (4, 2, 6)
        third = run_sweep(runs, store, LocalExecutor(2))
        assert (third.todo, third.stored_before) == (0, 6)
        assert len(store) == 6


def test_failed_runs_stay_failed_unless_retried(tmp_path):
    runs = Grid(SEED, {"optimizer": ["sgd"], "learning_rate": [1e308, 0.1], **SMALL}).runs()
    with SweepStore.open(tmp_path / "s.db") as store:
        tally = run_sweep(runs, store, LocalExecutor(2))
        assert (tally.done, tally.failed) == (1, 1)
        failed = [run for run in store.runs() if run.status == "failed"]
        assert failed[0].message.startswith("training diverged")
        assert run_sweep(runs, store, LocalExecutor(1)).todo == 0
        again = run_sweep(runs, store, LocalExecutor(1), retry_failed=True)
        assert (again.todo, again.failed, again.stored_before) == (1, 1, 1)


def test_a_dying_worker_loses_only_its_run():
    """SIGKILL a busy worker: its run comes back lost, every other run is done."""
    runs = Grid(SEED, {"seed": list(range(6)), "series_length": [40_000], "batch_size": [20]}).runs()
    executor = LocalExecutor(2)
    outcomes, killed = [], None
    for outcome in executor.run([run.task() for run in runs], lambda: False):
        outcomes.append(outcome)
        if killed is None:
            busy = executor.busy_pids()
            if busy:
                killed = busy[0]
                os.kill(killed, signal.SIGKILL)
    assert killed is not None
    lost = [o for o in outcomes if isinstance(o, Lost)]
    done = [o for o in outcomes if not isinstance(o, Lost)]
    assert len(lost) == 1 and lost[0].reason == f"its worker died (signal {signal.SIGKILL})"
    assert len(done) == 5 and all(o["status"] == "done" for o in done)
    assert {o["key"] for o in done} | {lost[0].key} == {run.key for run in runs}


def test_jobs_do_not_change_results(tmp_path):
    runs = Grid(SEED, {"num_steps": [2, 5], "seed": [0, 1], **SMALL}).runs()
    texts = []
    for jobs in (1, 2):
        with SweepStore.open(tmp_path / f"{jobs}.db") as store:
            run_sweep(runs, store, LocalExecutor(jobs))
            texts.append([json.dumps(r.result) for r in store.runs([run.key for run in runs])])
    assert texts[0] == texts[1]


def test_frame(tmp_path):
    runs = Grid(SEED, {"num_steps": [1, 5], **SMALL}).runs()
    path = tmp_path / "s.db"
    with SweepStore.open(path) as store:
        run_sweep(runs, store, LocalExecutor(1))
    frame = to_frame(path)
    assert len(frame) == 2
    assert list(frame["num_steps"]) == [1, 5]
    assert {"key", "process", "seed", "status", "final_loss", "nearest", "effect_3", "effect_8"} <= set(frame)
    direct = train(SEED, TrainSettings(**runs[1].settings))
    assert frame["final_loss"].iloc[1] == direct.final_loss
    assert frame["effect_3"].iloc[1] == direct.lag_effects[0].measured


def test_settings_added_later_enter_the_key_only_away_from_their_default(monkeypatch):
    """When TrainSettings grows a field (a cell, say), the stored runs keep their keys."""
    from echo_theory.sweep import run as run_module

    @dataclasses.dataclass(frozen=True)
    class Grown(TrainSettings):
        cell: str = "rnn"

    monkeypatch.setattr(run_module, "TrainSettings", Grown)
    spec, today = process_spec(SEED), TrainSettings().to_dict()
    assert run_key(spec, {**today, "cell": "rnn"}) == run_key(spec, today)
    assert run_key(spec, {**today, "cell": "gru"}) != run_key(spec, today)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_a_read_only_store_is_one_line(tmp_path):
    path = tmp_path / "s.db"
    SweepStore.open(path).close()
    path.chmod(0o444)
    run = Grid(SEED, SMALL).runs()[0]
    with SweepStore.open(path) as store, pytest.raises(StoreError, match="cannot store a run"):
        store.put(run, {"status": "failed", "message": "x", "seconds": 0.0})
