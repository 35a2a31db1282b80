"""Binary series (x, y) from files, for estimates on anyone's data.

The formats, chosen by the file's extension:

- ``.csv``: comma-separated, a header row naming the columns, two of them ``x`` and ``y``
  (other columns are ignored); one step per row, each value 0 or 1.
- ``.npy``: an integer or boolean array of shape (n, 2), columns x then y; or a structured
  array of shape (n,) with fields ``x`` and ``y``.
- ``.npz``: arrays named ``x`` and ``y``, one-dimensional, of equal length.

Pickled objects are never loaded. Every problem is one ``EchoTheoryError`` line naming the file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .errors import EchoTheoryError
from .estimate import binary_series

FORMATS = (".csv", ".npy", ".npz")


PROBABILITIES = ("p", "p_true")


def load_series(path: str | os.PathLike, columns: tuple[str, ...] = ("x", "y")) -> tuple[np.ndarray, ...]:
    """x and y from a .csv, .npy or .npz file, as checked uint8 arrays of 0 and 1; with
    ``columns`` (e.g. ``("x", "y", "p")``) those columns in that order, ``p`` and ``p_true``
    as float64 (NaN allowed; anything else outside [0, 1] is an error naming the row)."""
    path = Path(path)
    columns = tuple(columns)
    if columns != ("x", "y"):
        return _load_columns(path, columns)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EchoTheoryError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; give a .csv, .npy or .npz file"
        )
    try:
        if suffix == ".csv":
            x, y = _read_csv(path)
        elif suffix == ".npy":
            x, y = _read_npy(path)
        else:
            x, y = _read_npz(path)
        return binary_series(x, y)
    except EchoTheoryError as error:
        raise EchoTheoryError(f"{path.name}: {error}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise EchoTheoryError(f"{path.name}: cannot read it as {suffix}: {reason}") from None


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas

    try:
        frame = pandas.read_csv(path, skipinitialspace=True)
    except pandas.errors.EmptyDataError:
        raise EchoTheoryError("the file is empty; expected a header row naming columns x and y") from None
    except (pandas.errors.ParserError, UnicodeDecodeError) as error:
        raise EchoTheoryError(f"malformed CSV: {' '.join(str(error).split())}") from None
    columns = [str(c).strip() for c in frame.columns]
    missing = [name for name in ("x", "y") if name not in columns]
    if missing:
        raise EchoTheoryError(
            f"no column {' or '.join(missing)} in the header line (columns: {', '.join(columns)})"
        )
    frame.columns = columns
    values = []
    for name in ("x", "y"):
        column = frame[name].to_numpy()
        if column.dtype.kind in "biuf":
            ones, zeros = column == 1, column == 0
        else:  # text: only the digits 0 and 1
            text = np.array([str(v).strip() for v in column])
            ones, zeros = text == "1", text == "0"
        bad = np.flatnonzero(~(ones | zeros))
        if bad.size:
            value = column[bad[0]]
            shown = "empty" if pandas.isna(value) else repr(str(value).strip())
            raise EchoTheoryError(
                f"row {bad[0] + 1} after the header: {name} is {shown}; values must be 0 or 1"
            )
        values.append(ones)
    return values[0], values[1]


def _read_npy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    array = np.load(path, allow_pickle=False)
    if array.dtype.names is not None:
        missing = [name for name in ("x", "y") if name not in array.dtype.names]
        if missing:
            raise EchoTheoryError(
                f"the structured array has no field {' or '.join(missing)} "
                f"(fields: {', '.join(array.dtype.names)})"
            )
        if array.ndim != 1:
            raise EchoTheoryError(f"the structured array has shape {array.shape}; expected (n,)")
        return array["x"], array["y"]
    if array.ndim != 2 or array.shape[1] != 2:
        raise EchoTheoryError(f"the array has shape {array.shape}; expected (n, 2) with columns x and y")
    return array[:, 0], array[:, 1]


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        missing = [name for name in ("x", "y") if name not in archive.files]
        if missing:
            shown = ", ".join(archive.files) or "none"
            raise EchoTheoryError(f"no array named {' or '.join(missing)} (arrays: {shown})")
        return archive["x"], archive["y"]


# A minimal reader and writer of named columns, for ``score`` and ``train --save-predictions``;
# the files branch owns the full, bounded ones, which replace these at merge.


def _load_columns(path: Path, columns: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EchoTheoryError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; give a .csv, .npy or .npz file"
        )
    try:
        if suffix == ".csv":
            raw = _columns_csv(path, columns)
        elif suffix == ".npy":
            array = np.load(path, allow_pickle=False)
            if array.dtype.names is None:
                raise EchoTheoryError(
                    f"the array has shape {array.shape} and no named fields; "
                    f"a file with {', '.join(columns)} needs a structured array with those fields"
                )
            _require(columns, array.dtype.names, "field")
            raw = [array[name] for name in columns]
        else:
            with np.load(path, allow_pickle=False) as archive:
                _require(columns, archive.files, "array named")
                raw = [archive[name] for name in columns]
        return _check_columns(columns, raw)
    except EchoTheoryError as error:
        raise EchoTheoryError(f"{path.name}: {error}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise EchoTheoryError(f"{path.name}: cannot read it as {suffix}: {reason}") from None


def _require(columns, present, what: str) -> None:
    missing = [name for name in columns if name not in present]
    if missing:
        shown = ", ".join(present) or "none"
        raise EchoTheoryError(f"no {what} {' or '.join(missing)} (found: {shown})")


def _columns_csv(path: Path, columns: tuple[str, ...]) -> list[np.ndarray]:
    import pandas

    try:
        frame = pandas.read_csv(path, skipinitialspace=True, dtype=str, keep_default_na=False)
    except pandas.errors.EmptyDataError:
        raise EchoTheoryError(
            f"the file is empty; expected a header row naming {', '.join(columns)}"
        ) from None
    except (pandas.errors.ParserError, UnicodeDecodeError) as error:
        raise EchoTheoryError(f"malformed CSV: {' '.join(str(error).split())}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    _require(columns, list(frame.columns), "column")
    values = []
    for name in columns:
        text = frame[name].str.strip().to_numpy(dtype=str)
        if name in PROBABILITIES:
            number = pandas.to_numeric(pandas.Series(text), errors="coerce").to_numpy(np.float64)
            bad = np.flatnonzero(np.isnan(number) & ~np.isin(np.char.lower(text), ["nan", ""]))
            if bad.size:
                raise EchoTheoryError(
                    f"row {bad[0] + 1} after the header: {name} is {text[bad[0]]!r}, not a number"
                )
            values.append(number)
        else:
            ones, zeros = text == "1", text == "0"
            bad = np.flatnonzero(~(ones | zeros))
            if bad.size:
                shown = repr(text[bad[0]]) if text[bad[0]] else "empty"
                raise EchoTheoryError(
                    f"row {bad[0] + 1} after the header: {name} is {shown}; values must be 0 or 1"
                )
            values.append(ones)
    return values


def _check_columns(columns: tuple[str, ...], raw: list) -> tuple[np.ndarray, ...]:
    arrays = []
    for name, values in zip(columns, raw, strict=True):
        array = np.asarray(values)
        if array.ndim != 1:
            raise EchoTheoryError(f"{name} has shape {array.shape}; expected one dimension")
        if name in PROBABILITIES:
            if array.dtype.kind not in "biuf":
                raise EchoTheoryError(f"{name} holds {array.dtype} values; expected probabilities")
            array = array.astype(np.float64, copy=False)
            if array.size and 0 <= array.min() and array.max() <= 1:  # NaN fails both tests
                arrays.append(array)
                continue
            bad = np.flatnonzero(~((array >= 0) & (array <= 1)) & ~np.isnan(array))
            if bad.size:
                raise EchoTheoryError(
                    f"row {bad[0]}: {name} is {array[bad[0]]!r}, outside [0, 1] (rows count from 0)"
                )
        else:
            if array.dtype.kind not in "biuf":
                raise EchoTheoryError(f"{name} holds {array.dtype} values; expected 0 and 1")
            if not (array.dtype.kind in "bu" and (array.size == 0 or array.max() <= 1)):
                bad = np.flatnonzero((array != 0) & (array != 1))
                if bad.size:
                    raise EchoTheoryError(
                        f"row {bad[0]}: {name} is {array[bad[0]].item()!r}; values must be 0 or 1"
                    )
            array = array.astype(np.uint8, copy=False)
        arrays.append(array)
    lengths = {name: array.size for name, array in zip(columns, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} has {size}" for name, size in lengths.items())
        raise EchoTheoryError(f"columns of different lengths ({shown}); they must match")
    return tuple(arrays)


def save_series(path: str | os.PathLike, columns: dict[str, np.ndarray]) -> None:
    """Write named columns (x, y as 0/1; p, p_true as float64) in the format of the suffix, whole
    or not at all (``atomic.atomic_output``). Floats are written exactly: .npz and .npy keep
    the bytes, and .csv writes 17 significant digits, which read back to the same float64."""
    from .atomic import atomic_output

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EchoTheoryError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; give a .csv, .npy or .npz file"
        )
    names = list(columns)
    arrays = [
        np.asarray(columns[name], dtype=np.float64 if name in PROBABILITIES else np.uint8) for name in names
    ]
    with atomic_output(path, "wb") as handle:
        if suffix == ".npz":
            np.savez(handle, **dict(zip(names, arrays, strict=True)))
        elif suffix == ".npy":
            table = np.empty(
                arrays[0].size, dtype=[(name, array.dtype) for name, array in zip(names, arrays, strict=True)]
            )
            for name, array in zip(names, arrays, strict=True):
                table[name] = array
            np.save(handle, table, allow_pickle=False)
        else:
            formats = ",".join("%.17g" if name in PROBABILITIES else "%d" for name in names)
            np.savetxt(
                handle,
                np.column_stack(arrays),
                fmt=formats.split(","),
                delimiter=",",
                header=",".join(names),
                comments="",
            )
