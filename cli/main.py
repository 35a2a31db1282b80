"""The command group, and the one place where errors become a line on stderr and exit status 2."""

from __future__ import annotations

import sys

import click

from echo_theory import __version__
from echo_theory.errors import EchoTheoryError

from .compute import compute
from .derive import derive
from .estimate import estimate
from .simulate import simulate
from .sweep import sweep
from .train import train

# click >= 8.2 raises this for a bare group; older click prints help and exits by itself.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())

BAD_INPUT = 2
INTERRUPTED = 130


class EchoGroup(click.Group):
    """A group whose bad-input errors are one line and exit 2, never a traceback or usage dump."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NoArgsIsHelp as shown:  # bare `echo-theory`: help, not an error
            click.echo(shown.ctx.get_help())
            sys.exit(0)
        except (EchoTheoryError, click.ClickException) as error:
            message = error.format_message() if isinstance(error, click.ClickException) else str(error)
            click.echo(f"Error: {' '.join(message.split())}", err=True)
            sys.exit(BAD_INPUT)
        except click.Abort:  # Ctrl-C or end of input at a prompt
            click.echo("Aborted.", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=EchoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="echo-theory")
def cli() -> None:
    """Exact cross entropies of lagged echo tasks, for every subset of learned dependencies."""


cli.add_command(compute)
cli.add_command(simulate)
cli.add_command(estimate)
cli.add_command(derive)
cli.add_command(train)
cli.add_command(sweep)


def main() -> None:
    cli(prog_name="echo-theory")
