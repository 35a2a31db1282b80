"""Writing results: JSON that stays readable, written in one piece."""

from __future__ import annotations

import errno
import json
import os
import sys

import click

_INLINE_WIDTH = 60


def to_json(data: object, indent: int = 0) -> str:
    """Indented JSON; flat lists, and flat objects that fit a short line, stay on one line."""
    flat = json.dumps(data)
    if not isinstance(data, (dict, list)):
        return flat
    values = list(data.values()) if isinstance(data, dict) else data
    nested = any(isinstance(value, (dict, list)) for value in values)
    if not values or (not nested and (isinstance(data, list) or len(flat) <= _INLINE_WIDTH)):
        return flat
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(data, dict):
        items = [f"{inner}{json.dumps(key)}: {to_json(value, indent + 1)}" for key, value in data.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [f"{inner}{to_json(item, indent + 1)}" for item in data]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


# What a write to stdout meets when the output has nowhere to go: a full disk or quota, a file
# too large, a reader that has gone (| head).
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EPIPE})


class OutputError(Exception):
    """stdout could not take the result; the command group prints one line and exits 1."""

    def __init__(self, error: OSError) -> None:
        self.broken_pipe = error.errno == errno.EPIPE
        super().__init__(f"cannot write the output: {error.strerror or error}")

    @staticmethod
    def is_output_error(error: OSError) -> bool:
        return error.errno in _OUTPUT_ERRNOS


def emit(text: str) -> None:
    """Write a finished result to stdout in one piece, so a failure never leaves half of it."""
    try:
        click.echo(text, nl=not text.endswith("\n"))
        sys.stdout.flush()
    except OSError as error:
        raise OutputError(error) from None


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush Python makes at exit finds nothing to write
    (the unwritten rest of a failed result is dropped, not retried and failed again)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test runner)
        pass
    sys.stdout = open(os.devnull, "w")
