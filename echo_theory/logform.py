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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cache, lru_cache

from .literals import format_fraction

_TRIAL_LIMIT = 1 << 10  # trial division below this; Miller-Rabin and Pollard-Brent above
# Miller-Rabin with the first k primes as bases is exact (not probabilistic) below these
# bounds (Jaeschke; Zhang and Tang; Sorenson and Webster).
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
_WITNESS_BOUNDS = (
    (341_550_071_728_321, 7),
    (3_825_123_056_546_413_051, 9),
    (318_665_857_834_031_151_167_461, 12),
    (3_317_044_064_679_887_385_961_981, 13),
)
_EXACT_MILLER_RABIN_LIMIT = _WITNESS_BOUNDS[-1][0]
# Pollard-Brent iterations spent on one composite before it is kept whole (about 0.1 s here):
# enough for almost every factor below about 10^10 (rho needs about sqrt(p) iterations).
RHO_BUDGET = 1 << 17
# The composites kept whole so far. ``factorize`` is deterministic, so an integer is either
# always split or always kept, and membership is a property of the integer.
_UNFACTORED: set[int] = set()


def _coprime_fraction(numerator: int, denominator: int) -> Fraction:
    """Fraction(numerator, denominator) for coprime integers, denominator > 0, without the
    gcd and the checks of ``Fraction.__new__`` (what 3.12's ``_from_coprime_ints`` does): the
    engine builds hundreds of thousands of coefficients whose gcd it has already divided out."""
    fraction = object.__new__(Fraction)
    fraction._numerator = numerator
    fraction._denominator = denominator
    return fraction


@cache
def _small_primes() -> tuple[int, ...]:
    sieve = bytearray([1]) * _TRIAL_LIMIT
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(_TRIAL_LIMIT) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return tuple(i for i, is_prime in enumerate(sieve) if is_prime)


@cache
def _small_primorial() -> int:
    return math.prod(_small_primes())


@lru_cache(maxsize=1 << 18)
def factorize(n: int) -> tuple[tuple[int, int], ...]:
    """Prime factorization of n >= 1 as ((prime, exponent), ...), ascending."""
    if n < 1:
        raise ValueError(f"factorize needs n >= 1, got {n}")
    factors: dict[int, int] = {}
    # One gcd with the product of the small primes finds which of them divide n, so that
    # numbers with no small factor (the slow ones) skip trial division entirely.
    for prime in _small_divisors(math.gcd(n, _small_primorial())):
        power = 0
        while n % prime == 0:
            n //= prime
            power += 1
        factors[prime] = power
    if n > 1:
        _factor_large(n, factors)
    return tuple(sorted(factors.items()))


@lru_cache(maxsize=1 << 14)
def _small_divisors(small: int) -> tuple[int, ...]:
    """The small primes dividing a squarefree product of small primes (many n share one)."""
    found = []
    for prime in _small_primes():
        if small == 1:
            break
        if small % prime == 0:
            small //= prime
            found.append(prime)
    return tuple(found)


