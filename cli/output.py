"""Writing results: JSON that stays readable, written in one piece."""

from __future__ import annotations

import json

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


def emit(text: str) -> None:
    """Write a finished result to stdout in one piece, so a failure never leaves half of it."""
    click.echo(text, nl=not text.endswith("\n"))
