"""The grid of a sweep: comma lists and ranges of train's settings, and the TOML grid file.

On the command line each swept option takes a comma list, and the integer ones also take
ranges: ``--num-steps 1-5,8,10`` is 1, 2, 3, 4, 5, 8, 10. The grid is the product of the
lists, for one process. A grid file names several processes and grids at once (TOML)::

    [defaults]                        # optional: every grid starts from these
    epochs = 10
    optimizer = "adam"
    learning_rate = 0.01
    seeds = "0-2"

    [[grid]]                          # one table per grid; give as many as you like
    rules = ["3:+0.5", "8:-0.25"]     # the process: rules, and optionally base, p_x, clip
    num_steps = [1, 2, 3, 4, 5, 8, 9, 10, 12]
    state_size = [4, 16]
    protocol = ["carried", "reset"]

Keys are the option names with underscores. Each value is one value, a TOML list, or a
string in the command line's syntax ("1-5,8"). A grid's own keys replace the defaults'.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from pathlib import Path

from ..errors import EchoTheoryError, ParseError
from ..literals import format_fraction, parse_probability
from ..process import EchoProcess
from ..settings import TrainSettings
from .run import Run

MAX_RUNS = 1_000_000  # a typo such as --seeds 0-99999999 should be an error, not a hang
_RANGE = re.compile(r"\s*([0-9]+)\s*-\s*([0-9]+)\s*")


class GridError(EchoTheoryError):
    """A grid that cannot be run: a bad list element, an empty list, an unknown key."""


def _integer(minimum: int) -> Callable[[str, str], list]:
    def parse(text: str, option: str) -> list:
        match = _RANGE.fullmatch(text)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise GridError(f"{option}: the range {text.strip()!r} is empty (write it low-high)")
            if high - low >= MAX_RUNS:
                raise GridError(f"{option}: the range {text.strip()!r} has more than {MAX_RUNS:,} values")
            values = list(range(low, high + 1))
        else:
            try:
                values = [int(text.strip(), 10)]
            except ValueError:
                raise GridError(
                    f"{option}: {text.strip()!r} is not an integer or a range such as 1-5"
                ) from None
        if values[0] < minimum:
            raise GridError(f"{option}: {text.strip()!r} is not an integer >= {minimum}")
        return values

    return parse


def _positive(text: str, option: str) -> list:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value == float("inf"):
        raise GridError(f"{option}: {text.strip()!r} is not a number > 0")
    return [value]


def _optional_positive(text: str, option: str) -> list:
    return [None] if text.strip().lower() == "none" else _positive(text, option)


def _word(text: str, option: str) -> list:
    word = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", word):
        raise GridError(f"{option}: {word!r} is not a name")
    return [word]


def _protocol(text: str, option: str) -> list:
    word = text.strip().lower()
    if word not in ("carried", "reset"):
        raise GridError(f"{option}: {text.strip()!r} is not carried or reset")
    return [word == "reset"]


@dataclass(frozen=True)
class Axis:
    """A swept option: its command-line name, the TrainSettings field it sets, and how one
    element of its comma list is read (one element may stand for several values: a range)."""

    option: str
    field: str
    parse: Callable[[str, str], list]
    metavar: str
    help: str

    @property
    def key(self) -> str:
        """Its name in a grid file."""
        return self.option[2:].replace("-", "_")


# The swept options. A setting only exists when TrainSettings has the field: the learners
# branch adds `cell` and `truncation`; the lead extends this table at merge if more appear.
_ALL_AXES = (
    Axis("--num-steps", "num_steps", _integer(1), "T,...", "Steps per window of truncated backprop."),
    Axis("--state-size", "state_size", _integer(1), "H,...", "Units in the state."),
    Axis("--cell", "cell", _word, "CELL,...", "The recurrent cell: rnn, gru, lstm."),
    Axis("--truncation", "truncation", _word, "MODE,...", "Truncation: tf or true."),
    Axis(
        "--protocol", "reset_state", _protocol, "carried,reset", "The state carried across windows or reset."
    ),
    Axis("--optimizer", "optimizer", _word, "NAME,...", "adagrad, sgd, adam."),
    Axis("--learning-rate", "learning_rate", _positive, "LR,...", "Step sizes of the optimizer."),
    Axis("--clip-norm", "clip_norm", _optional_positive, "G,...", "Gradient norm clips, or none."),
    Axis("--batch-size", "batch_size", _integer(1), "B,...", "Rows the series is cut into."),
    Axis("--epochs", "epochs", _integer(1), "E,...", "Passes, each over a fresh series."),
    Axis("--series-length", "series_length", _integer(1), "N,...", "Steps of each epoch's series."),
    Axis("--seeds", "seed", _integer(0), "S,...", "Seeds, e.g. 0-4: one run per seed."),
)
_FIELDS = {field.name for field in dataclasses.fields(TrainSettings)}
AXES = tuple(axis for axis in _ALL_AXES if axis.field in _FIELDS)
_PROCESS_KEYS = ("rules", "base", "p_x", "clip")


def parse_list(text: str, axis: Axis, name: str | None = None) -> list:
    """The values of one option's comma list, in order, duplicates dropped.

    >>> parse_list("1-3,5,2", AXES[0])
    [1, 2, 3, 5]
    >>> parse_list("carried,reset", next(a for a in AXES if a.option == "--protocol"))
    [False, True]
    """
    name = axis.option if name is None else name
    if not isinstance(text, str):
        text = str(text)
    if not text.strip():
        raise GridError(f"{name}: the list is empty; give at least one value")
    values: list = []
    for element in text.split(","):
        if not element.strip():
            raise GridError(f"{name}: {text.strip()!r} has an empty element")
        values += axis.parse(element, name)
    return _distinct(values)


def _distinct(values: Iterable) -> list:
    seen, kept = set(), []
    for value in values:
        if (type(value), value) not in seen:
            seen.add((type(value), value))
            kept.append(value)
    return kept


def _values(value: object, axis: Axis, where: str) -> list:
    """A grid file's value: one value, a list, or a string in the command line's syntax."""
    if isinstance(value, list):
        if not value:
            raise GridError(f"{where}: {axis.key} is an empty list: the grid has no runs")
        return _distinct(v for item in value for v in _values(item, axis, where))
    if isinstance(value, bool):
        raise GridError(f"{where}: {axis.key} = {value!r} is not a valid value")
    if isinstance(value, (int, float, str)):
        text = str(value) if not isinstance(value, str) else value
        try:
            return parse_list(text, axis, axis.key)
        except GridError as error:
            raise GridError(f"{where}: {error}") from None
    raise GridError(f"{where}: {axis.key} = {value!r} is not a value or a list of values")


def process_spec(process: EchoProcess) -> dict:
    """The process as canonical data: the run key hashes it and a worker rebuilds from it."""
    return {
        "rules": [str(rule) for rule in process.rules],
        "base": format_fraction(process.base),
        "p_x": format_fraction(process.p_x),
        "clip": bool(process.clip),
    }


def build_process(spec: Mapping) -> EchoProcess:
    """The process of a ``process_spec``."""
    return EchoProcess(list(spec["rules"]), base=spec["base"], p_x=spec["p_x"], clip=bool(spec["clip"]))


@dataclass(frozen=True)
class Grid:
    """One process and, for each swept setting, its values; the runs are their product."""

    process: EchoProcess
    values: Mapping[str, Sequence]  # TrainSettings field -> values; missing fields take the default
    name: str = ""

    def runs(self) -> list[Run]:
        """Every run of the grid, checked (settings that cannot train are errors here)."""
        fields = [field for field in self.values if field != "seed"]
        seeds = self.values.get("seed", [TrainSettings().seed])
        spec = process_spec(self.process)
        size = len(seeds)
        for field in fields:
            size *= len(self.values[field])
        if size == 0:
            raise GridError(f"{self.label}: the grid is empty")
        if size > MAX_RUNS:
            raise GridError(f"{self.label}: {size:,} runs is more than the limit of {MAX_RUNS:,}")
        runs, checked = [], set()
        for combination in product(*(self.values[field] for field in fields)):
            chosen = dict(zip(fields, combination, strict=True))
            settings = TrainSettings(**chosen)
            if settings not in checked:
                settings.check(self.process)
                checked.add(settings)
            for seed in seeds:
                runs.append(Run.of(spec, dataclasses.replace(settings, seed=seed).to_dict()))
        return runs

    @property
    def label(self) -> str:
        return f"grid {self.name!r}" if self.name else "the grid"


def grid_from_options(process: EchoProcess, options: Mapping[str, str | None]) -> Grid:
    """A grid from the command line: ``options`` maps each axis's option to its list (or None)."""
    values = {}
    for axis in AXES:
        text = options.get(axis.option)
        if text is not None:
            values[axis.field] = parse_list(text, axis)
    return Grid(process, values)


