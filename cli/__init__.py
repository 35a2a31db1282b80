"""The ``echo-theory`` command line: a thin click layer over the ``echo_theory`` library.

Installed as ``echo_theory.cli`` (see ``package-dir`` in pyproject.toml), so no generic
top-level ``cli`` module lands in site-packages.
"""

from .main import cli, main

__all__ = ["cli", "main"]
