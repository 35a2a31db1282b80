"""Series files: each format read back exactly, crafted files refused quickly and in bounded memory,
and the writer's files read by independent readers (numpy, zipfile)."""

import io
import os
import struct
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib import format as npy_format

from echo_theory import series as series_module
from echo_theory.errors import EchoTheoryError
from echo_theory.series import load_series, write_series


def test_csv_with_spaces_extra_columns_and_any_column_order(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("t, y, x\n0, 1, 0\n1, 0, 1\n2, 1, 1\n")
    x, y = load_series(path)
    assert x.tolist() == [0, 1, 1] and y.tolist() == [1, 0, 1]
    assert x.dtype == y.dtype == np.uint8


def test_csv_crlf_blank_lines_bom_and_short_rows_of_a_wide_header(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y,note\r\n1,0,a\r\n\r\n0,1\r\n1,1,\n\n")
    x, y = load_series(path)
    assert x.tolist() == [1, 0, 1] and y.tolist() == [0, 1, 1]


def test_npy_and_npz_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 2, 100), rng.integers(0, 2, 100)
    np.save(tmp_path / "pairs.npy", np.stack([x, y], axis=1).astype(bool))
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.stack([x, y], axis=1).astype(np.int16)))
    np.savez_compressed(tmp_path / "arrays.npz", x=x, y=y.astype(np.int8))
    for name in ("pairs.npy", "fortran.npy", "arrays.npz"):
        got_x, got_y = load_series(tmp_path / name)
        assert (got_x == x).all() and (got_y == y).all()


def test_columns_in_the_requested_order_with_probabilities(tmp_path):
    structured = np.zeros(4, dtype=[("t", "<i8"), ("x", "u1"), ("y", "?"), ("p", "<f4"), ("p_true", ">f8")])
    structured["x"], structured["y"] = [0, 1, 1, 0], [1, 1, 0, 0]
    structured["p"], structured["p_true"] = [np.nan, 0.5, 0.25, 1], [0.5, 0.75, 0.25, 0]
    np.save(tmp_path / "s.npy", structured)
    p, x = load_series(tmp_path / "s.npy", ("p", "x"))
    assert x.tolist() == [0, 1, 1, 0] and p.dtype == np.float64
    assert np.isnan(p[0]) and p[1:].tolist() == [0.5, 0.25, 1]
    (tmp_path / "s.csv").write_text("x,y,p\n0,1,\n1,1,nan\n1,0,0.25\n0,0,1e-3\n")
    p, y = load_series(tmp_path / "s.csv", ("p", "y"))
    assert np.isnan(p[:2]).all() and p[2:].tolist() == [0.25, 0.001] and y.tolist() == [1, 1, 0, 0]


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "odd.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(EchoTheoryError, match=r"^odd.npz: cannot read it as .npz"):
        load_series(path)
    with pytest.raises(EchoTheoryError, match="unknown format '\\(no extension\\)'"):
        load_series(tmp_path / "plain")
    (tmp_path / "h.csv").write_text("x,y\n")
    with pytest.raises(EchoTheoryError, match=r"^h.csv: the header line is followed by no steps$"):
        load_series(tmp_path / "h.csv")
    np.save(tmp_path / "empty.npy", np.zeros((0, 2), dtype=np.uint8))
    with pytest.raises(EchoTheoryError, match=r"^empty.npy: the file holds no steps$"):
        load_series(tmp_path / "empty.npy")


