"""The sweep's store: an SQLite file, one row per finished run, committed as each one ends.

Schema (format version 1):

- ``meta(name, value)``: ``format = echo-theory sweep store``, ``version = 1``, and the
  package version that created it. The file's header also carries SQLite's
  ``application_id`` (0x45435357, "ECSW") and ``user_version`` = 1, so a sweep store is
  recognised without reading a table.
- ``runs``: ``key`` (the run's SHA-256, see ``run.run_key``), ``process`` and ``settings``
  (canonical JSON), ``seed``, ``status`` (``done`` or ``failed``), ``message`` (the one-line
  reason of a failure), ``final_loss``, ``nearest`` (JSON list of lags), ``verdict`` (where
  the readout has one), ``result`` (``TrainResult.to_dict()`` whole, history included),
  ``seconds`` (the run's wall time in its worker), ``version``, ``host`` and ``finished``
  (UTC).

Crash safety: the plain rollback journal (``journal_mode=DELETE``) with
``synchronous=FULL``. Each run is one transaction; SQLite's journal makes it all or nothing
even if the process is killed or the machine loses power mid-commit, and FULL syncs the
journal and the database before the commit returns, so a run reported stored is on disk. WAL
would let readers run beside the writer, but it keeps two more files beside the store
(``-wal``, ``-shm``) that must travel with it, and needs shared memory that network file
systems lack; the sweep has one writer (the parent) and commits a few runs a second at most,
so the journal's extra fsync per commit costs nothing that matters (see the benchmark).
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..atomic import check_output_path
from ..errors import EchoTheoryError
from .run import Run, canonical_json, finite_or_none

FORMAT = "echo-theory sweep store"
VERSION = 1
APPLICATION_ID = 0x45435357  # "ECSW"
_SQLITE_HEADER = b"SQLite format 3\x00"

_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    settings TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    message TEXT,
    final_loss REAL,
    nearest TEXT,
    verdict TEXT,
    result TEXT,
    seconds REAL NOT NULL,
    version TEXT NOT NULL,
    host TEXT,
    finished TEXT NOT NULL
);
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {VERSION};
"""


class StoreError(EchoTheoryError):
    """A store that cannot be used: not SQLite, SQLite but not a sweep, damaged, or newer."""


@dataclass(frozen=True)
class StoredRun:
    """One row of the store, its JSON columns read."""

    key: str
    process: dict
    settings: dict
    seed: int
    status: str
    message: str | None
    final_loss: float | None
    nearest: tuple[int, ...] | None
    verdict: str | None
    result: dict | None
    seconds: float
    version: str
    host: str | None
    finished: str


