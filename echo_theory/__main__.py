"""``python -m echo_theory``: the same as the ``echo-theory`` command."""

from echo_theory.cli import main

main()
