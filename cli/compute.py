"""``echo-theory compute``: exact H(Y | X_S) for every (or each chosen) learned subset S."""

from __future__ import annotations

import click

from echo_theory.errors import SettingError

from .options import WholeNumber, build_process, format_option, learned_option, process_options, units_option
from .output import emit, to_json


@click.command()
@process_options
@learned_option
@units_option
@click.option(
    "--window",
    type=WholeNumber(1),
    metavar="T",
    help="Also the best mean loss over a window of T steps from a reset state, for each subset.",
)
@click.option(
    "--truncation",
    type=click.Choice(("tf", "true")),
    default="tf",
    show_default=True,
    help="With --window: tf, the mean over a window's positions; true, every position starts T - 1 "
    "steps back, so its optimum is H(Y | X_S, lags <= T-1).",
)
@format_option("table", "json", "csv", "markdown", "latex")
def compute(rules, base, p_x, clip, learned, units, window, truncation, fmt) -> None:
    """Exact cross entropy of the best model that has learned each subset of the rules.

    With --window T, each subset also gets the best mean loss over a window of T steps that
    starts from a reset state, where position k can use only the lags <= k (truncated backprop
    with the state reset at every window).

    \b
    echo-theory compute --rule 3:+0.5 --rule 8:-0.25
    echo-theory compute --rule 3:a --rule 8:-b --learned 3
    echo-theory compute --rule 3:+0.5 --rule 8:-0.25 --window 5
    echo-theory compute --rule 3:+0.5 --rule 8:-0.25 --window 5 --truncation true
    """
    process = build_process(rules, base, p_x, clip)
    if truncation == "true" and window is None:
        raise SettingError("--truncation true needs --window T")
    table = process.subset_table(list(learned) if learned else None, units, window, truncation)
    if fmt == "json":
        text = to_json(table.to_dict())
    else:
        text = {
            "table": table.to_text,
            "csv": table.to_csv,
            "markdown": table.to_markdown,
            "latex": table.to_latex,
        }[fmt]()
    emit(text)
