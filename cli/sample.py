"""``echo-theory sample``: a series of the process in a file, for a model in any framework."""

from __future__ import annotations

from pathlib import Path

import click

from echo_theory.literals import parse_count

from .options import build_process, process_options


@click.command()
@process_options
@click.option(
    "--steps",
    default="1e6",
    show_default=True,
    metavar="N",
    help="Steps to write: 1000000 or 1e6 (a whole number, 1 to 1e12).",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed (>= 0).")
@click.option(
    "--output",
    "-o",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write; its suffix picks the format: .npz, .npy or .csv.",
)
@click.option("--probabilities", is_flag=True, help="Add p_true, the exact P(y_t=1 | x) of every step.")
def sample(rules, base, p_x, clip, steps, seed, output, probabilities) -> None:
    """Write a series of the process to a file that any framework can read.

    \b
    Formats, by the suffix of --output:
      .npz  arrays x and y (uint8), and p_true (float64) with --probabilities
      .npy  an (n, 2) uint8 array, columns x then y; a structured array with
            fields x, y, p_true with --probabilities
      .csv  a header line x,y[,p_true], then one step per line

    The series is the sampler's (the same seed gives the same bytes); max-lag inputs are
    drawn before the first step, so y[0] already has its history. The file is written whole
    or not at all: an interrupted run leaves any existing file as it was.

    \b
    echo-theory sample --rule 3:+0.5 --rule 8:-0.25 --steps 1e6 --seed 0 --output series.npz
    """
    from echo_theory.samplefile import check_sample, write_sample

    process = build_process(rules, base, p_x, clip)
    count = parse_count(steps, "--steps")
    path = check_sample(output, count, probabilities)
    # SIGTERM and SIGHUP become a clean exit in the command group (cli/main.py), so the
    # temporary file is removed as on Ctrl-C.
    write_sample(process, count, seed, path, probabilities=probabilities)
