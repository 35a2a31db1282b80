"""The command group, and the one place where errors become a line on stderr and exit status 2."""

from __future__ import annotations

import importlib
import os
import signal
import sys

import click

from echo_theory import __version__
from echo_theory.errors import EchoTheoryError

from .output import OutputError, quiet_stdout

# Each command's module loads only when that command runs (or help lists them all): a command
# pulls in its own engine, and `compute` on the seed should not pay for sweeps and training.
COMMANDS = ("compute", "simulate", "estimate", "derive", "train", "sample", "score", "sweep")

# click >= 8.2 raises this for a bare group; older click prints help and exits by itself.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())

BAD_INPUT = 2
INTERRUPTED = 130
OUTPUT_FAILED = 1


class Terminated(SystemExit):
    """SIGTERM or SIGHUP, raised where the program is so that every cleanup runs (a pool's
    workers end, a half-written file is removed); the exit status is 128 + the signal."""


def _terminate(signum: int, frame: object) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker before its initializer ran: die as by default
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
    raise Terminated(128 + signum)


_MAIN_PID = os.getpid()


def _catch_termination() -> dict:
    """Install the handler (where the signal has its default action: not when the caller chose
    otherwise); returns what to restore, so a caller such as a test runner keeps its own."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(signum) == signal.SIG_DFL:
                previous[signum] = signal.signal(signum, _terminate)
        except ValueError:  # not the main thread: signals are the main thread's business
            break
    return previous


def _restore(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


class EchoGroup(click.Group):
    """A group whose bad-input errors are one line and exit 2, never a traceback or usage dump,
    and whose commands are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            module = importlib.import_module(f".{name}", __package__)
            self.add_command(getattr(module, name))
        return self.commands[name]

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        previous = _catch_termination()
        try:
            self._standalone(args, prog_name, complete_var, **extra)
        finally:
            _restore(previous)

    def _standalone(self, args, prog_name, complete_var, **extra) -> None:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            sys.stdout.flush()  # help and version text too: a full disk is reported, not raised at exit
        except OSError as error:
            if not OutputError.is_output_error(error):
                raise
            self._output_failed(OutputError(error))
        except OutputError as error:
            self._output_failed(error)
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

    @staticmethod
    def _output_failed(error: OutputError) -> None:
        """stdout cannot be written (a full disk, a closed pipe): one line, exit 1, and stdout
        pointed at /dev/null so that Python's own flush at exit does not raise again."""
        quiet_stdout()
        if not error.broken_pipe:  # a reader that stopped early (| head) is not an error to report
            click.echo(f"Error: {error}", err=True)
        sys.exit(OUTPUT_FAILED)


@click.group(cls=EchoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="echo-theory")
def cli() -> None:
    """Exact cross entropies of lagged echo tasks, for every subset of learned dependencies."""


def main() -> None:
    cli(prog_name="echo-theory")