def load_grid_file(path: str | os.PathLike) -> list[Grid]:
    """The grids of a TOML grid file (see the module's docstring)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GridError(f"--grid: no file {str(path)!r}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GridError(f"--grid: cannot read {str(path)!r}: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GridError(f"--grid {str(path)!r} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"defaults", "grid"})
    if unknown:
        raise GridError(
            f"--grid {str(path)!r}: unknown table {unknown[0]!r} (expected [defaults] and [[grid]])"
        )
    defaults = data.get("defaults", {})
    grids = data.get("grid", [])
    if not isinstance(defaults, dict) or not isinstance(grids, list):
        raise GridError(f"--grid {str(path)!r}: expected a [defaults] table and [[grid]] tables")
    if not grids:
        raise GridError(f"--grid {str(path)!r} has no [[grid]] table: the grid is empty")
    return [_grid_table({**defaults, **table}, f"{path.name}: grid {i + 1}") for i, table in enumerate(grids)]


def _grid_table(table: dict, where: str) -> Grid:
    axes = {axis.key: axis for axis in AXES}
    name = table.pop("name", "")
    if not isinstance(name, str):
        raise GridError(f"{where}: name must be text")
    where = f"{where} ({name})" if name else where
    unknown = sorted(set(table) - set(axes) - set(_PROCESS_KEYS))
    if unknown:
        known = ", ".join([*_PROCESS_KEYS, *axes])
        raise GridError(f"{where}: unknown key {unknown[0]!r} (known: {known})")
    rules = table.get("rules", [])
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        raise GridError(f"{where}: rules must be a list of LAG:SHIFT strings")
    try:
        process = EchoProcess(
            rules,
            base=parse_probability(_text(table.get("base", "1/2")), "base"),
            p_x=parse_probability(_text(table.get("p_x", "1/2")), "p_x"),
            clip=_flag(table.get("clip", False), where),
        )
    except EchoTheoryError as error:
        raise type(error)(f"{where}: {error}") from None
    values = {
        axes[key].field: _values(value, axes[key], where) for key, value in table.items() if key in axes
    }
    return Grid(process, values, name)


def _text(value: object) -> str:
    if isinstance(value, Fraction):
        return format_fraction(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return value
    raise ParseError(f"{value!r} is not a number")


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise GridError(f"{where}: clip must be true or false")
    return value
