"""A strict grammar for the numbers and symbol names users type.

User text never reaches ``sympify``, ``parse_expr`` or ``eval``: those run Python code.
Numbers become exact ``Fraction`` values (``0.1`` is 1/10, never a binary float).

    number     := sign? (decimal | fraction)
    decimal    := (digits ("." digits?)? | "." digits) exponent?
    fraction   := digits "/" digits
    exponent   := ("e" | "E") sign? digits          (at most 30 in size)
    identifier := [A-Za-z_][A-Za-z0-9_]*            (a real SymPy symbol; see symbol_name_problem)
    assignments := identifier "=" number ("," identifier "=" number)*
"""

from __future__ import annotations

import keyword
import re
from fractions import Fraction
from typing import TYPE_CHECKING

from .errors import ParseError

if TYPE_CHECKING:
    import sympy

MAX_LENGTH = 100  # longer numerals are typos, and huge digit strings are slow to convert
MAX_EXPONENT = 30

_DECIMAL = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?")
_FRACTION = re.compile(r"([+-]?)([0-9]+)/([0-9]+)")
_IDENTIFIER = re.compile(r"([+-]?)([A-Za-z_][A-Za-z0-9_]*)")

NUMBER_HINT = "give a decimal such as 0.25 or a fraction such as 1/4"
# Whole numbers in options (--window, --seed, --jobs, ...): ASCII digits, as in the rules. No
# underscores (1_0) and no other scripts' digits, both of which int() would take.
_INTEGER = re.compile(r"-?[0-9]+")
MAX_DIGITS = 30  # an option's whole number; longer is too large for any of them


def read_integer(text: str) -> int | None:
    """An integer written in ASCII digits (a leading - allowed), or None; raises ParseError
    when it has more than MAX_DIGITS digits (too large, rather than not a number)."""
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        return None
    if len(stripped.lstrip("-").lstrip("0")) > MAX_DIGITS:
        raise ParseError(f"{_show(stripped)} is too large")
    return int(stripped)


def read_real(text: str) -> float | None:
    """A float from the number grammar (a decimal with any exponent, or a fraction), or None.
    Unlike float(): no underscores, no other scripts' digits, no inf or nan."""
    stripped = text.strip()
    if len(stripped) > MAX_LENGTH:
        return None
    match = _FRACTION.fullmatch(stripped)
    if match is not None:
        sign, numerator, denominator = match.groups()
        if int(denominator) == 0:
            return None
        return float(Fraction(int(f"{sign}{numerator}"), int(denominator)))
    return float(stripped) if _DECIMAL.fullmatch(stripped) else None


def parse_number(text: str, what: str = "number") -> Fraction:
    """Parse a signed decimal or fraction exactly.

    >>> parse_number("0.1")
    Fraction(1, 10)
    >>> parse_number("-1/4")
    Fraction(-1, 4)
    """
    value = _number_or_none(text, what)
    if value is None:
        raise ParseError(f"{what}: {_show(text)} is not a number; {NUMBER_HINT}")
    return value


def parse_probability(text: str, what: str = "probability") -> Fraction:
    """Parse an exact number and check that it lies in [0, 1]."""
    value = parse_number(text, what)
    return check_probability(value, what)


def parse_count(text: str, what: str = "count") -> int:
    """Parse a whole number >= 1, written out or in e-notation: ``10000000``, ``1e7``, ``2.5e6``.

    >>> parse_count("2.5e6")
    2500000
    """
    value = _number_or_none(text, what)
    if value is None:
        raise ParseError(f"{what}: {_show(text)} is not a number; give a count such as 10000000 or 1e7")
    if value.denominator != 1:
        raise ParseError(f"{what}: {_show(text)} is not a whole number")
    if value < 1:
        raise ParseError(f"{what}: {_show(text)} is not positive")
    return int(value)


def check_probability(value: Fraction, what: str) -> Fraction:
    if not 0 <= value <= 1:
        raise ParseError(f"{what}: {format_fraction(value)} is outside [0, 1]")
    return value


def parse_shift(text: str, what: str = "shift") -> Fraction | sympy.Expr:
    """Parse a signed number, or a signed identifier that becomes a real SymPy symbol."""
    value = _number_or_none(text, what)
    if value is not None:
        return value
    match = _IDENTIFIER.fullmatch(text.strip())
    if match is None:
        raise ParseError(f"{what}: {_show(text)} is not a number (0.5, -1/4) or a symbol name (a, -b, s_3)")
    sign, name = match.groups()
    problem = symbol_name_problem(name)
    if problem is not None:
        raise ParseError(f"{what}: {_show(name)} is not a usable symbol name: {problem}")
    symbol = make_symbol(name)
    return -symbol if sign == "-" else symbol