def _describe(path: Path) -> str:
    """What a file that is not an SQLite database looks like, for the error."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"a binary file starting {head[:8]!r}"
    first = text.strip().splitlines()[0][:40] if text.strip() else ""
    return f"a text file starting {first!r}" if first else "a file of blank text"


class SweepStore:
    """An open store. ``SweepStore.open(path)`` creates it if it does not exist."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = True) -> SweepStore:
        """Open (or create) a store; a file that is not one is a one-line StoreError."""
        path = Path(path)
        where = f"--store {str(path)!r}"
        exists = path.exists()
        if not exists and not create:
            raise StoreError(f"{where}: no such file")
        if exists:
            if path.is_dir():
                raise StoreError(f"{where} is a folder, not a sweep store")
            try:
                with open(path, "rb") as handle:
                    header = handle.read(len(_SQLITE_HEADER))
            except OSError as error:
                raise StoreError(f"{where}: cannot read it: {error.strerror}") from None
            if header and header != _SQLITE_HEADER:
                raise StoreError(
                    f"{where} is not a sweep store: not an SQLite database but {_describe(path)}"
                )
        else:
            check_output_path(path, "--store")
        try:
            if create:
                connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            else:
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
                connection.isolation_level = None
        except sqlite3.Error as error:
            raise StoreError(f"{where}: cannot open it: {error}") from None
        store = cls(path, connection)
        try:
            store._prepare(where, create)
        except sqlite3.OperationalError as error:  # locked, read-only, out of space: not damage
            connection.close()
            raise StoreError(f"{where}: cannot use it ({error})") from None
        except sqlite3.DatabaseError as error:
            connection.close()
            raise StoreError(f"{where} is a damaged SQLite database ({error}); give a new --store") from None
        except BaseException:
            connection.close()
            raise
        return store

    def _prepare(self, where: str, create: bool) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 30000")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and create:
            db.execute("PRAGMA journal_mode = DELETE")
            meta = [
                ("format", FORMAT),
                ("version", str(VERSION)),
                ("created_by", f"echo-theory {__version__}"),
            ]
            inserts = "".join(
                f"INSERT OR IGNORE INTO meta VALUES ('{name}', '{value}');\n" for name, value in meta
            )
            script = _SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
            try:  # one transaction: two sweeps creating the same store at once both see it whole
                db.executescript(f"BEGIN IMMEDIATE;\n{script}{inserts}COMMIT;")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            tables = {"meta", "runs"}
        if "meta" not in tables:
            shown = ", ".join(sorted(tables)) or "none"
            raise StoreError(
                f"{where} is an SQLite database but not a sweep store (its tables: {shown}); "
                f"give another --store"
            )
        meta = dict(db.execute("SELECT name, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise StoreError(
                f"{where} is an SQLite database but not a sweep store (its meta table has no sweep format)"
            )
        version = meta.get("version", "?")
        if version != str(VERSION):
            raise StoreError(
                f"{where} is a sweep store of format version {version}; this echo-theory "
                f"({__version__}) reads version {VERSION}"
            )
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise StoreError(f"{where} is a damaged SQLite database ({problems[0]}); give a new --store")
        db.execute("PRAGMA synchronous = FULL")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def put(self, run: Run, outcome: Mapping) -> None:
        """Store one finished run in one transaction. A done run is never replaced; a failed
        one is replaced by a later attempt (``--retry-failed``)."""
        result = outcome.get("result") or None
        readout = result if isinstance(result, dict) else {}
        nearest = readout.get("nearest")
        learned = nearest.get("learned") if isinstance(nearest, dict) else None
        verdict = readout.get("verdict")
        if isinstance(verdict, dict):  # diagnosis's verdict: kind, learned, partial, text
            verdict = _verdict_text(verdict)
        row = (
            run.key,
            canonical_json(run.process),
            canonical_json(run.settings),
            int(run.seed),
            outcome["status"],
            outcome.get("message"),
            finite_or_none(readout.get("final_loss")),
            None if learned is None else canonical_json(list(learned)),
            None if verdict is None else str(verdict),
            None if result is None else canonical_json(result),
            float(outcome.get("seconds") or 0.0),
            str(outcome.get("version") or __version__),
            outcome.get("host"),
            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        )
        try:
            self._insert(row)
        except sqlite3.Error as error:
            raise StoreError(f"--store {str(self.path)!r}: cannot store a run ({error})") from None

    def _insert(self, row: tuple) -> None:
        with _transaction(self._db):
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET status = excluded.status, message = excluded.message, "
                "final_loss = excluded.final_loss, nearest = excluded.nearest, verdict = excluded.verdict, "
                "result = excluded.result, seconds = excluded.seconds, version = excluded.version, "
                "host = excluded.host, finished = excluded.finished WHERE runs.status != 'done'",
                row,
            )

    # --- reading ---------------------------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """key -> status of every stored run."""
        return dict(self._db.execute("SELECT key, status FROM runs"))

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM runs").fetchone()[0]

    def runs(self, keys: Iterable[str] | None = None) -> list[StoredRun]:
        """The stored runs of ``keys`` in that order (missing ones left out), or every run."""
        if keys is None:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY process, settings")
            return [_stored(row) for row in rows]
        found = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT {_COLUMNS} FROM runs WHERE key IN ({marks})", chunk):
                found[row[0]] = _stored(row)
        return [found[key] for key in keys if key in found]

    def __iter__(self) -> Iterator[StoredRun]:
        return iter(self.runs())


_COLUMNS = (
    "key, process, settings, seed, status, message, final_loss, nearest, verdict, result, "
    "seconds, version, host, finished"
)


def _stored(row: tuple) -> StoredRun:
    key, process, settings, seed, status, message, loss, nearest, verdict, result, *rest = row
    return StoredRun(
        key,
        json.loads(process),
        json.loads(settings),
        seed,
        status,
        message,
        loss,
        None if nearest is None else tuple(json.loads(nearest)),
        verdict,
        None if result is None else json.loads(result),
        *rest,
    )


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error or interrupt."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")


def _verdict_text(verdict: dict) -> str:
    """A short column from train's verdict: ``level 3,8``, ``between 3 (8 in part)``."""
    kind = str(verdict.get("kind", ""))
    learned = ",".join(map(str, verdict.get("learned") or [])) or "none"
    partial = ",".join(map(str, verdict.get("partial") or []))
    return f"{kind} {learned}" + (f" ({partial} in part)" if partial else "")
