"""``echo-theory estimate``: H(Y | X_S) estimates from a file of x and y."""

from __future__ import annotations

from pathlib import Path

import click

from .options import format_option, units_option
from .output import emit, to_json


@click.command()
@click.argument("file", type=click.Path(path_type=Path))  # load_series checks it, and says why
@click.option("--lags", required=True, metavar="LAGS", help="The lags to consider, e.g. 3,8.")
@units_option
@format_option("table", "json", "csv", "markdown")
def estimate(file, lags, units, fmt) -> None:
    """Estimate H(Y | X_S) for every subset S of --lags from a binary series in FILE.

    \b
    FILE formats, by extension:
      .csv  a header row naming columns x and y (others are ignored), one step per row,
            each value exactly 0 or 1 (spaces around it are ignored)
      .npy  an integer or boolean array of shape (n, 2), columns x then y,
            or a structured array with fields x and y
      .npz  one-dimensional arrays named x and y, of equal length

    Step t counts when every lag is in view (t >= the largest lag). Each row: the plug-in
    estimate, the Miller-Madow corrected one, and a standard error valid for dependent steps
    (batch means over up to 64 stretches of at least 20 (max lag + 1) steps).

    \b
    echo-theory estimate series.csv --lags 3,8
    """
    from echo_theory.errors import EchoTheoryError
    from echo_theory.estimate import check_lags, count_table, estimate_table  # numpy loads only here
    from echo_theory.series import load_series

    lags = check_lags(lags)  # every option is checked before the file is read
    x, y = load_series(file)
    try:
        counts = count_table(x, y, lags)
    except EchoTheoryError as error:  # too short for the lags: say which file
        raise type(error)(f"{file.name}: {error}") from None
    table = estimate_table(counts, units=units, source=file.name)
    if fmt == "json":
        text = to_json(table.to_dict())
    else:
        text = {"table": table.to_text, "csv": table.to_csv, "markdown": table.to_markdown}[fmt]()
    emit(text)