def parse_assignments(text: str, what: str = "values") -> dict[str, Fraction]:
    """Parse ``a=1/2,b=-0.25`` into exact values by symbol name (each name once).

    >>> parse_assignments("a=1/2, b=-0.25")
    {'a': Fraction(1, 2), 'b': Fraction(-1, 4)}
    """
    if not isinstance(text, str):
        raise ParseError(f"{what}: expected text such as a=1/2,b=1/4, got {type(text).__name__}")
    if not text.strip():
        raise ParseError(f"{what}: empty; give values such as a=1/2,b=1/4")
    values: dict[str, Fraction] = {}
    for part in text.split(","):
        name, equals, number = part.partition("=")
        name = name.strip()
        if not equals:
            raise ParseError(f"{what}: {_show(part.strip())} is not NAME=VALUE (for example a=1/2)")
        if not _IDENTIFIER.fullmatch(name) or name[0] in "+-":
            raise ParseError(f"{what}: {_show(name)} is not a symbol name (a, b, s_3)")
        if name in values:
            raise ParseError(f"{what}: {name} is given twice")
        values[name] = parse_number(number, f"{what}: {name}")
    return values


# Names that print as something else: SymPy's and Python's constants (str and LaTeX show them
# as the constant), and the notation's own letters (x[t-3], y[t], H(Y | X_S), I(Y; X_S), log).
_CONSTANTS = frozenset(
    "nan NaN inf Inf infinity Infinity oo zoo pi E e I EulerGamma GoldenRatio Catalan "
    "TribonacciConstant".split()
)
_NOTATION = frozenset("x y t X Y S H I P h log log2 ln exp".split())
# The macros SymPy's LaTeX for a symbol name may use that LaTeX and amsmath define (the
# documented preamble). Others (\mathfrak, \mathscr, \varkappa, \beth, ...) need amssymb
# or more, so names that produce them (afrak, ascr, varkappa, beth) are refused.
_LATEX_MACROS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta "
    "Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega aleph ell hbar wp imath jmath partial nabla "
    "mathrm mathcal mathsf boldsymbol hat dot ddot dddot ddddot tilde bar vec check breve acute "
    "grave mathring overline left right".split()
)


def symbol_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a symbol, or None when it can: it must follow the identifier
    grammar, begin and end with a letter or digit, and print as itself (not as a constant, not
    as the notation's own letters, and in LaTeX with no package beyond amsmath).

    >>> symbol_name_problem("s_3") is None
    True
    >>> symbol_name_problem("pi")
    'it reads as the constant pi'
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or name[0] in "+-":
        return "it is not a name (a letter, then letters, digits or _)"
    if name.startswith("_") or name.endswith("_"):
        return "a name begins and ends with a letter or digit"
    if name in _CONSTANTS:
        return f"it reads as the constant {name}"
    if keyword.iskeyword(name):
        return f"{name} is a Python keyword"
    if name in _NOTATION:
        return f"{name} is part of the notation (x[t-3], y[t], H(Y | X_S), I(Y; X_S), log)"
    import sympy

    latex = sympy.latex(sympy.Symbol(name))
    unknown = sorted(set(re.findall(r"\\([A-Za-z]+)", latex)) - _LATEX_MACROS)
    if unknown:
        return f"its LaTeX, {latex}, needs a package beyond amsmath (for \\{unknown[0]})"
    return None


def make_symbol(name: str) -> sympy.Symbol:
    """The one way a symbol is made, so that equal names are equal symbols everywhere."""
    problem = symbol_name_problem(name)
    if problem is not None:
        raise ParseError(f"{_show(name)} is not a usable symbol name: {problem}; choose another (a, b, s_3)")
    import sympy  # only symbolic work pays for importing SymPy

    return sympy.Symbol(name, real=True)


def format_fraction(value: Fraction) -> str:
    """Exact text for a number: ``1/2``, ``-3``, ``0``."""
    return str(Fraction(value))


def _number_or_none(text: str, what: str) -> Fraction | None:
    if not isinstance(text, str):
        raise ParseError(f"{what}: expected text, got {type(text).__name__}")
    stripped = text.strip()
    if len(stripped) > MAX_LENGTH:
        raise ParseError(f"{what}: {_show(text)} is longer than {MAX_LENGTH} characters")
    match = _FRACTION.fullmatch(stripped)
    if match is not None:
        sign, numerator, denominator = match.groups()
        if int(denominator) == 0:
            raise ParseError(f"{what}: {_show(text)} divides by zero")
        value = Fraction(int(numerator), int(denominator))
        return -value if sign == "-" else value
    match = _DECIMAL.fullmatch(stripped)
    if match is None:
        return None
    sign, mantissa, exponent = match.groups()
    whole, _, decimals = mantissa.partition(".")
    value = Fraction(int(whole or "0") * 10 ** len(decimals) + int(decimals or "0"), 10 ** len(decimals))
    if exponent is not None:
        power = int(exponent)
        if abs(power) > MAX_EXPONENT:
            raise ParseError(f"{what}: the exponent in {_show(text)} is beyond +-{MAX_EXPONENT}")
        value *= Fraction(10) ** power
    return -value if sign == "-" else value


def _show(text: object) -> str:
    """Quote user text for an error line, keeping it one short line."""
    shown = repr(text) if isinstance(text, str) else repr(str(text))
    return shown if len(shown) <= 60 else shown[:57] + "...'"