def test_probability_errors_name_the_row(tmp_path):
    np.savez(tmp_path / "a.npz", x=[0, 1, 1], y=[1, 0, 0], p=[0.5, 1.5, 0.1])
    with pytest.raises(
        EchoTheoryError, match=r"^a.npz: p\[1\] is 1.5: probabilities must be numbers in \[0, 1\]"
    ):
        load_series(tmp_path / "a.npz", ("x", "y", "p"))
    np.savez(tmp_path / "b.npz", x=[0, 1], y=[1, 0], p_true=[0.5, np.nan])
    with pytest.raises(EchoTheoryError, match=r"^b.npz: p_true\[1\] is nan"):
        load_series(tmp_path / "b.npz", ("x", "y", "p_true"))
    for value in ("1.5", "-0.1", "abc", "1e5e", "inf", "1_0", "0x1", " . "):
        (tmp_path / "c.csv").write_text(f"x,y,p\n0,1,0.5\n1,0,{value}\n")
        with pytest.raises(
            EchoTheoryError, match=r"^c.csv: line 3: p is .*; expected a number in \[0, 1\] or nan$"
        ):
            load_series(tmp_path / "c.csv", ("x", "y", "p"))
    np.save(tmp_path / "plain.npy", np.zeros((5, 2), dtype=np.uint8))
    with pytest.raises(EchoTheoryError, match="a plain \\(n, 2\\) array holds x and y only, not p"):
        load_series(tmp_path / "plain.npy", ("x", "y", "p"))


# --- one set of spellings of 0 and 1, at every size --------------------------------------------


@pytest.mark.parametrize("value", ["1.0", "True", "01", "+1", "1\0", "１", "1 1"])
@pytest.mark.parametrize("rows", [10, 2_000_000])  # one block, and several
def test_csv_spellings_are_the_same_at_every_size(tmp_path, value, rows):
    path = tmp_path / "s.csv"
    path.write_bytes(b"x,y\n" + b"0,1\n" * rows + f"{value},0\n".encode())
    with pytest.raises(EchoTheoryError) as caught:
        load_series(path)
    message = str(caught.value)
    assert message.startswith("s.csv: line ") and "\n" not in message
    assert f"line {rows + 2}" in message


@pytest.mark.parametrize("padded", [" 1 ", "1\r", "\t0"])
def test_spaces_around_a_value_are_ignored(tmp_path, padded):
    (tmp_path / "s.csv").write_text(f"x,y\n{padded},0\n0,1\n")
    x, y = load_series(tmp_path / "s.csv")
    assert x.tolist() == [int(padded.strip()), 0] and y.tolist() == [0, 1]


def test_quoted_fields_are_refused_by_line(tmp_path):
    (tmp_path / "q.csv").write_text('x,y,name\n0,1,a\n1,0,"b, c"\n')
    with pytest.raises(
        EchoTheoryError, match=r"^q.csv: line 3 holds a quoted field, which is not supported$"
    ):
        load_series(tmp_path / "q.csv")


# --- crafted files ---------------------------------------------------------------------------


def npy_bytes(shape, dtype="|u1", data=b"", fortran=False):
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue() + data


def test_npy_claiming_a_huge_shape_fails_before_allocating(tmp_path):
    data = npy_bytes((10**11, 2))
    data += b"\0" * (328 - len(data))
    (tmp_path / "huge.npy").write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(EchoTheoryError) as caught:
        load_series(tmp_path / "huge.npy")
    assert time.perf_counter() - start < 1
    assert str(caught.value).startswith(
        "huge.npy: the file's header claims shape (100000000000, 2) of uint8 (200,000,000,000 bytes) but "
    )
    assert len(data) == 328


def test_npy_with_objects_is_refused_without_numpys_pickle_advice(tmp_path):
    (tmp_path / "o.npy").write_bytes(npy_bytes((4, 2), "|O", b"\x80\x04junk"))
    with pytest.raises(EchoTheoryError) as caught:
        load_series(tmp_path / "o.npy")
    assert "pickled data), which are never loaded" in str(caught.value)
    assert "allow_pickle" not in str(caught.value)


def test_npz_member_claiming_4e9_bytes_fails_before_inflating(tmp_path):
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", npy_bytes((4 * 10**9,), data=b"\0" * 64))
        archive.writestr("y.npy", npy_bytes((4 * 10**9,), data=b"\0" * 64))
    with pytest.raises(EchoTheoryError, match=r"^claims.npz: array x's header claims shape \(4000000000,\)"):
        load_series(path)


