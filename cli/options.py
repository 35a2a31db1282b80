"""Options shared by the commands, and turning them into library objects."""

from __future__ import annotations

from collections.abc import Callable

import click

from echo_theory import EchoProcess, parse_rule
from echo_theory.literals import parse_probability


def process_options(command: Callable) -> Callable:
    """--rule, --base, --p-x and --clip: everything that defines a process."""
    decorators = [
        click.option(
            "--rule",
            "rules",
            multiple=True,
            metavar="LAG:SHIFT",
            help="P(y=1) moves by SHIFT when x[t-LAG] = 1, e.g. 3:+0.5, 8:-1/4, 3:a. Repeat for more rules.",
        ),
        click.option(
            "--base",
            default="1/2",
            show_default=True,
            metavar="P",
            help="P(y=1) when no rule fires (exact: 0.5 or 1/2).",
        ),
        click.option("--p-x", "p_x", default="1/2", show_default=True, metavar="P", help="P(x_t = 1)."),
        click.option("--clip", is_flag=True, help="Clamp P(y=1 | x) to [0, 1] instead of rejecting it."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def units_option(command: Callable) -> Callable:
    return click.option(
        "--units",
        type=click.Choice(["nats", "bits"]),
        default="nats",
        show_default=True,
        help="Natural logs or base 2.",
    )(command)


def build_process(rules: tuple[str, ...], base: str, p_x: str, clip: bool) -> EchoProcess:
    return EchoProcess(
        [parse_rule(text) for text in rules],
        base=parse_probability(base, "--base"),
        p_x=parse_probability(p_x, "--p-x"),
        clip=clip,
    )
