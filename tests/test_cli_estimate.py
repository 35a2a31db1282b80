"""``echo-theory estimate FILE``: the file formats, and one clear line for each bad file."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from echo_theory import EchoProcess
from echo_theory.cli import cli
from echo_theory.estimate import estimate_series
from echo_theory.sampler import sample_series

SEED = EchoProcess(["3:+0.5", "8:-0.25"])


def run(*args):
    return CliRunner().invoke(cli, ["estimate", *map(str, args)])


@pytest.fixture(scope="module")
def series():
    return sample_series(SEED, 20_000, 2)


@pytest.fixture(scope="module")
def files(series, tmp_path_factory):
    x, y = series
    folder = tmp_path_factory.mktemp("series")
    (folder / "series.csv").write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y, strict=True)))
    np.save(folder / "pairs.npy", np.stack([x, y], axis=1))
    structured = np.zeros(x.size, dtype=[("t", "i8"), ("x", "u1"), ("y", "?")])
    structured["x"], structured["y"] = x, y.astype(bool)
    np.save(folder / "fields.npy", structured)
    np.savez(folder / "arrays.npz", x=x, y=y)
    return folder


@pytest.mark.parametrize("name", ["series.csv", "pairs.npy", "fields.npy", "arrays.npz"])
def test_every_format_gives_the_same_estimates(files, series, name):
    result = run(files / name, "--lags", "3,8", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = estimate_series(*series, "3,8")
    assert data["file"] == name and data["lags"] == [3, 8] and data["samples"] == 20_000 - 8
    assert [row["learned"] for row in data["rows"]] == [[], [3], [8], [3, 8]]
    for row, reference in zip(data["rows"], expected.rows, strict=True):
        assert row["estimate"] == reference.plugin and row["stderr"] == reference.stderr
        assert row["miller_madow"] == reference.miller_madow


def test_table_output(files):
    result = run(files / "series.csv", "--lags", "8,3")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "series.csv: 19992 steps counted (each with lags 3,8 in view), in 64 batches"
    assert lines[2].split() == ["learned", "estimate", "(nats)", "miller-madow", "stderr"]
    assert [line.split()[0] for line in lines[4:]] == ["none", "3", "8", "3,8"]
    # the estimates agree with the exact engine here too
    for line in lines[4:]:
        learned, estimate, _, stderr = line.split()
        assert abs(float(estimate) - SEED.cross_entropy(learned).value) < 5 * float(stderr)


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_bad_files_are_one_line(tmp_path):
    long = "".join("0,1\n" for _ in range(3000))
    cases = [
        (
            write(tmp_path, "a.csv", "x,y\n0,1\n1,0,1\n" + long),
            "a.csv: line 3 has 3 fields, more than the header's 2",
        ),
        (write(tmp_path, "b.csv", "x,z\n0,1\n"), "b.csv: no column y in the header line (columns: x, z)"),
        (
            write(tmp_path, "c.csv", "x,y\n" + long + "0,2\n"),
            "c.csv: line 3002: y is '2'; values must be 0 or 1",
        ),
        (
            write(tmp_path, "d.csv", "x,y\n0,yes\n" + long),
            "d.csv: line 2: y is 'yes'; values must be 0 or 1",
        ),
        (
            write(tmp_path, "e.csv", "x,y\n" + long + "1\n"),
            "e.csv: line 3002: y is empty; values must be 0 or 1",
        ),
        (
            write(tmp_path, "f.csv", ""),
            "f.csv: the file is empty; expected a header row naming columns x and y",
        ),
        (write(tmp_path, "g.txt", "x,y\n"), "g.txt: unknown format '.txt'; give a .csv, .npy or .npz file"),
        (write(tmp_path, "h.npy", "not numpy"), "h.npy: cannot read it as .npy:"),
    ]
    np.savez(tmp_path / "i.npz", x=np.zeros(5000, dtype=int), y=np.zeros(4999, dtype=int))
    cases.append((tmp_path / "i.npz", "i.npz: x has 5000 but y has 4999 values: lengths must match"))
    np.save(tmp_path / "j.npy", np.zeros((10, 3), dtype=int))
    cases.append(
        (
            tmp_path / "j.npy",
            "j.npy: the array has shape (10, 3); expected (n, 2) with columns x and y",
        )
    )
    values = np.zeros((5000, 2))
    values[7, 0] = 0.5
    np.save(tmp_path / "k.npy", values)
    cases.append((tmp_path / "k.npy", "k.npy: x[7] is 0.5: values must be 0 or 1"))
    np.save(tmp_path / "l.npy", np.array([[0, 1]] * 5000, dtype=object), allow_pickle=True)
    cases.append(
        (tmp_path / "l.npy", "l.npy: the array holds Python objects (pickled data), which are never loaded")
    )
    np.savez(tmp_path / "m.npz", x=np.zeros(5000, dtype=int))
    cases.append((tmp_path / "m.npz", "m.npz: no array named y (arrays: x)"))
    np.save(tmp_path / "n.npy", np.zeros(5000, dtype=[("x", "u1")]))
    cases.append((tmp_path / "n.npy", "n.npy: the structured array has no field y (fields: x)"))
    for path, line in cases:
        result = run(path, "--lags", "3,8")
        assert result.exit_code == 2, (path.name, result.output)
        assert result.stdout == ""
        assert result.stderr.startswith("Error: " + line), (result.stderr, line)
        assert result.stderr.count("\n") == 1


def test_too_short_and_bad_options(files, tmp_path):
    np.savez(tmp_path / "short.npz", x=np.zeros(2000, dtype=int), y=np.zeros(2000, dtype=int))
    result = run(tmp_path / "short.npz", "--lags", "3,8")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: short.npz: the series has 2000 steps; with lags up to 8 a standard error needs at least 2888 "
        "(16 batches of 180 steps after 8 warm-up steps)\n"
    )
    missing = run(tmp_path / "nope.csv", "--lags", "3")
    assert (missing.exit_code, missing.stderr.count("\n")) == (2, 1)
    assert "does not exist" in missing.stderr
    assert run(files / "series.csv").stderr == "Error: Missing option '--lags'.\n"
    assert run(files / "series.csv", "--lags", "3;8").stderr == (
        "Error: lags '3;8': the lag '3;8' is not a whole number >= 0\n"
    )


def test_help_documents_the_formats():
    text = run("--help").output
    for phrase in (
        ".csv",
        ".npy",
        ".npz",
        "header row naming columns x and y",
        "shape (n, 2)",
        "fields x and y",
    ):
        assert phrase in text


def test_options_are_checked_before_the_file_is_read(tmp_path, monkeypatch):
    import echo_theory.series

    def never(*args, **kwargs):
        raise AssertionError("the file was read before --lags was checked")

    monkeypatch.setattr(echo_theory.series, "load_series", never)
    path = tmp_path / "big.csv"
    path.write_text("x,y\n0,1\n")
    result = run(path, "--lags", "abc")
    assert result.exit_code == 2
    assert result.stderr == "Error: lags 'abc': the lag 'abc' is not a whole number >= 0\n"


def test_special_files_are_one_line(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    result = run(tmp_path / "pipe.npz", "--lags", "3")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: pipe.npz: it is a FIFO (named pipe), not a regular file; give a .csv, .npy or .npz file\n"
    )
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    result = run(tmp_path / "loop.csv", "--lags", "3")
    assert result.stderr == "Error: loop.csv: it is a loop of symbolic links (ELOOP)\n"


def test_large_csv_with_a_late_bad_value_prints_one_line(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"x,y\n" + b"0,1\n" * 3_000_000 + b"1.0,1\n")
    result = run(path, "--lags", "3")
    assert result.exit_code == 2
    assert result.stderr == "Error: late.csv: line 3000002: x is '1.0'; values must be 0 or 1\n"
