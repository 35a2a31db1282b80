"""``echo-theory derive``: the derivation of H(Y | X_S), step by step, for lecture notes."""

from __future__ import annotations

import click

from echo_theory.literals import parse_assignments

from .options import build_process, format_option, learned_option, process_options, units_option
from .output import emit


@click.command()
@process_options
@learned_option
@units_option
@format_option(
    "text",
    "markdown",
    "latex",
    help="text for a terminal; markdown ($...$ maths) for GitHub or Jupyter; latex for pdflatex.",
)
@click.option("--fragment", is_flag=True, help="With --format latex: the body only, to \\input into notes.")
@click.option(
    "--at",
    metavar="NAME=VALUE,...",
    help="Symbolic rules: substitute exact values at the end, e.g. a=1/2,b=1/4.",
)
@click.option(
    "--by",
    type=click.Choice(["auto", "configurations", "sums"]),
    default="auto",
    show_default=True,
    help="Write out every configuration, or (additive rules) the distinct sums of the learned "
    "shifts; auto: sums past 6 rules.",
)
def derive(rules, base, p_x, clip, learned, units, fmt, fragment, at, by) -> None:
    """Derive the cross entropy of each learned subset step by step: the conditional table,
    the sum over the unlearned inputs, the binary entropies and the exact result.

    \b
    echo-theory derive --rule 3:+0.5 --rule 8:-0.25 --learned 3
    echo-theory derive --rule 3:a --rule 8:-b --at a=1/2,b=1/4 --format markdown
    echo-theory derive --rule 3:+0.5 --rule 8:-0.25 --format latex > seed.tex
    """
    if fragment and fmt != "latex":
        raise click.UsageError("--fragment goes with --format latex")
    process = build_process(rules, base, p_x, clip)
    values = parse_assignments(at, "--at") if at is not None else None
    derivation = process.derive(list(learned) if learned else None, units, values, by)
    if fmt == "latex":
        text = derivation.to_latex(standalone=not fragment)
    else:
        text = derivation.to_markdown() if fmt == "markdown" else derivation.to_text()
    emit(text)
