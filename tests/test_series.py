"""Series files: each format read back exactly, and the lenient parts of the CSV reader."""

import numpy as np
import pytest

from echo_theory.errors import EchoTheoryError
from echo_theory.series import load_series


def test_csv_with_spaces_extra_columns_and_any_column_order(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("t, y, x\n0, 1, 0\n1, 0, 1\n2, 1, 1\n")
    x, y = load_series(path)
    assert x.tolist() == [0, 1, 1] and y.tolist() == [1, 0, 1]
    assert x.dtype == y.dtype == np.uint8


def test_npy_and_npz_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 2, 100), rng.integers(0, 2, 100)
    np.save(tmp_path / "pairs.npy", np.stack([x, y], axis=1).astype(bool))
    np.savez_compressed(tmp_path / "arrays.npz", x=x, y=y.astype(np.int8))
    for name in ("pairs.npy", "arrays.npz"):
        got_x, got_y = load_series(tmp_path / name)
        assert (got_x == x).all() and (got_y == y).all()


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "odd.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(EchoTheoryError, match=r"^odd.npz: cannot read it as .npz"):
        load_series(path)
    with pytest.raises(EchoTheoryError, match="unknown format '\\(no extension\\)'"):
        load_series(tmp_path / "plain")
