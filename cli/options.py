"""Options shared by the commands, and turning them into library objects."""

from __future__ import annotations

import math
from collections.abc import Callable

import click

from echo_theory import EchoProcess, parse_rule
from echo_theory.errors import ParseError
from echo_theory.literals import _show, parse_probability, read_integer, read_real


def process_options(command: Callable | None = None, *, symbols: bool = True) -> Callable:
    """--rule, --base, --p-x and --clip: everything that defines a process. ``symbols=False``
    for the commands that sample the process, where a shift must be a number."""
    if command is None:
        return lambda command: process_options(command, symbols=symbols)
    examples = "3:+0.5, 8:-1/4, 3:a" if symbols else "3:+0.5, 8:-1/4 (numbers: this command samples)"
    decorators = [
        click.option(
            "--rule",
            "rules",
            multiple=True,
            metavar="LAG:SHIFT",
            help=f"P(y=1) moves by SHIFT when x[t-LAG] = 1, e.g. {examples}; when x[t-3] and "
            "x[t-8] are both 1, 3&8:+0.25; when an odd number of them are 1, 3^8:+0.4. "
            "Repeat for more rules.",
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
        click.option(
            "--budget",
            metavar="STEPS",
            expose_value=False,
            callback=_set_budget,
            help="Largest exact computation to start, in steps of about 1 us (default 1e8): "
            "larger ones are refused with their estimate.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _set_budget(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--budget: raise (or lower) the work budget for this command only."""
    if value is None:
        return
    from echo_theory.budget import work_budget
    from echo_theory.literals import parse_count

    block = work_budget(parse_count(value, "--budget"))
    block.__enter__()
    ctx.call_on_close(lambda: block.__exit__(None, None, None))


class WholeNumber(click.ParamType):
    """An integer >= ``minimum`` (and <= ``maximum``), in ASCII digits as the rules are written;
    one message for text that is not one and for one out of range."""

    name = "integer"

    def __init__(self, minimum: int = 1, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = read_integer(str(value))
            except ParseError as error:
                self.fail(str(error), param, ctx)
        wanted = f">= {self.minimum}" if self.maximum is None else f"in {self.minimum}..{self.maximum}"
        if number is None or number < self.minimum or (self.maximum is not None and number > self.maximum):
            self.fail(f"{_show(str(value))} is not an integer {wanted}", param, ctx)
        return number


class PositiveNumber(click.ParamType):
    """A finite float > 0 (learning rates, norms), written as the rules' numbers are: 0.01, 1e-3, 1/100."""

    name = "number"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            number = read_real(str(value))
        if number is None or not math.isfinite(number) or number <= 0:
            self.fail(f"{_show(str(value))} is not a number > 0", param, ctx)
        return number


def units_option(command: Callable) -> Callable:
    return click.option(
        "--units",
        type=click.Choice(["nats", "bits"]),
        default="nats",
        show_default=True,
        help="Natural logs or base 2.",
    )(command)


def learned_option(command: Callable) -> Callable:
    """--learned LAGS, repeatable: the subsets a command reports (all of them by default)."""
    return click.option(
        "--learned",
        multiple=True,
        metavar="LAGS",
        help="A learned subset, e.g. 3,8 or none, or chain (the nested lags <= k), singles "
        "(each lag) or complements (all but one). Repeat for more rows; default: every subset.",
    )(command)


def format_option(*choices: str, help: str | None = None) -> Callable[[Callable], Callable]:
    """--format, the first choice being the default."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True, help=help
    )


def build_process(rules: tuple[str, ...], base: str, p_x: str, clip: bool) -> EchoProcess:
    return EchoProcess(
        [parse_rule(text) for text in rules],
        base=parse_probability(base, "--base"),
        p_x=parse_probability(p_x, "--p-x"),
        clip=clip,
    )
