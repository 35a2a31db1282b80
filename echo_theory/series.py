"""Series files: x, y (and a model's predictions p, or the exact p_true) read and written.

The formats, chosen by the file's extension:

- ``.csv``: comma-separated text, a header row naming the columns (``x``, ``y`` and any others,
  which are skipped unread), then one step per line. x and y are exactly ``0`` or ``1``
  (spaces around a value are ignored; ``1.0``, ``True`` or ``01`` are errors, at every file
  size). p and p_true are decimals in [0, 1] (``0.25``, ``1e-3``); p may also be ``nan`` or
  empty, for a step the model has not predicted. Blank lines are skipped; quoted fields and
  NUL bytes are refused. Errors name the line (the header is line 1).
- ``.npy``: an integer or boolean array of shape (n, 2), columns x then y (it has no p); or a
  structured array of shape (n,) with fields ``x``, ``y`` and any of ``p``, ``p_true``.
- ``.npz``: one-dimensional arrays named ``x``, ``y`` (and ``p``, ``p_true``) of equal length.

Reading is bounded whatever the file claims. Before anything is allocated, a ``.npy`` header's
shape is checked against the bytes that follow it, and an ``.npz`` member's declared sizes
against its npy header and its compressed size (deflate cannot expand more than 1032-fold);
only the requested columns (members, fields) are read, in chunks. A CSV is read in blocks of
1 MB and only the requested fields of each line are looked at, so a header of 200,000
columns costs one pass over it. Pickled objects are never loaded, and anything that is not a
regular file (a FIFO, a device) is refused without opening it for a blocking read. Every
problem is one ``EchoTheoryError`` line naming the file.

Writing (``write_series``, ``SeriesWriter``) goes through ``atomic_output``: a file appears
whole or not at all. The writer streams chunks of a series of known length in bounded memory;
``.npz`` files are uncompressed (stored) zip archives, ZIP64 when large, with a fixed time stamp,
so the same columns always give the same bytes.
"""

from __future__ import annotations

import collections
import errno
import io
import math
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import EchoTheoryError, LimitError

FORMATS = (".csv", ".npy", ".npz")
BINARY = ("x", "y")  # uint8 0/1
PROBABILITY = ("p", "p_true")  # float64 in [0, 1]; p may be NaN
COLUMNS = BINARY + PROBABILITY
DTYPES = {"x": np.dtype(np.uint8), "y": np.dtype(np.uint8), "p": np.dtype("<f8"), "p_true": np.dtype("<f8")}

_BLOCK = 4 << 20  # bytes per chunk of a binary read
_CSV_BLOCK = 1 << 20  # bytes of CSV parsed at a time: its index arrays take about 15 times that
_MAX_CSV_LINE = 16 << 20  # a header or a line longer than this is not a series file
_MAX_NPY_HEADER = 100_000  # numpy's own default is 10,000; structured headers may be longer
_DEFLATE_RATIO = 1032  # the most a deflate stream can expand (RFC 1951 blocks of 258-byte matches)


# --- reading ------------------------------------------------------------------------------------