def test_npz_whose_directory_claims_more_than_deflate_expands_to(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, x=np.zeros(10**6, dtype=np.uint8), y=np.zeros(10**6, dtype=np.uint8))
    data = bytearray(path.read_bytes())
    for at in range(len(data) - 4):  # every central directory entry: uncompressed size := 4e9
        if data[at : at + 4] == b"PK\x01\x02":
            data[at + 24 : at + 28] = struct.pack("<I", 4 * 10**9)
    path.write_bytes(bytes(data))
    with pytest.raises(
        EchoTheoryError, match=r"^bomb.npz: array x claims 4,000,000,000 bytes, .* compressed"
    ):
        load_series(path)


def test_npz_reads_only_the_needed_members(tmp_path, monkeypatch):
    path = tmp_path / "extra.npz"
    np.savez(path, x=np.ones(10, np.uint8), y=np.zeros(10, np.uint8), big=np.zeros(10**6))
    opened = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    x, y = load_series(path)
    assert opened == ["x.npy", "y.npy"] and x.sum() == 10 and y.sum() == 0


def run_python(code, timeout=60):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout
    )


# VmHWM, not getrusage: ru_maxrss survives exec, so a child would report pytest's own peak
PEAK = """
import sys
from echo_theory.series import load_series
from echo_theory.errors import EchoTheoryError
try:
    arrays = load_series(sys.argv[1] if len(sys.argv) > 1 else {path!r})
    print("ok", arrays[0].size, int(arrays[0].sum()), int(arrays[1].sum()))
except EchoTheoryError as error:
    print("error", error)
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def test_csv_with_200000_header_columns_is_fast_and_small(tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(["x", "y", *(f"c{i}" for i in range(200_000))])
    path.write_text(header + "\n" + "0,1\n1,1\n" * 20_000)
    start = time.perf_counter()
    result = run_python(PEAK.format(path=str(path)))
    elapsed = time.perf_counter() - start
    status, peak = result.stdout.splitlines()
    assert status == "ok 40000 20000 40000", result.stderr
    assert elapsed < 20 and int(peak) < 250  # MB, the interpreter and numpy included


def test_a_large_csv_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    rows = np.empty((5_000_000, 4), dtype=np.uint8)
    rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = 49, 44, 48, 10
    path.write_bytes(b"t,x,y\n" + (b"7," + rows.tobytes().replace(b"\n", b"\n7,"))[:-2])
    result = run_python(PEAK.format(path=str(path)), timeout=120)
    status, peak = result.stdout.splitlines()
    assert status == "ok 5000000 5000000 0", result.stderr
    # the file is 30 MB and the two columns 10 MB; pandas needed about ten times the file
    assert int(peak) < 200


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = run_python(PEAK.format(path=str(fifo)), timeout=20)
    assert result.stdout.splitlines()[0] == (
        "error pipe.csv: it is a FIFO (named pipe), not a regular file; give a .csv, .npy or .npz file"
    )


def test_symlinks_loops_and_missing_targets(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(EchoTheoryError, match=r"^a.csv: it is a loop of symbolic links \(ELOOP\)$"):
        load_series(tmp_path / "a.csv")
    (tmp_path / "c.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(
        EchoTheoryError, match=r"^c.csv: it is a symbolic link to a file that does not exist$"
    ):
        load_series(tmp_path / "c.csv")
    with pytest.raises(EchoTheoryError, match=r"^gone.csv: the file does not exist$"):
        load_series(tmp_path / "gone.csv")
    with pytest.raises(EchoTheoryError, match=r"^folder.npy: it is a folder, not a regular file"):
        (tmp_path / "folder.npy").mkdir()
        load_series(tmp_path / "folder.npy")


# --- fuzz: arbitrary bytes give a valid series or one error line ----------------------------------


def check_reads(tmp_path, suffix, data, columns=("x", "y")):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        arrays = load_series(path, columns)
    except EchoTheoryError as error:
        message = str(error)
        assert message.startswith(f"fuzz{suffix}: ") and "\n" not in message
        return
    assert len({a.size for a in arrays}) == 1 and arrays[0].size >= 1
    for name, array in zip(columns, arrays, strict=True):
        if name in ("x", "y"):
            assert array.dtype == np.uint8 and set(np.unique(array).tolist()) <= {0, 1}
        else:
            assert array.dtype == np.float64 and not ((array < 0) | (array > 1)).any()


def seeds(suffix):
    """A valid file of each format, for the fuzzer to mutate."""
    buffer = io.BytesIO()
    x, y = np.array([0, 1, 1, 0], np.uint8), np.array([1, 1, 0, 0], np.uint8)
    if suffix == ".csv":
        return b"x,y,p\n0,1,0.5\n1,1,nan\n1,0,\n0,0,1\n"
    if suffix == ".npy":
        structured = np.zeros(4, dtype=[("x", "u1"), ("y", "u1"), ("p", "<f8")])
        structured["x"], structured["y"] = x, y
        np.save(buffer, structured)
    else:
        np.savez(buffer, x=x, y=y, p=np.array([0.5, np.nan, 0, 1]))
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", [".csv", ".npy", ".npz"])
@given(data=st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(tmp_path_factory, suffix, data):
    check_reads(tmp_path_factory.mktemp("fuzz"), suffix, data, ("x", "y", "p"))


@pytest.mark.parametrize("suffix", [".csv", ".npy", ".npz"])
@given(edits=st.lists(st.tuples(st.integers(0, 10**4), st.integers(0, 255)), min_size=1, max_size=6))
def test_fuzz_mutated_valid_files(tmp_path_factory, suffix, edits):
    data = bytearray(seeds(suffix))
    for at, byte in edits:
        data[at % len(data)] = byte
    check_reads(tmp_path_factory.mktemp("fuzz"), suffix, bytes(data), ("x", "y", "p"))


@given(text=st.text(alphabet=",\n\r 01.\tnaxyp-e5", max_size=200))
def test_fuzz_csv_text(tmp_path_factory, text):
    check_reads(tmp_path_factory.mktemp("fuzz"), ".csv", ("x,y,p\n" + text).encode(), ("x", "y", "p"))


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv"])
def test_write_series_reads_back_exactly(tmp_path, suffix):
    rng = np.random.default_rng(3)
    n = 3000
    columns = {
        "x": rng.integers(0, 2, n),
        "y": rng.integers(0, 2, n).astype(bool),
        "p": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "p_true": rng.random(n),
    }
    path = tmp_path / f"s{suffix}"
    write_series(path, columns)
    back = load_series(path, ("x", "y", "p", "p_true"))
    for name, array in zip(("x", "y", "p", "p_true"), back, strict=True):
        np.testing.assert_array_equal(array, np.asarray(columns[name], dtype=array.dtype))
    write_series(tmp_path / f"again{suffix}", columns)
    assert (tmp_path / f"again{suffix}").read_bytes() == path.read_bytes()


def test_written_files_match_numpys_own_readers(tmp_path):
    x, y = np.array([0, 1, 1], np.uint8), np.array([1, 0, 1], np.uint8)
    write_series(tmp_path / "s.npz", {"x": x, "y": y, "p_true": [0.5, 0.25, 1.0]})
    assert zipfile.ZipFile(tmp_path / "s.npz").testzip() is None
    with np.load(tmp_path / "s.npz") as archive:
        assert archive.files == ["x", "y", "p_true"]
        assert archive["x"].dtype == np.uint8 and archive["p_true"].tolist() == [0.5, 0.25, 1.0]
    write_series(tmp_path / "s.npy", {"x": x, "y": y})
    assert np.load(tmp_path / "s.npy").tolist() == [[0, 1], [1, 0], [1, 1]]
    write_series(tmp_path / "t.npy", {"x": x, "y": y, "p": [np.nan, 0.5, 1]})
    loaded = np.load(tmp_path / "t.npy")
    assert loaded.dtype.names == ("x", "y", "p") and loaded["y"].tolist() == [1, 0, 1]
    write_series(tmp_path / "s.csv", {"x": x, "y": y, "p": [np.nan, 0.5, 1]})
    assert (tmp_path / "s.csv").read_text() == "x,y,p\n0,1,nan\n1,0,0.5\n1,1,1.0\n"


def test_zip64_records_when_sizes_or_offsets_need_them(tmp_path, monkeypatch):
    """Past 4 GB the archive needs ZIP64 records: forced here by lowering the limit."""
    monkeypatch.setattr(series_module, "_ZIP64_LIMIT", 100)
    x = np.arange(500) % 2
    write_series(tmp_path / "big.npz", {"x": x, "y": 1 - x})
    data = (tmp_path / "big.npz").read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data  # the ZIP64 end records
    with zipfile.ZipFile(tmp_path / "big.npz") as archive:
        assert archive.testzip() is None
    monkeypatch.undo()
    with np.load(tmp_path / "big.npz") as archive:
        assert (archive["x"] == x).all() and (archive["y"] == 1 - x).all()


def test_write_series_checks_its_columns(tmp_path):
    with pytest.raises(EchoTheoryError, match="columns of different lengths: x 3, y 2"):
        write_series(tmp_path / "a.npz", {"x": [0, 1, 1], "y": [0, 1]})
    with pytest.raises(EchoTheoryError, match=r"p\[1\] is 2.0: probabilities must be"):
        write_series(tmp_path / "a.npz", {"x": [0, 1], "y": [0, 1], "p": [0.5, 2]})
    with pytest.raises(EchoTheoryError, match=r"x\[0\] is 3"):
        write_series(tmp_path / "a.csv", {"x": [3], "y": [0]})
    with pytest.raises(EchoTheoryError, match="unknown column q"):
        write_series(tmp_path / "a.csv", {"x": [1], "y": [0], "q": [0]})
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.npz"
    path.write_bytes(b"old")

    def broken(self, columns):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(series_module.SeriesWriter, "write", broken)
    with pytest.raises(EchoTheoryError, match="No space left on device"):
        write_series(path, {"x": [0, 1], "y": [1, 0]})
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def reference_csv(text: str) -> tuple[list[int], list[int]] | None:
    """The CSV rules, read the slow way with str methods: (x, y), or None for an error."""
    lines = [line for line in text.split("\n") if line not in ("", "\r")]
    if not lines:
        return None
    header = [name.strip(" \t\r") for name in lines[0].split(",")]
    if header.count("x") != 1 or header.count("y") != 1:
        return None
    columns = {name: [] for name in ("x", "y")}
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) > len(header):
            return None
        for name in ("x", "y"):
            at = header.index(name)
            value = fields[at].strip(" \t\r") if at < len(fields) else ""
            if value not in ("0", "1"):
                return None
            columns[name].append(int(value))
    return (columns["x"], columns["y"]) if columns["x"] else None


@given(
    header=st.permutations(["x", "y", " t "]),
    rows=st.lists(
        st.lists(
            st.sampled_from(["0", "1", " 1", "0 ", "1\r", "1.0", "", "True", "7"]), min_size=1, max_size=4
        ),
        max_size=30,
    ),
    blank=st.booleans(),
)
def test_csv_reader_agrees_with_a_slow_reference(tmp_path_factory, header, rows, blank):
    text = ",".join(header) + "\n" + "".join(",".join(row) + ("\n\n" if blank else "\n") for row in rows)
    path = tmp_path_factory.mktemp("csv") / "r.csv"
    path.write_text(text)
    expected = reference_csv(text)
    try:
        x, y = load_series(path)
    except EchoTheoryError:
        assert expected is None
    else:
        assert expected == (x.tolist(), y.tolist())
