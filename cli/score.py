"""``echo-theory score``: which dependencies a model's predictions use, read against the theory."""

from __future__ import annotations

from pathlib import Path

import click

from .options import WholeNumber, build_process, format_option, process_options
from .output import emit, to_json


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@process_options
@click.option(
    "--window",
    type=WholeNumber(1),
    default=None,
    metavar="T",
    help="The model's state was reset every T steps: levels become window optima.",
)
@format_option("table", "json", "csv", "markdown")
def score(file, rules, base, p_x, clip, window, fmt) -> None:
    """Score a model's predictions in FILE against the process: its loss beside
    every subset's exact level, each rule lag's measured effect and the fraction
    of the exact one, the subset whose optimal predictor it is closest to, and a
    verdict.

    \b
    FILE holds columns x, y and p, the model's P(y_t = 1); NaN rows are skipped:
      .npz  arrays x, y and p
      .csv  a header row naming columns x, y and p, then one step per row
      .npy  a structured array with fields x, y and p

    \b
    Verdicts, by tests (z = 3, or within 5% of an effect or of I(Y; X_all)):
      level                 uses a set S of lags fully, no other, and its loss
                            agrees with H(Y | X_S)
      between               some lags used in part, or a loss off the level
      worse_than_nothing    loss above H(Y), the base rate's
      better_than_possible  loss below H(Y | every rule lag): a leak

    \b
    echo-theory score predictions.npz --rule 3:+0.5 --rule 8:-0.25
    """
    process = build_process(rules, base, p_x, clip)
    from echo_theory.diagnosis import Scorer  # numpy loads only when needed
    from echo_theory.series import load_series

    scorer = Scorer(process, window)  # a symbolic process fails before the file is read
    x, y, p = load_series(file, columns=("x", "y", "p"))
    result = scorer.score(x, y, p, source=file.name)
    if fmt == "json":
        text = to_json(result.to_dict())
    else:
        text = {"table": result.to_text, "csv": result.to_csv, "markdown": result.to_markdown}[fmt]()
    emit(text)
