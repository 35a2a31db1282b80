"""An exact result with its units: the canonical form, and the float that comes from it."""

from __future__ import annotations

from dataclasses import dataclass

from .entropy import SymbolicForm
from .errors import ParseError
from .logform import LogForm

UNITS = ("nats", "bits")


def check_units(units: str) -> str:
    if units not in UNITS:
        raise ParseError(f"units: {units!r} is not one of nats, bits")
    return units


@dataclass(frozen=True)
class ExactValue:
    """An entropy in ``units``, exact: a ``LogForm`` for numbers, a ``SymbolicForm`` with symbols.

    >>> from echo_theory import EchoProcess
    >>> h = EchoProcess(["3:+0.5", "8:-0.25"]).cross_entropy([3, 8], units="bits")
    >>> h.text
    '5/4 - 3/8*log2(3)'
    >>> h.value
    0.6556390622295665
    """

    form: LogForm | SymbolicForm
    units: str = "nats"

    def __post_init__(self) -> None:
        check_units(self.units)

    @property
    def is_symbolic(self) -> bool:
        return isinstance(self.form, SymbolicForm)

    @property
    def fully_factored(self) -> bool:
        """False when some log in ``text`` is of an integer that factoring's budget left whole
        (the value is exact and its float correctly rounded all the same)."""
        return getattr(self.form, "fully_factored", True)

    @property
    def value(self) -> float | None:
        """The float, correctly rounded from the exact form; None while symbols remain."""
        return self.form.to_float(self.units)

    @property
    def text(self) -> str:
        return self.form.text(self.units)

    @property
    def latex(self) -> str:
        return self.form.latex(self.units)

    def to_sympy(self):
        return self.form.to_sympy(self.units)

    def in_units(self, units: str) -> ExactValue:
        return ExactValue(self.form, units)

    def __float__(self) -> float:
        value = self.value
        if value is None:
            raise TypeError(f"{self.text} holds symbols; substitute values first")
        return value

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def _repr_markdown_(self) -> str:
        return f"${self.latex}$"