def _factor_large(n: int, factors: dict[int, int]) -> None:
    """Add the factors of n > 1, which has no prime factor below ``_TRIAL_LIMIT``; a composite
    whose factor is not found within the budget is added whole (and remembered)."""
    if n < _TRIAL_LIMIT**2 or _is_probable_prime(n):
        factors[n] = factors.get(n, 0) + 1
        return
    root = math.isqrt(n)
    if root * root == n:
        _factor_large(root, factors)
        _factor_large(root, factors)
        return
    divisor = _pollard_brent(n, RHO_BUDGET)
    if divisor is None:
        _UNFACTORED.add(n)
        factors[n] = factors.get(n, 0) + 1
        return
    _factor_large(divisor, factors)
    _factor_large(n // divisor, factors)


def _is_probable_prime(n: int) -> bool:
    """Exact Miller-Rabin below 3.3e24; SymPy's BPSW test (no known counterexample) above."""
    if n < _EXACT_MILLER_RABIN_LIMIT:
        return _is_prime(n)
    from sympy import isprime

    return bool(isprime(n))


def is_unfactored(n: int) -> bool:
    """Whether ``factorize`` kept the composite n whole because its budget ran out."""
    return n in _UNFACTORED


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for odd n < 3.3e24 with no small factors."""
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    count = next(k for bound, k in _WITNESS_BOUNDS if n < bound)
    for a in _WITNESSES[:count]:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _pollard_brent(n: int, budget: int) -> int | None:
    """A nontrivial divisor of a composite n (Brent's cycle finding, batched gcds), or None
    when ``budget`` iterations of the map (over every constant tried) have not found one."""
    spent = 0
    for c in range(1, n):
        y, m, g, r, q = 2, 128, 1, 1, 1
        x = ys = y
        while g == 1:
            if spent > budget:
                return None
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            spent += 2 * r
            r *= 2
        if g == n:  # the batch overshot: step back one at a time
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    return None


@dataclass(frozen=True)
class LogForm:
    """sum of coefficient * log(prime), with rational coefficients. Unit-free (nats)."""

    coefficients: tuple[tuple[int, Fraction], ...] = ()

    @classmethod
    def from_dict(cls, coefficients: Mapping[int, Fraction]) -> LogForm:
        return cls(tuple(sorted((p, c) for p, c in coefficients.items() if c != 0)))

    @classmethod
    def from_integers(cls, coefficients: Mapping[int, int], denominator: int) -> LogForm:
        """sum of (c / denominator) log(p): the engine's integer sums, one gcd per prime."""
        terms = []
        for prime, c in coefficients.items():
            if c:
                g = math.gcd(c, denominator)
                d = denominator // g
                terms.append((prime, _coprime_fraction(c // g, d) if d > 0 else Fraction(c, denominator)))
        terms.sort()
        return cls(tuple(terms))

    @classmethod
    def log(cls, q: Fraction) -> LogForm:
        """log(q) for a rational q > 0."""
        q = Fraction(q)
        if q <= 0:
            raise ValueError(f"log of {q} is not finite")
        terms: dict[int, Fraction] = {}
        for prime, power in factorize(q.numerator):
            terms[prime] = terms.get(prime, 0) + power
        for prime, power in factorize(q.denominator):
            terms[prime] = terms.get(prime, 0) - power
        return cls.from_dict(terms)

    @classmethod
    def combine(cls, parts: Iterable[tuple[Fraction, LogForm]]) -> LogForm:
        """sum of weight * form."""
        total: dict[int, Fraction] = {}
        for weight, form in parts:
            if weight:
                for prime, c in form.coefficients:
                    total[prime] = total.get(prime, 0) + weight * c
        return cls.from_dict(total)

    @property
    def is_zero(self) -> bool:
        return not self.coefficients

    @property
    def fully_factored(self) -> bool:
        """False when some log is of a composite that factoring's budget left whole: the form is
        exact, only not split into primes (two such forms may be equal with other coefficients)."""
        return not any(p in _UNFACTORED for p, _ in self.coefficients)

    def __add__(self, other: LogForm) -> LogForm:
        total = dict(self.coefficients)
        for prime, c in other.coefficients:
            total[prime] = total[prime] + c if prime in total else c
        return LogForm.from_dict(total)

    def __sub__(self, other: LogForm) -> LogForm:
        return self + -other

    def __neg__(self) -> LogForm:
        return LogForm(tuple((p, -c) for p, c in self.coefficients))

    # --- presentation, in nats (natural logs) or bits (log2, where log2(2) = 1) ------------

    def _terms(self, units: str) -> tuple[Fraction, list[tuple[int, Fraction]]]:
        if units == "bits":
            constant = dict(self.coefficients).get(2, Fraction(0))
            return constant, [(p, c) for p, c in self.coefficients if p != 2]
        return Fraction(0), list(self.coefficients)

    def text(self, units: str = "nats") -> str:
        """``3*log(2) - 3/16*log(3)`` in nats; ``3 - 3/16*log2(3)`` in bits."""
        constant, terms = self._terms(units)
        log = "log2" if units == "bits" else "log"
        pieces = [(constant, format_fraction(abs(constant)))] if constant else []
        for prime, c in terms:
            magnitude = "" if abs(c) == 1 else f"{format_fraction(abs(c))}*"
            pieces.append((c, f"{magnitude}{log}({prime})"))
        return _join(pieces) if pieces else "0"

    def latex(self, units: str = "nats") -> str:
        r"""``3 \log 2 - \frac{3}{16} \log 3`` in nats; ``\log_2`` in bits."""
        constant, terms = self._terms(units)
        log = r"\log_2" if units == "bits" else r"\log"
        pieces = [(constant, latex_fraction(abs(constant)))] if constant else []
        for prime, c in terms:
            magnitude = "" if abs(c) == 1 else latex_fraction(abs(c)) + " "
            pieces.append((c, f"{magnitude}{log} {prime}"))
        return _join(pieces) if pieces else "0"

    def to_sympy(self, units: str = "nats"):
        import sympy

        total = sympy.Add(
            *(sympy.Rational(c.numerator, c.denominator) * sympy.log(p) for p, c in self.coefficients)
        )
        return total / sympy.log(2) if units == "bits" else total

    def to_float(self, units: str = "nats") -> float:
        """The value correctly rounded to a double, however much the terms cancel."""
        return _evaluate(self.coefficients, units == "bits")


def latex_fraction(value: Fraction) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _join(pieces: list[tuple[Fraction, str]]) -> str:
    out = ""
    for i, (sign, body) in enumerate(pieces):
        if i == 0:
            out = ("-" if sign < 0 else "") + body
        else:
            out += (" - " if sign < 0 else " + ") + body
    return out


@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=65536)
def _evaluate(coefficients: tuple[tuple[int, Fraction], ...], bits: bool) -> float:
    if any(p in _UNFACTORED for p, _ in coefficients):
        coefficients = _coprime_basis(coefficients)
    if not coefficients:
        return 0.0
    digits = 40
    while True:
        with localcontext() as ctx:
            ctx.prec = digits
            terms = [Decimal(c.numerator) / Decimal(c.denominator) * _ln(p, digits) for p, c in coefficients]
            total = sum(terms, Decimal(0))
            scale = sum((abs(t) for t in terms), Decimal(0))
            # Each term is good to about 10^-digits of scale. Logs of distinct primes are
            # independent, so total != 0; once it stands 20 digits clear of the rounding
            # noise, the double nearest to it is the double nearest to the exact value.
            if total != 0 and abs(total) > scale * Decimal(10) ** (20 - digits):
                if bits:
                    total /= _ln(2, digits)
                return float(total)
        digits *= 2
