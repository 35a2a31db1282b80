"""The canonical exact form of a numeric entropy: a rational combination of logs of primes.

Every entropy of a process with rational probabilities is sum_i w_i * log(q_i) with rational
w_i, q_i. Factoring each q_i into primes gives one form per number, because the logs of
distinct primes are linearly independent over the rationals: two forms are equal exactly
when their coefficients are. Floats come last, from this form, at whatever precision it takes.

Factoring has a budget: an integer whose factor Pollard-Brent has not found within
``RHO_BUDGET`` iterations stays whole, as log of that integer. The form is still exact and its
float still correctly rounded (the evaluation first splits such integers against the form's
other bases by gcds, so its bases are pairwise coprime and their logs independent); it is only
not split into primes, which ``LogForm.fully_factored`` says.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from .factoring import _UNFACTORED, factorize
from .logarithms import fixed_sum, rounded

_INT64 = 1 << 63
_IMPORT_TERMS = 3000  # Decimal takes about 30 us a log
_ARRAY_TERMS = 24  # from this many logs on, one pass on arrays beats Decimal's one at a time


def _coprime_fraction(numerator: int, denominator: int) -> Fraction:
    """Fraction(numerator, denominator) for coprime integers, denominator > 0, without the
    gcd and the checks of ``Fraction.__new__`` (what 3.12's ``_from_coprime_ints`` does): the
    engine builds hundreds of thousands of coefficients whose gcd it has already divided out."""
    fraction = object.__new__(Fraction)
    fraction._numerator = numerator
    fraction._denominator = denominator
    return fraction


class LogForm:
    """sum of coefficient * log(prime), with rational coefficients. Unit-free (nats).

    Stored as integers over one denominator (``numerators[i] / denominator`` for
    ``primes[i]``), in lowest terms: every subset of many rules holds millions of
    coefficients, and a Fraction each would be most of the memory. ``coefficients`` gives the
    (prime, Fraction) pairs. Two forms are equal exactly when their values are (the logs of
    distinct primes are independent).
    """

    __slots__ = ("_denominator", "_fixed", "_floats", "_numerators", "_primes")

    def __init__(self, coefficients: Iterable[tuple[int, Fraction]] = ()) -> None:
        pairs = sorted((p, Fraction(c)) for p, c in coefficients if c)
        denominator = math.lcm(*(c.denominator for _, c in pairs)) if pairs else 1
        numerators = [c.numerator * (denominator // c.denominator) for _, c in pairs]
        self._store(tuple(p for p, _ in pairs), numerators, denominator)

    def _store(self, primes: Sequence[int], numerators: list[int], denominator: int) -> None:
        g = math.gcd(denominator, *numerators)
        if denominator < 0:
            g = -g
        # 8 bytes a prime rather than an int object each: most of a wide table's memory
        self._primes = array("q", primes) if primes and primes[-1] < _INT64 else tuple(primes)
        self._numerators = tuple(c // g for c in numerators) if g != 1 else tuple(numerators)
        self._denominator = denominator // g if primes else 1
        self._floats: dict[str, float] = {}
        self._fixed: tuple[int, int, int] | bool | None = False  # not yet computed

    def _parts(self) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        return self._primes, self._numerators, self._denominator

    @classmethod
    def from_dict(cls, coefficients: Mapping[int, Fraction]) -> LogForm:
        return cls(coefficients.items())

    @classmethod
    def from_integers(cls, coefficients: Mapping[int, int], denominator: int) -> LogForm:
        """sum of (c / denominator) log(p): the engine's integer sums, kept as integers."""
        items = sorted((p, c) for p, c in coefficients.items() if c)
        return cls.from_sorted(tuple(p for p, _ in items), [c for _, c in items], denominator)

    @classmethod
    def from_sorted(cls, primes: Sequence[int], numerators: list[int], denominator: int) -> LogForm:
        """sum of (numerators[i] / denominator) log(primes[i]), primes ascending and distinct,
        numerators nonzero: what the batched engine builds, taken as it is."""
        form = object.__new__(cls)
        form._store(primes, numerators, denominator)
        return form

    @classmethod
    def log(cls, q: Fraction) -> LogForm:
        """log(q) for a rational q > 0."""
        q = Fraction(q)
        if q <= 0:
            raise ValueError(f"log of {q} is not finite")
        terms: dict[int, int] = {}
        for prime, power in factorize(q.numerator):
            terms[prime] = terms.get(prime, 0) + power
        for prime, power in factorize(q.denominator):
            terms[prime] = terms.get(prime, 0) - power
        return cls.from_integers(terms, 1)

    @classmethod
    def combine(cls, parts: Iterable[tuple[Fraction, LogForm]]) -> LogForm:
        """sum of weight * form."""
        parts = [(Fraction(w), form._parts()) for w, form in parts if w]
        denominator = math.lcm(*(w.denominator * d for w, (_, _, d) in parts)) if parts else 1
        total: dict[int, int] = {}
        for w, (primes, numerators, d) in parts:
            factor = w.numerator * (denominator // (w.denominator * d))
            for prime, c in zip(primes, numerators, strict=True):
                total[prime] = total.get(prime, 0) + c * factor
        return cls.from_integers(total, denominator)

    @property
    def coefficients(self) -> tuple[tuple[int, Fraction], ...]:
        """(prime, coefficient) pairs, ascending by prime."""
        primes, numerators, d = self._parts()
        out = []
        for prime, c in zip(primes, numerators, strict=True):
            g = math.gcd(c, d)
            out.append((prime, _coprime_fraction(c // g, d // g)))
        return tuple(out)

    @property
    def is_zero(self) -> bool:
        return not self._parts()[0]

    @property
    def fully_factored(self) -> bool:
        """False when some log is of a composite that factoring's budget left whole: the form is
        exact, only not split into primes (two such forms may be equal with other coefficients)."""
        return not _UNFACTORED or not any(p in _UNFACTORED for p in self._parts()[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogForm):
            return NotImplemented
        (a, x, d), (b, y, e) = self._parts(), other._parts()
        return d == e and x == y and tuple(a) == tuple(b)

    def __hash__(self) -> int:
        primes, numerators, d = self._parts()
        return hash((tuple(primes), numerators, d))

    def __repr__(self) -> str:
        return f"LogForm({self.text()})"

    def __add__(self, other: LogForm) -> LogForm:
        return LogForm.combine([(Fraction(1), self), (Fraction(1), other)])

    def __sub__(self, other: LogForm) -> LogForm:
        return LogForm.combine([(Fraction(1), self), (Fraction(-1), other)])

    def __neg__(self) -> LogForm:
        primes, numerators, d = self._parts()
        return LogForm.from_sorted(primes, [-c for c in numerators], d)

    # --- presentation, in nats (natural logs) or bits (log2, where log2(2) = 1) ------------

    def _pieces(self, units: str, log: str, fraction, times: str, opening: str, closing: str) -> str:
        """The terms joined with their signs; in bits, log2(2) = 1 makes 2's term a constant.
        Built from the stored integers (one gcd each): a wide form has thousands of terms."""
        primes, numerators, d = self._parts()
        pieces: list[str] = []
        negative: list[bool] = []
        constant = None
        for prime, c in zip(primes, numerators, strict=True):
            g = math.gcd(c, d)
            num, den = abs(c) // g, d // g
            if units == "bits" and prime == 2:
                constant = (c < 0, fraction(num, den))
                continue
            magnitude = "" if num == den == 1 else fraction(num, den) + times
            negative.append(c < 0)
            pieces.append(f"{magnitude}{log}{opening}{prime}{closing}")
        if constant is not None:
            negative.insert(0, constant[0])
            pieces.insert(0, constant[1])
        if not pieces:
            return "0"
        out = ["-" if negative[0] else "", pieces[0]]
        for sign, body in zip(negative[1:], pieces[1:], strict=True):
            out += (" - " if sign else " + ", body)
        return "".join(out)

    def text(self, units: str = "nats") -> str:
        """``3*log(2) - 3/16*log(3)`` in nats; ``3 - 3/16*log2(3)`` in bits."""
        log = "log2" if units == "bits" else "log"
        return self._pieces(units, log, _text_fraction, "*", "(", ")")

    def latex(self, units: str = "nats") -> str:
        r"""``3 \log 2 - \frac{3}{16} \log 3`` in nats; ``\log_2`` in bits."""
        log = r"\log_2" if units == "bits" else r"\log"
        return self._pieces(units, log, _latex_fraction, " ", " ", "")

    def to_sympy(self, units: str = "nats"):
        import sympy

        total = sympy.Add(
            *(sympy.Rational(c.numerator, c.denominator) * sympy.log(p) for p, c in self.coefficients)
        )
        return total / sympy.log(2) if units == "bits" else total

    def to_float(self, units: str = "nats") -> float:
        """The value correctly rounded to a double, however much the terms cancel (kept)."""
        if units not in self._floats:
            value = None
            fixed = self.fixed_sum()
            if fixed is not None:
                value = rounded(*fixed, units == "bits")
            if value is None:
                value = _evaluate(*self._parts(), units == "bits")
            self._floats[units] = value
        return self._floats[units]

    def fixed_sum(self, short: bool = False) -> tuple[int, int, int] | None:
        """(T, E, D): the value is within E / (D 2^100) of T / (D 2^100), from every log at
        once on arrays (``logarithms``); None for bases beyond the arrays or left unfactored,
        and for short forms unless ``short`` (alone, Decimal is quicker for them)."""
        if self._fixed is False or (short and self._fixed is None):
            primes, numerators, d = self._parts()
            self._fixed = None
            # NumPy costs about 0.1 s to import: worth it alone only for thousands of logs
            wide = len(primes) >= (_ARRAY_TERMS if "numpy" in sys.modules else _IMPORT_TERMS)
            if (short or wide) and self.fully_factored:
                fixed = fixed_sum(primes, numerators)
                self._fixed = None if fixed is None else (*fixed, d)
        return self._fixed


class Difference(LogForm):
    """``minuend - subtrahend``, built each time it is read rather than kept: I(Y; X_S) =
    H(Y) - H(Y | X_S) for every subset would otherwise double the memory of a wide table."""

    __slots__ = ("_minuend", "_subtrahend")

    def __init__(self, minuend: LogForm, subtrahend: LogForm) -> None:
        self._minuend, self._subtrahend = minuend, subtrahend
        self._floats = {}
        self._fixed = False

    @property
    def fully_factored(self) -> bool:
        return self._minuend.fully_factored and self._subtrahend.fully_factored

    def fixed_sum(self, short: bool = False) -> tuple[int, int, int] | None:
        """From the two forms' own sums, without building the difference."""
        if self._fixed is False:
            a, b = self._minuend.fixed_sum(), self._subtrahend.fixed_sum()
            if (a is None) != (b is None):  # one is wide (NumPy is loaded): the other joins it
                a, b = self._minuend.fixed_sum(short=True), self._subtrahend.fixed_sum(short=True)
            self._fixed = None
            if a is not None and b is not None:
                (ta, ea, da), (tb, eb, db) = a, b
                self._fixed = (ta * db - tb * da, ea * db + eb * da, da * db)
        return self._fixed

    def _parts(self) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        return LogForm.combine([(Fraction(1), self._minuend), (Fraction(-1), self._subtrahend)])._parts()


def latex_fraction(value: Fraction) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _text_fraction(numerator: int, denominator: int) -> str:
    return str(numerator) if denominator == 1 else f"{numerator}/{denominator}"


def _latex_fraction(numerator: int, denominator: int) -> str:
    return str(numerator) if denominator == 1 else f"\\frac{{{numerator}}}{{{denominator}}}"


@lru_cache(maxsize=1 << 16)
def _ln(prime: int, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = digits
        return Decimal(prime).ln()


def _coprime_basis(coefficients: tuple[tuple[int, Fraction], ...]) -> tuple[tuple[int, Fraction], ...]:
    """The same sum on pairwise coprime bases: an unfactored composite c and a base d with
    g = gcd(c, d) > 1 become c/g, g and d/g, until no two bases share a factor. Logs of
    pairwise coprime integers > 1 are linearly independent, so the evaluation can end."""
    bases = dict(coefficients)
    changed = True
    while changed:
        changed = False
        for c in [b for b in bases if b in _UNFACTORED or b not in bases]:
            if c not in bases:
                continue
            for d in list(bases):
                g = math.gcd(c, d) if d != c else 1
                if g > 1:
                    x, y = bases.pop(c), bases.pop(d)
                    for base, w in ((c // g, x), (g, x + y), (d // g, y)):
                        if base > 1:
                            bases[base] = bases.get(base, 0) + w
                    changed = True
                    break
            if changed:
                break
    return tuple(sorted((b, w) for b, w in bases.items() if w))


def _evaluate(primes: tuple[int, ...], numerators: tuple[int, ...], denominator: int, bits: bool) -> float:
    """sum (numerators[i] / denominator) ln(primes[i]), correctly rounded (in bits: / ln 2)."""
    if any(p in _UNFACTORED for p in primes):
        fractions = (Fraction(c, denominator) for c in numerators)
        form = LogForm(_coprime_basis(tuple(zip(primes, fractions, strict=True))))
        primes, numerators, denominator = form._parts()
    if not primes:
        return 0.0
    digits = 40
    while True:
        with localcontext() as ctx:
            ctx.prec = digits
            terms = [c * _ln(p, digits) for p, c in zip(primes, numerators, strict=True)]
            total = sum(terms, Decimal(0))
            scale = sum((abs(t) for t in terms), Decimal(0))
            # Each term is good to about 10^-digits of scale. Logs of distinct primes are
            # independent, so total != 0; once it stands 20 digits clear of the rounding
            # noise, the double nearest to it is the double nearest to the exact value.
            if total != 0 and abs(total) > scale * Decimal(10) ** (20 - digits):
                total /= denominator
                if bits:
                    total /= _ln(2, digits)
                return float(total)
        digits *= 2