def series_format(path: str | os.PathLike, where: str | None = None) -> str:
    """The format a series file's suffix names (``.csv``, ``.npy``, ``.npz``), or the one-line
    error that readers and writers give alike; ``where`` leads the message (the file's name
    by default)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EchoTheoryError(
            f"{where or path.name}: unknown format {suffix or '(no extension)'!r}; "
            "give a .csv, .npy or .npz file"
        )
    return suffix


def load_series(path: str | os.PathLike, columns: Sequence[str] = BINARY) -> tuple[np.ndarray, ...]:
    """The requested ``columns`` of a .csv, .npy or .npz series file, as checked arrays in that order.

    ``x`` and ``y`` come back as uint8 arrays of 0 and 1; ``p`` (a model's predicted P(y=1)) and
    ``p_true`` (the exact one) as float64 in [0, 1], where ``p`` may be NaN. All columns have one
    length, at least 1. Only the requested columns are read, in bounded memory; every problem
    is an ``EchoTheoryError`` whose one line starts with the file's name.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = path.write_text("t,x,y,p\\n0,1,0,0.25\\n1,0,1,nan\\n")
    >>> x, y, p = load_series(path, ("x", "y", "p"))
    >>> x.tolist(), y.tolist(), p.tolist()
    ([1, 0], [0, 1], [0.25, nan])
    """
    path = Path(path)
    columns = _check_columns(columns)
    suffix = series_format(path)
    try:
        with _open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            reader = {".csv": _read_csv, ".npy": _read_npy, ".npz": _read_npz}[suffix]
            arrays = reader(handle, size, columns)
        lengths = {name: array.size for name, array in zip(columns, arrays, strict=True)}
        if len(set(lengths.values())) > 1:
            shown = " but ".join(f"{name} has {n}" for name, n in lengths.items())
            raise EchoTheoryError(f"{shown} values: lengths must match")
        if arrays[0].size == 0:
            raise EchoTheoryError("the file holds no steps")
        return tuple(arrays)
    except EchoTheoryError as error:
        raise type(error)(f"{path.name}: {error}") from None
    except MemoryError:
        raise LimitError(f"{path.name}: not enough memory to read the series") from None
    except (
        OSError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        zipfile.BadZipFile,
        RecursionError,
    ) as error:
        reason = getattr(error, "strerror", None) or " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, zipfile.BadZipFile):
            reason = f"not a valid zip archive: {reason}"
        raise EchoTheoryError(f"{path.name}: cannot read it as {suffix}: {reason}") from None


def _check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    if isinstance(columns, str):
        columns = (columns,)
    columns = tuple(columns)
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown or not columns or len(set(columns)) != len(columns):
        raise EchoTheoryError(f"columns {columns!r}: expected distinct names among {', '.join(COLUMNS)}")
    return columns


_KINDS = [
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
]


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((text for test, text in _KINDS if test(mode)), "not a regular file")
    return f"it is {kind}, not a regular file; give a .csv, .npy or .npz file"


def _open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading, refusing anything else before a read could block."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a loop is ELOOP here
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise EchoTheoryError("it is a loop of symbolic links (ELOOP)") from None
        if error.errno == errno.ENOENT:
            if os.path.islink(path):
                raise EchoTheoryError("it is a symbolic link to a file that does not exist") from None
            raise EchoTheoryError("the file does not exist") from None
        raise EchoTheoryError(f"cannot open it: {error.strerror}") from None
    if (reason := _not_regular(mode)) is not None:
        raise EchoTheoryError(reason)
    # O_NONBLOCK: if the path became a FIFO since the stat, opening must not wait for a writer
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise EchoTheoryError(f"cannot open it: {error.strerror}") from None
    if (reason := _not_regular(os.fstat(descriptor).st_mode)) is not None:
        os.close(descriptor)
        raise EchoTheoryError(reason)
    return os.fdopen(descriptor, "rb")


def _check_memory(steps: int, columns: Sequence[str]) -> None:
    """Refuse, before allocating, a series whose requested columns would not fit in memory."""
    need = steps * sum(DTYPES[name].itemsize for name in columns)
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if need > total // 2:
        raise LimitError(
            f"the series has {steps:,} steps: its columns {', '.join(columns)} need {need / 1e9:.1f} GB, "
            f"more than half of this machine's {total / 1e9:.1f} GB"
        )


def _convert(name: str, values: np.ndarray, out: np.ndarray, start: int) -> None:
    """Check a chunk of column ``name`` (rows ``start``...) and store it into ``out``."""
    if values.dtype.kind not in "biuf":
        raise EchoTheoryError(f"{name} holds {values.dtype} values; expected numbers")
    if name in BINARY:
        # the common case in one or two reductions; the element-wise search only to name a row
        fine = values.size == 0 or (values.min() >= 0 and values.max() <= 1 and values.dtype.kind != "f")
        bad = np.empty(0, dtype=np.intp) if fine else np.flatnonzero((values != 0) & (values != 1))
        if bad.size:
            raise EchoTheoryError(
                f"{name}[{start + bad[0]}] is {values[bad[0]].item()!r}: values must be 0 or 1"
            )
    else:
        floats = values.astype(np.float64, copy=False)
        if floats.size == 0:
            return
        low, high = floats.min(), floats.max()  # NaN if any value is NaN
        if 0 <= low and high <= 1:  # every value inside [0, 1], no NaN: the common case
            bad = np.empty(0, dtype=np.intp)
        else:
            inside = (floats >= 0) & (floats <= 1)
            if name == "p":
                inside |= np.isnan(floats)
            bad = np.flatnonzero(~inside)
        if bad.size:
            allowed = "numbers in [0, 1] or nan" if name == "p" else "numbers in [0, 1]"
            raise EchoTheoryError(
                f"{name}[{start + bad[0]}] is {floats[bad[0]].item()!r}: probabilities must be {allowed}"
            )
        values = floats
    out[start : start + values.size] = values


# --- .npy and .npz ------------------------------------------------------------------------------


def _npy_header(handle: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from an npy header, read without trusting it."""
    from numpy.lib import format as npy_format

    version = npy_format.read_magic(handle)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise EchoTheoryError(f"npy format version {version[0]}.{version[1]} is not supported")
    try:
        # numpy parses the header's text with tokenize and literal_eval: on crafted bytes they
        # raise anything (TokenError, SyntaxError, ...) and warn, so all of it is one error here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if version == (1, 0):
                header = npy_format.read_array_header_1_0(handle, max_header_size=_MAX_NPY_HEADER)
            elif version == (2, 0):
                header = npy_format.read_array_header_2_0(handle, max_header_size=_MAX_NPY_HEADER)
            else:  # 3.0: a UTF-8 header, otherwise 2.0's layout
                from numpy.lib import _format_impl

                header = _format_impl._read_array_header(handle, version, _MAX_NPY_HEADER)
    except (OSError, MemoryError):
        raise
    except Exception as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise EchoTheoryError(f"the npy header is not valid: {reason}") from None
    shape, fortran, dtype = header
    if dtype.hasobject:
        raise EchoTheoryError(
            "the array holds Python objects (pickled data), which are never loaded; "
            "store numbers (integers, booleans or floats)"
        )
    return tuple(int(n) for n in shape), bool(fortran), dtype


def _read_exact(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise EchoTheoryError(f"the data ends early: {len(data)} of {size} bytes")
    return data


def _read_array(
    handle: BinaryIO, available: int, columns: Sequence[str], what: str, single: str | None = None
) -> dict[str, np.ndarray]:
    """Read the requested fields of one npy stream (a file, or an npz member) in chunks.

    ``single`` names the column a one-dimensional array holds (an npz member); otherwise the
    array is (n, 2) (x, y) or structured. ``available``: the bytes after the header.
    """
    shape, fortran, dtype = _npy_header(handle)
    data_bytes = math.prod(shape) * dtype.itemsize
    header = handle.tell()
    if data_bytes != available - header:
        raise EchoTheoryError(
            f"{what}'s header claims shape {shape} of {dtype} ({data_bytes:,} bytes) but "
            f"{max(available - header, 0):,} bytes follow it"
        )
    fields = dtype.names
    if single is not None:
        if fields is not None or len(shape) != 1:
            raise EchoTheoryError(f"{what} has shape {shape} and dtype {dtype}; expected one dimension")
        plan = {single: (0, dtype)}
        steps, row = shape[0], dtype
    elif fields is not None:
        missing = [name for name in columns if name not in fields]
        if missing:
            raise EchoTheoryError(
                f"the structured array has no field {' or '.join(missing)} (fields: {', '.join(fields)})"
            )
        if len(shape) != 1:
            raise EchoTheoryError(f"the structured array has shape {shape}; expected (n,)")
        for name in columns:
            if dtype.fields[name][0].shape != ():
                raise EchoTheoryError(f"field {name} is an array ({dtype.fields[name][0]}); expected numbers")
        plan = {name: None for name in columns}
        steps, row = shape[0], dtype
    else:
        if len(shape) != 2 or shape[1] != 2:
            raise EchoTheoryError(f"the array has shape {shape}; expected (n, 2) with columns x and y")
        extra = [name for name in columns if name not in BINARY]
        if extra:
            raise EchoTheoryError(
                f"a plain (n, 2) array holds x and y only, not {', '.join(extra)}; "
                "store a structured array with fields x, y, p"
            )
        steps, row = shape[0], dtype
    _check_memory(steps, columns)
    outputs = {name: np.empty(steps, dtype=DTYPES[name]) for name in (plan if single else columns)}
    if steps == 0:
        return outputs
    if fields is None and single is None and fortran:  # (n, 2) in Fortran order: all x, then all y
        rows = max(1, _BLOCK // dtype.itemsize)
        for index, name in enumerate(BINARY):
            if name not in outputs:
                continue
            handle.seek(header + index * steps * dtype.itemsize)
            for start in range(0, steps, rows):
                count = min(rows, steps - start)
                chunk = np.frombuffer(_read_exact(handle, count * dtype.itemsize), dtype=dtype)
                _convert(name, chunk, outputs[name], start)
        return outputs
    per_row = dtype.itemsize * (2 if fields is None and single is None else 1)
    rows = max(1, _BLOCK // max(per_row, 1))
    for start in range(0, steps, rows):
        count = min(rows, steps - start)
        chunk = np.frombuffer(_read_exact(handle, count * per_row), dtype=row)
        if single is not None:
            _convert(single, chunk, outputs[single], start)
        elif fields is not None:
            for name in columns:
                _convert(name, chunk[name], outputs[name], start)
        else:
            pairs = chunk.reshape(count, 2)
            for index, name in enumerate(BINARY):
                if name in outputs:
                    _convert(name, pairs[:, index], outputs[name], start)
    return outputs


def _read_npy(handle: BinaryIO, size: int, columns: Sequence[str]) -> list[np.ndarray]:
    arrays = _read_array(handle, size, columns, "the file")
    return [arrays[name] for name in columns]


def _read_npz(handle: BinaryIO, size: int, columns: Sequence[str]) -> list[np.ndarray]:
    try:
        return _read_zip(handle, size, columns)
    except (NotImplementedError, RuntimeError, OverflowError, zipfile.LargeZipFile) as error:
        # zipfile's word for features it lacks (patched data, encryption) and for broken fields
        reason = " ".join(str(error).split()) or type(error).__name__
        raise EchoTheoryError(f"cannot read it as .npz: not a zip archive numpy writes ({reason})") from None


def _read_zip(handle: BinaryIO, size: int, columns: Sequence[str]) -> list[np.ndarray]:
    with zipfile.ZipFile(handle) as archive:
        infos = {}
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            infos.setdefault(name, info)
        missing = [name for name in columns if name not in infos]
        if missing:
            shown = ", ".join(sorted(infos)) or "none"
            raise EchoTheoryError(f"no array named {' or '.join(missing)} (arrays: {shown})")
        arrays = []
        for name in columns:
            info = infos[name]
            what = f"array {name}"
            if info.flag_bits & 1:
                raise EchoTheoryError(f"{what} is encrypted")
            if info.compress_type == zipfile.ZIP_STORED:
                if info.file_size != info.compress_size:
                    raise EchoTheoryError(f"{what} is stored uncompressed but its sizes disagree")
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                if info.file_size > _DEFLATE_RATIO * info.compress_size + 1024:
                    raise EchoTheoryError(
                        f"{what} claims {info.file_size:,} bytes, {info.compress_size:,} compressed: "
                        "more than deflate expands to"
                    )
            else:
                raise EchoTheoryError(
                    f"{what} uses zip compression method {info.compress_type}; "
                    "only stored and deflated arrays are read"
                )
            if info.compress_size > size:
                raise EchoTheoryError(f"{what} claims {info.compress_size:,} bytes, more than the file holds")
            with archive.open(info) as member:
                arrays.append(_read_array(member, info.file_size, (name,), what, single=name)[name])
                if member.read(1):  # also makes zipfile check the member's CRC
                    raise EchoTheoryError(f"{what} has bytes after its data")
    return arrays


# --- .csv -------------------------------------------------------------------------------------

_SPACE = (32, 9, 13)  # stripped around values: space, tab, and the CR of CRLF line ends
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[[*b"0123456789.eE+-", 0]] = True  # 0: the padding of fixed-width strings
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_SPACE)] = True


def _strip(array: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Move field bounds past surrounding spaces, in place (vectorized, a pass per space)."""
    last = max(array.size - 1, 0)
    todo = np.flatnonzero((starts < ends) & _IS_SPACE[array[np.minimum(starts, last)]])
    while todo.size:
        starts[todo] += 1
        todo = todo[(starts[todo] < ends[todo]) & _IS_SPACE[array[np.minimum(starts[todo], last)]]]
    todo = np.flatnonzero((starts < ends) & _IS_SPACE[array[np.maximum(ends - 1, 0)]])
    while todo.size:
        ends[todo] -= 1
        todo = todo[(starts[todo] < ends[todo]) & _IS_SPACE[array[np.maximum(ends[todo] - 1, 0)]]]


def _text(block: bytes, start: int, end: int) -> str:
    text = block[start:end].decode("utf-8", "replace")
    return repr(text if len(text) <= 30 else text[:30] + "...")


class _CsvBlock:
    """Complete lines of a CSV: where each line and each of its fields starts and ends."""

    def __init__(self, block: bytes, first_line: int) -> None:
        self.block, self.first_line = block, first_line
        self.array = array = np.frombuffer(block, dtype=np.uint8)
        for byte, what in (
            (0, "a NUL byte; a CSV file is text"),
            (34, "a quoted field, which is not supported"),
        ):
            at = block.find(bytes([byte]))
            if at >= 0:
                raise EchoTheoryError(f"line {self.line_of(at)} holds {what}")
        # every comma and newline, in order: field j of a line ends at its line's j-th delimiter
        low = np.flatnonzero(array < 45)  # a cheap first cut: ',' is 44 and newline 10, digits 48-57
        kind = array[low]
        self.delimiters = delimiters = low[(kind == 44) | (kind == 10)]
        newlines = np.flatnonzero(array[delimiters] == 10)  # indices into delimiters
        ends = delimiters[newlines]
        starts = np.concatenate(([0], ends[:-1] + 1))
        first = np.concatenate(([0], newlines[:-1] + 1))
        blank = (ends == starts) | ((ends == starts + 1) & (array[np.maximum(ends - 1, 0)] == 13))
        self.lines = None  # the kept lines' numbers within the block; None: every line is kept
        if blank.any():
            self.lines = np.flatnonzero(~blank)
            starts, ends, first, newlines = (
                starts[self.lines],
                ends[self.lines],
                first[self.lines],
                newlines[self.lines],
            )
        self.starts, self.ends, self.first = starts, ends, first
        self.fields = newlines - first + 1
        self.width = (
            int(self.fields[0]) if self.fields.size and (self.fields == self.fields[0]).all() else None
        )

    def line_of(self, offset: int) -> int:
        return self.first_line + self.block.count(b"\n", 0, offset)

    def line(self, index: int) -> int:
        """The file's line number of kept line ``index``."""
        return self.first_line + int(index if self.lines is None else self.lines[index])

    def field(self, column: int, strip: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of field ``column`` on every kept line (empty where the line is shorter)."""
        if self.width is not None and column < self.width and self.lines is None:
            # every line has the same fields: the delimiters are a (lines, width) table
            table = self.delimiters.reshape(-1, self.width)
            ends = table[:, column].copy()
            starts = self.starts.copy() if column == 0 else table[:, column - 1] + 1
        else:
            has = self.fields > column
            index = self.first + column
            keep = np.flatnonzero(has)
            starts, ends = self.ends.copy(), self.ends.copy()  # a missing field: empty, at the line's end
            ends[keep] = self.delimiters[index[keep]]
            starts[keep] = self.starts[keep] if column == 0 else self.delimiters[index[keep] - 1] + 1
        if strip:
            _strip(self.array, starts, ends)
        return starts, ends


def _csv_binary(name: str, part: _CsvBlock, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 0/1 column; the bounds come unstripped: only fields that are not one digit are stripped."""
    values = part.array[np.minimum(starts, part.array.size - 1)]
    good = (ends - starts == 1) & ((values == 48) | (values == 49))
    bad = np.flatnonzero(~good)
    if bad.size:  # strip the others and look again
        s, e = starts[bad], ends[bad]
        _strip(part.array, s, e)
        starts[bad], ends[bad] = s, e
        values[bad] = part.array[np.minimum(s, part.array.size - 1)]
        good[bad] = (e - s == 1) & ((values[bad] == 48) | (values[bad] == 49))
        bad = bad[~good[bad]]
    if bad.size:
        i = bad[0]
        shown = "empty" if starts[i] == ends[i] else _text(part.block, starts[i], ends[i])
        raise EchoTheoryError(f"line {part.line(i)}: {name} is {shown}; values must be 0 or 1")
    return (values - 48).astype(np.uint8)


def _csv_probability(name: str, part: _CsvBlock, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    out = np.empty(starts.size, dtype=np.float64)
    lengths = ends - starts
    allowed = "a number in [0, 1] or nan" if name == "p" else "a number in [0, 1]"

    def fail(i: int) -> None:
        shown = "empty" if lengths[i] == 0 else _text(part.block, starts[i], ends[i])
        raise EchoTheoryError(f"line {part.line(i)}: {name} is {shown}; expected {allowed}")

    def one(i: int) -> float:  # the slow, exact grammar for what the fast path set aside
        text = part.block[starts[i] : ends[i]].decode("ascii", "replace")
        if text.lower() == "nan" or not text:
            return math.nan
        if not _NUMBER.fullmatch(text):
            fail(i)
        return float(text)

    for first in range(0, starts.size, 1 << 16):  # bounded temporaries: (rows, width) bytes
        rows = slice(first, min(first + (1 << 16), starts.size))
        s, n = starts[rows], lengths[rows]
        width = int(n.max(initial=0))
        slow = n == 0
        if 0 < width <= 40:
            offsets = np.arange(width)
            index = np.minimum(s[:, None] + offsets, part.array.size - 1)
            matrix = np.where(offsets < n[:, None], part.array[index], 0).astype(np.uint8)
            slow |= ~_NUMBER_BYTES[matrix].all(axis=1)
            fast = np.flatnonzero(~slow)
            try:
                out[first + fast] = matrix[fast].view(f"S{width}").ravel().astype(np.float64)
            except ValueError:  # a malformed number among them: find it the slow way
                slow[:] = True
        else:
            slow[:] = True
        for i in np.flatnonzero(slow) + first:
            out[i] = one(int(i))
    inside = (out >= 0) & (out <= 1)
    if name == "p":
        inside |= np.isnan(out)
    bad = np.flatnonzero(~inside)
    if bad.size:
        fail(int(bad[0]))
    return out


def _csv_lines(handle: BinaryIO) -> Iterable[tuple[bytes, int]]:
    """Blocks of complete lines (and the file's line number of each block's first line)."""
    pending, line, eof = b"", 1, False
    while not eof:
        data = handle.read(_CSV_BLOCK)
        eof = not data
        block = pending + data
        if not block:
            return
        cut = len(block) if eof else block.rfind(b"\n") + 1
        if cut == 0:
            if len(block) > _MAX_CSV_LINE:
                raise EchoTheoryError(f"line {line} is longer than {_MAX_CSV_LINE >> 20} MB")
            pending = block
            continue
        lines, pending = block[:cut], block[cut:]
        if not lines.endswith(b"\n"):
            lines += b"\n"
        yield lines, line
        line += lines.count(b"\n")


def _read_csv(handle: BinaryIO, size: int, columns: Sequence[str]) -> list[np.ndarray]:
    blocks = iter(_csv_lines(handle))
    header = None
    for block, line in blocks:
        if block.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark
            block = block[3:]
        part = _CsvBlock(block, line)
        if part.starts.size:
            header, rest = part, int(part.ends[0]) + 1
            break
    if header is None:
        raise EchoTheoryError("the file is empty; expected a header row naming columns x and y")
    width = int(header.fields[0])
    positions = {}
    for name in columns:  # find each needed name among the header's fields, without splitting it
        found = _header_positions(header, name)
        if len(found) > 1:
            raise EchoTheoryError(f"the header names column {name} {len(found)} times")
        if found:
            positions[name] = found[0]
    missing = [name for name in columns if name not in positions]
    if missing:
        names = header.block[: int(header.ends[0])].decode("utf-8", "replace").split(",", 12)[:12]
        shown = ", ".join(n.strip() for n in names[:11]) + (", ..." if len(names) > 11 else "")
        raise EchoTheoryError(f"no column {' or '.join(missing)} in the header line (columns: {shown})")
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in columns}

    def parse(part: _CsvBlock) -> None:
        wide = np.flatnonzero(part.fields > width)
        if wide.size:
            i = wide[0]
            raise EchoTheoryError(
                f"line {part.line(i)} has {part.fields[i]} fields, more than the header's {width}"
            )
        for name in columns:
            starts, ends = part.field(positions[name], strip=name not in BINARY)
            convert = _csv_binary if name in BINARY else _csv_probability
            pieces[name].append(convert(name, part, starts, ends))

    first_data = header.block[rest:]
    if first_data:
        parse(_CsvBlock(first_data, header.line(0) + 1))
    for block, line in blocks:
        parse(_CsvBlock(block, line))
    if not pieces[columns[0]]:
        raise EchoTheoryError("the header line is followed by no steps")
    return [np.concatenate(pieces[name]) for name in columns]


def _header_positions(header: _CsvBlock, name: str) -> list[int]:
    """The columns of a wide header whose (stripped) name is ``name``, found vectorized."""
    delimiters = header.delimiters[header.first[0] : header.first[0] + header.fields[0]]
    starts = np.concatenate(([header.starts[0]], delimiters[:-1] + 1))
    ends = delimiters.copy()
    _strip(header.array, starts, ends)
    target = name.encode()
    match = (ends - starts) == len(target)
    for offset, byte in enumerate(target):
        candidates = np.flatnonzero(match)
        match[candidates] = header.array[starts[candidates] + offset] == byte
    return np.flatnonzero(match).tolist()


# --- writing ------------------------------------------------------------------------------------

_ZIP_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01 00:00: fixed, so the bytes are reproducible
_ZIP64_LIMIT = 0xFFFFFFFF  # a size or offset from here on needs a ZIP64 record
_ZIP64_MARK = 0xFFFFFFFF  # what the 32-bit field then holds


def _npy_header_bytes(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    from numpy.lib import format as npy_format

    buffer = io.BytesIO()
    header = {"descr": npy_format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _check_names(names: Sequence[str]) -> tuple[str, ...]:
    names = _check_columns(names)
    if names[:2] != BINARY:
        raise EchoTheoryError(f"columns {names!r}: a series file starts with x and y")
    return names


class SeriesWriter:
    """Streams a series of ``length`` steps, chunk by chunk, into ``handle`` in bounded memory.

    ``handle``: a binary file open for writing at offset 0 (such as ``atomic_output``'s),
    written with positioned writes; ``suffix`` (.csv, .npy, .npz) picks the format;
    ``names``: ``("x", "y")`` and optionally ``"p"`` and/or ``"p_true"``, in that order.
    Call ``write`` with one array per name (equal lengths, x and y 0/1, probabilities
    float64), as many times as needed to give ``length`` steps in all, then ``close``.
    With ``background``, a writer thread does the writes while the caller makes the next
    chunk (the arrays given must then stay unchanged); use the writer as a context manager,
    inside the handle's, so that the thread has stopped before the handle closes.

    - ``.npz``: a stored (uncompressed) zip with one npy member per column. Every member's size
      is known from ``length``, so each chunk of each column goes straight to its place with
      ``os.pwrite``: one pass, no temporary files, each member's CRC-32 accumulated as it goes
      and written into the headers at the end. ZIP64 records appear only where a size or an
      offset needs them.
    - ``.npy``: an (n, 2) uint8 array for x and y; a packed structured array (x and y uint8,
      p and p_true float64) when there are more columns.
    - ``.csv``: a header line, then ``x,y[,p][,p_true]`` lines; probabilities as the shortest
      text that reads back as the same float (``repr``), NaN as ``nan``.
    """

    def __init__(
        self,
        handle: BinaryIO,
        suffix: str,
        length: int,
        names: Sequence[str] = BINARY,
        background: bool = False,
    ) -> None:
        self.handle, self.fd = handle, handle.fileno()
        self.background, self._lanes = background, {}
        self.suffix, self.length, self.names = suffix.lower(), int(length), _check_names(names)
        if self.suffix not in FORMATS:
            raise EchoTheoryError(f"unknown format {suffix!r}; give a .csv, .npy or .npz file")
        self.done = 0
        self.offset = 0  # the next byte of a sequential format
        if self.suffix == ".npz":
            self._start_zip()
        elif self.suffix == ".npy":
            if self.names == BINARY:
                self.dtype, shape = np.dtype(np.uint8), (self.length, 2)
            else:
                self.dtype = np.dtype([(name, DTYPES[name]) for name in self.names])
                shape = (self.length,)
            self._append(_npy_header_bytes(self.dtype, shape))
        else:
            self._append((",".join(self.names) + "\n").encode())
        self._reserve()

    def _reserve(self) -> None:
        """Allocate the file's blocks up front when its size is known: the writes then run
        faster (no block allocation on the way), and a full disk is an error before the work."""
        if self.suffix == ".npz":
            size = self.offset + sum(46 + len(m["name"]) + 28 for m in self.members) + 98
        elif self.suffix == ".npy":
            size = self.offset + self.length * self.dtype.itemsize * (2 if self.names == BINARY else 1)
        elif self.names == BINARY:
            size = self.offset + 4 * self.length  # "0,1\n"
        else:
            return
        if hasattr(os, "posix_fallocate") and size > 1 << 20:
            try:
                os.posix_fallocate(self.fd, 0, size)
            except OSError as error:
                if error.errno == errno.ENOSPC:
                    raise
                # EOPNOTSUPP and the like: the file system cannot reserve; writing still works

    def __enter__(self) -> SeriesWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        """Stop the background writes before the handle closes (on an error or an interrupt too)."""
        lanes, self._lanes, self.background = self._lanes, {}, False
        for lane in lanes.values():
            lane.stop()

    def _submit(self, data, offset: int, member: dict | None = None) -> None:
        """A write (and the CRC-32 of a zip member's bytes), done now or by a writer thread.

        Each zip member has its own thread (a lane), and a lane takes its jobs in order, so a
        member's CRC accumulates in order; the sequential formats have one lane. The CRC goes to
        the threads too: it costs about as much as the writes, and the caller is sampling."""
        if not self.background:
            _crc_and_put(self.fd, [(data, offset, member)])
            return
        key = id(member)
        if key not in self._lanes:
            self._lanes[key] = _Lane(self.fd)
        self._lanes[key].add((data, offset, member))

    def _drain(self) -> None:
        for lane in self._lanes.values():
            lane.finish()

    def _append(self, data) -> None:
        size = data.nbytes if isinstance(data, np.ndarray) else len(data)
        self._submit(data, self.offset)
        self.offset += size

    def _put(self, data, offset: int) -> None:
        _pwrite_all(self.fd, data, offset)

    # .npz: the layout is fixed by the length alone
    def _start_zip(self) -> None:
        self.members = []
        offset = 0
        for name in self.names:
            header = _npy_header_bytes(DTYPES[name], (self.length,))
            size = len(header) + self.length * DTYPES[name].itemsize
            filename = f"{name}.npy".encode()
            zip64 = size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT
            extra = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
            local = struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                45 if zip64 else 20,
                0,
                0,
                0,
                _ZIP_DATE,
                0,  # CRC-32, written at the end
                _ZIP64_MARK if zip64 else size,
                _ZIP64_MARK if zip64 else size,
                len(filename),
                len(extra),
            )
            local += filename + extra
            data_start = offset + len(local) + len(header)
            self.members.append(
                {
                    "name": filename,
                    "offset": offset,
                    "size": size,
                    "zip64": zip64,
                    "crc": zlib.crc32(header),
                    "data": data_start,
                }
            )
            self._put(local + header, offset)
            offset = data_start + self.length * DTYPES[name].itemsize
        self.offset = offset

    def write(self, columns: Sequence[np.ndarray]) -> None:
        if len(columns) != len(self.names):
            raise EchoTheoryError(f"expected {len(self.names)} columns ({', '.join(self.names)})")
        arrays = [np.ascontiguousarray(a, dtype=DTYPES[n]) for n, a in zip(self.names, columns, strict=True)]
        count = arrays[0].size
        if any(a.ndim != 1 or a.size != count for a in arrays):
            raise EchoTheoryError("the columns of a chunk must be one-dimensional and of one length")
        if self.done + count > self.length:
            raise EchoTheoryError(f"more than the {self.length} steps announced")
        if self.suffix == ".npz":
            for member, array, name in zip(self.members, arrays, self.names, strict=True):
                self._submit(array, member["data"] + self.done * DTYPES[name].itemsize, member)
        elif self.suffix == ".npy":
            if self.names == BINARY:
                rows = np.empty((count, 2), dtype=np.uint8)
                rows[:, 0], rows[:, 1] = arrays
            else:
                rows = np.empty(count, dtype=self.dtype)
                for name, array in zip(self.names, arrays, strict=True):
                    rows[name] = array
            self._append(rows)
        else:
            self._append(_csv_rows(arrays))
        self.done += count

    def close(self) -> None:
        """Finish the file (the zip's directory); the steps written must be the announced length."""
        if self.done != self.length:
            raise EchoTheoryError(f"{self.done} steps written of the {self.length} announced")
        self._drain()
        self.__exit__()  # the rest is written here, in order
        if self.suffix == ".npz":
            self._directory()
        os.ftruncate(self.fd, self.offset)  # the reservation may have been an upper bound

    def _directory(self) -> None:
        directory = b""
        for member in self.members:
            self._put(struct.pack("<I", member["crc"] & 0xFFFFFFFF), member["offset"] + 14)
            size, offset = member["size"], member["offset"]
            big = [v for v in (size, size) if v >= _ZIP64_LIMIT] + (
                [offset] if offset >= _ZIP64_LIMIT else []
            )
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            directory += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                (3 << 8) | 45,  # made by: Unix, zip 4.5
                45 if big else 20,
                0,
                0,
                0,
                _ZIP_DATE,
                member["crc"] & 0xFFFFFFFF,
                _ZIP64_MARK if size >= _ZIP64_LIMIT else size,
                _ZIP64_MARK if size >= _ZIP64_LIMIT else size,
                len(member["name"]),
                len(extra),
                0,
                0,
                0,
                0o100644 << 16,
                _ZIP64_MARK if offset >= _ZIP64_LIMIT else offset,
            )
            directory += member["name"] + extra
        start, entries = self.offset, len(self.members)
        end = b""
        if start + len(directory) >= _ZIP64_LIMIT:
            end += struct.pack(
                "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries, len(directory), start
            )
            end += struct.pack("<IIQI", 0x07064B50, 0, start + len(directory), 1)
        end += struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            entries,
            entries,
            len(directory),
            _ZIP64_MARK if start >= _ZIP64_LIMIT else start,
            0,
        )
        self._append(directory + end)


def _crc_and_put(fd: int, jobs: list) -> None:
    for data, offset, member in jobs:
        if member is not None:
            member["crc"] = zlib.crc32(data, member["crc"])
        _pwrite_all(fd, data, offset)


class _Lane:
    """A writer thread and its queue. Jobs are batched to about 8 MB (each batch hands the GIL
    over twice, which can cost a switch interval, 5 ms), and at most 2 batches wait, so memory
    stays bounded; an error in a job surfaces at the next ``add`` or at ``finish``."""

    def __init__(self, fd: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.fd, self.batch, self.size, self.pending = fd, [], 0, collections.deque()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="series-writer")

    def add(self, job: tuple) -> None:
        self.batch.append(job)
        self.size += job[0].nbytes if isinstance(job[0], np.ndarray) else len(job[0])
        if self.size >= 8 << 20:
            self._send(2)

    def _send(self, waiting: int) -> None:
        if self.batch:
            self.pending.append(self.pool.submit(_crc_and_put, self.fd, self.batch))
            self.batch, self.size = [], 0
        while len(self.pending) > waiting:
            self.pending.popleft().result()

    def finish(self) -> None:
        self._send(0)

    def stop(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _pwrite_all(fd: int, data, offset: int) -> None:
    if isinstance(data, np.ndarray):
        data = data.reshape(-1).view(np.uint8)
    view = memoryview(data).cast("B")
    while view.nbytes:  # pwrite may write less than asked
        written = os.pwrite(fd, view, offset)
        offset += written
        view = view[written:]


def _csv_rows(arrays: Sequence[np.ndarray]) -> bytes:
    """CSV lines for a chunk: vectorized bytes for x and y; floats through a table of their texts."""
    count = arrays[0].size
    if len(arrays) == 2:
        rows = np.empty((count, 4), dtype=np.uint8)
        rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = arrays[0] + 48, 44, arrays[1] + 48, 10
        return rows.tobytes()
    texts = [np.array(["0", "1"], dtype=object)[a] for a in arrays[:2]]
    for array in arrays[2:]:  # few distinct values in a sampled series: format each once
        values, inverse = np.unique(array, return_inverse=True)
        table = np.array([repr(float(v)) for v in values], dtype=object)
        texts.append(table[inverse.ravel()])
    return ("\n".join(map(",".join, zip(*texts, strict=True))) + "\n").encode()


def write_series(path: str | os.PathLike, columns: Mapping[str, np.ndarray]) -> None:
    """Write a series file whole or not at all; the suffix of ``path`` picks the format.

    ``columns`` maps ``"x"`` and ``"y"`` (0/1 values) and optionally ``"p"`` (a model's
    predicted P(y_t = 1), NaN where it made none) and ``"p_true"`` (the exact one) to arrays of
    one length. They are checked as ``load_series`` checks them, and ``load_series`` reads the
    file back to the same arrays: ``.npz`` holds one array per column, ``.npy`` an (n, 2) uint8
    array (x and y only) or a structured array, ``.csv`` a header line and one line per step.
    This is the format ``echo-theory score`` reads, and what ``train --save-predictions`` writes.

    >>> import tempfile, pathlib, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "predictions.npz"
    >>> write_series(path, {"x": [0, 1, 1], "y": [1, 1, 0], "p": [np.nan, 0.75, 0.5]})
    >>> [a.tolist() for a in load_series(path, ("x", "y", "p"))]
    [[0, 1, 1], [1, 1, 0], [nan, 0.75, 0.5]]
    """
    from .atomic import atomic_output, check_output_path

    path = check_output_path(path, "series file")
    names = _check_names(tuple(name for name in COLUMNS if name in columns))
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise EchoTheoryError(
            f"unknown column {', '.join(unknown)}; a series file holds {', '.join(COLUMNS)}"
        )
    arrays = []
    for name in names:
        values = np.asarray(columns[name])
        if values.ndim != 1:
            raise EchoTheoryError(f"{name} has shape {values.shape}; expected one dimension")
        out = np.empty(values.size, dtype=DTYPES[name])
        _convert(name, values, out, 0)
        arrays.append(out)
    lengths = {array.size for array in arrays}
    if len(lengths) != 1:
        raise EchoTheoryError(
            "columns of different lengths: "
            + ", ".join(f"{n} {a.size}" for n, a in zip(names, arrays, strict=True))
        )
    length = lengths.pop()
    with atomic_output(path) as handle, SeriesWriter(handle, path.suffix, length, names, True) as writer:
        step = 1 << 20
        for start in range(0, length, step):
            writer.write([array[start : start + step] for array in arrays])
        writer.close()
