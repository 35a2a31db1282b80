"""The process: lag rules, a base probability, an input probability and a clip policy.

It is the single source of truth that the engine, the sampler and the model all read.
x_t ~ Bernoulli(p_x) independently, and P(y_t = 1 | x) = base + sum of the shifts of the rules
whose x[t - lag] = 1, clamped to [0, 1] when ``clip`` is set, an error otherwise.

Configurations of the rule inputs are integer masks: bit i is x[t - lags[i]], lags sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Union

from .errors import LimitError, ProcessError, SettingError
from .literals import check_probability, format_fraction, parse_number, parse_probability
from .rules import Rule, parse_lags, parse_rule

if TYPE_CHECKING:
    import sympy

    from .derivation import Derivation
    from .results import SubsetTable
    from .value import ExactValue

Probability = Union[Fraction, "sympy.Expr"]

# The engine visits every subset S of the n rule lags and every configuration of S:
# sum over S of 2^|S| = 3^n steps, plus factoring. 12 rules take a second to a minute
# (benchmarks/bench_compute.py); each further rule triples that.
MAX_RULES = 12
# With symbols, each subset's closed form holds up to 2^n SymPy terms: 7 symbolic rules
# take about 7 s to print every subset.
MAX_SYMBOLIC_RULES = 7


def lag_name(lag: int) -> str:
    """``x[t-3]``, or ``x[t]`` for lag 0."""
    return "x[t]" if lag == 0 else f"x[t-{lag}]"


def _exact_number(value: object, what: str) -> Fraction:
    if isinstance(value, str):
        return parse_probability(value, what)
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise ProcessError(f"{what}: {value!r} is not exact; pass a Fraction, an int or text such as '0.1'")
    return check_probability(Fraction(value), what)


@dataclass(frozen=True)
class EchoProcess:
    """A binary echo process.

    >>> p = EchoProcess(["3:+0.5", "8:-0.25"])
    >>> p.lags
    (3, 8)
    >>> p.cross_entropy([3]).text
    '3*log(2) - 3/16*log(3) - 5/16*log(5) - 7/16*log(7)'
    """

    rules: tuple[Rule, ...]
    base: Fraction = Fraction(1, 2)
    p_x: Fraction = Fraction(1, 2)
    clip: bool = False
    _tables: tuple = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        rules: Iterable[Rule | str],
        base: Fraction | int | str = Fraction(1, 2),
        p_x: Fraction | int | str = Fraction(1, 2),
        clip: bool = False,
    ) -> None:
        if isinstance(rules, str):
            rules = [rules]
        parsed = [rule if isinstance(rule, Rule) else parse_rule(rule) for rule in rules]
        seen: set[int] = set()
        for rule in parsed:
            if rule.lag in seen:
                raise ProcessError(f"lag {rule.lag} has two rules; give each lag once")
            seen.add(rule.lag)
        if len(parsed) > MAX_RULES:
            raise LimitError(
                f"{len(parsed)} rules is more than the engine's limit of {MAX_RULES}: it visits "
                f"every subset of lags and every input configuration, 3^n steps ({MAX_RULES} rules "
                f"take up to a minute, each rule more triples it)"
            )
        if len(parsed) > MAX_SYMBOLIC_RULES and any(rule.is_symbolic for rule in parsed):
            raise LimitError(
                f"{len(parsed)} rules with symbols is more than the limit of {MAX_SYMBOLIC_RULES}: "
                f"each subset's closed form holds up to 2^n SymPy terms; give numbers for some shifts"
            )
        object.__setattr__(self, "rules", tuple(sorted(parsed, key=lambda rule: rule.lag)))
        object.__setattr__(self, "base", _exact_number(base, "base"))
        object.__setattr__(self, "p_x", _exact_number(p_x, "p_x"))
        object.__setattr__(self, "clip", bool(clip))
        object.__setattr__(self, "_tables", self._build_tables())

    @classmethod
    def parse(cls, *rules: str, base: str = "1/2", p_x: str = "1/2", clip: bool = False) -> EchoProcess:
        """Build a process from rule text: ``EchoProcess.parse("3:+0.5", "8:-0.25")``."""
        return cls(rules, base=base, p_x=p_x, clip=clip)

    # --- what the process is ---------------------------------------------------------------

    @property
    def lags(self) -> tuple[int, ...]:
        return tuple(rule.lag for rule in self.rules)

    @cached_property
    def symbols(self) -> frozenset:
        """The SymPy symbols in the shifts (empty for a numeric process)."""
        found: set = set()
        for rule in self.rules:
            if rule.is_symbolic:
                found |= rule.shift.free_symbols
        return frozenset(found)

    @property
    def is_symbolic(self) -> bool:
        return bool(self.symbols)

    @property
    def raw_table(self) -> tuple[Probability, ...]:
        """base + shifts for every configuration mask, before any clipping."""
        return self._tables[0]

    @property
    def table(self) -> tuple[Probability, ...]:
        """P(y=1 | x) for every configuration mask, clipped when ``clip`` is set."""
        return self._tables[1]

    def config_text(self, mask: int, lags: Iterable[int] | None = None) -> str:
        """``x[t-3]=1, x[t-8]=0`` for a mask over ``lags`` (default: all rule lags)."""
        lags = self.lags if lags is None else tuple(lags)
        return ", ".join(f"{lag_name(lag)}={(mask >> i) & 1}" for i, lag in enumerate(lags))

    def describe(self) -> str:
        """The process in one line."""
        terms = [format_fraction(self.base)]
        for rule in self.rules:
            shift = rule.shift_text
            sign, magnitude = ("-", shift[1:]) if shift.startswith("-") else ("+", shift)
            terms.append(f"{sign} {magnitude}*{lag_name(rule.lag)}")
        clip = ", clipped to [0, 1]" if self.clip else ""
        return f"x[t] ~ Bernoulli({format_fraction(self.p_x)}); P(y[t]=1 | x) = {' '.join(terms)}{clip}"

    def to_dict(self) -> dict:
        """The process as JSON-ready data (the ``process`` object of every JSON output)."""
        return {
            "rules": [{"lag": rule.lag, "shift": rule.shift_text} for rule in self.rules],
            "base": format_fraction(self.base),
            "p_x": format_fraction(self.p_x),
            "clip": self.clip,
        }

    def substitute(self, values: Mapping[str, Fraction | int | str]) -> EchoProcess:
        """The process with symbols replaced by exact numbers, checked like any other."""
        import sympy

        known = {symbol.name: symbol for symbol in self.symbols}
        mapping = {}
        for name, value in values.items():
            if name not in known:
                names = ", ".join(sorted(known)) or "none"
                raise ProcessError(f"symbol {name!r} is not in the rules (symbols: {names})")
            number = parse_number(value, name) if isinstance(value, str) else Fraction(value)
            mapping[known[name]] = sympy.Rational(number.numerator, number.denominator)
        rules = [
            Rule(rule.lag, rule.shift.subs(mapping)) if rule.is_symbolic else rule for rule in self.rules
        ]
        return EchoProcess(rules, base=self.base, p_x=self.p_x, clip=self.clip)

    # --- what the engine derives (see ``exact``) ------------------------------------------

    def subsets(self) -> list[tuple[int, ...]]:
        """Every subset of the lags, by size and then by lag."""
        from .exact import all_subsets

        return all_subsets(self.lags)

    def learned_lags(self, learned: Iterable[int] | str) -> tuple[int, ...]:
        """Check a learned set (lags, or text such as ``3,8`` / ``none``) against the rules."""
        lags = parse_lags(learned) if isinstance(learned, str) else tuple(sorted(set(learned)))
        for lag in lags:
            if lag not in self.lags:
                known = ", ".join(map(str, self.lags)) or "none"
                raise ProcessError(f"learned lag {lag} has no rule (rule lags: {known})")
        return lags

    def marginal(self, learned: Iterable[int] | str = ()):
        """P(y=1 | x_S) for each configuration of the learned lags S, with its weight."""
        from .exact import marginal

        return marginal(self, self.learned_lags(learned))

    def marginal_sums(self, learned: Iterable[int] | str = ()):
        """``marginal`` written out term by term: the unlearned configurations, their weights
        (p_x or 1 - p_x for each unlearned lag) and their P(y=1 | x)."""
        from .exact import marginal_sums

        return marginal_sums(self, self.learned_lags(learned))

    def cross_entropy(self, learned: Iterable[int] | str = (), units: str = "nats") -> ExactValue:
        """H(Y | X_S): the expected cross entropy of the best model that sees the lags in S."""
        from .exact import cross_entropy

        return cross_entropy(self, self.learned_lags(learned), units)

    def information(self, learned: Iterable[int] | str = (), units: str = "nats") -> ExactValue:
        """I(Y; X_S) = H(Y) - H(Y | X_S)."""
        from .exact import information

        return information(self, self.learned_lags(learned), units)

    def window_cross_entropy(
        self, learned: Iterable[int] | str = (), window: int = 1, units: str = "nats"
    ) -> ExactValue:
        """The best mean loss over a window of ``window`` steps from a reset state, for a model
        that has learned S: (1/T) sum_{k=0}^{T-1} H(Y | X_{S, lags <= k}). Position k of the
        window has seen only the last k inputs, so it can use only the lags L <= k.

        >>> EchoProcess(["3:+0.5", "8:-0.25"]).window_cross_entropy([3], window=5).text
        '3*log(2) - 3/10*log(3) - 1/2*log(5) - 7/40*log(7)'
        """
        from .exact import window_cross_entropy

        return window_cross_entropy(self, self.learned_lags(learned), window, units)

    def true_window_cross_entropy(
        self, learned: Iterable[int] | str = (), window: int = 1, units: str = "nats"
    ) -> ExactValue:
        """The best loss at every position under true truncation from a reset state (each
        prediction starts from a zero state T - 1 steps back): H(Y | X_{S, lags <= T-1}).

        >>> seed = EchoProcess(["3:+0.5", "8:-0.25"])
        >>> seed.true_window_cross_entropy([3, 8], window=5) == seed.cross_entropy([3])
        True
        """
        from .exact import check_window

        check_window(window)
        return self.cross_entropy([lag for lag in self.learned_lags(learned) if lag <= window - 1], units)

    def lag_effect(self, lag: int) -> Probability:
        """The exact average effect of x[t-lag] on P(y=1): E over the other inputs of
        P(y=1 | x_L=1, rest) - P(y=1 | x_L=0, rest), on the clipped table.

        >>> EchoProcess(["0:+0.75", "2:+0.75"], base="0.1", clip=True).lag_effect(2)
        Fraction(9, 20)
        """
        from .exact import lag_effect

        (lag,) = self.learned_lags([lag])
        return lag_effect(self, lag)

    def subset_table(
        self,
        learned: Iterable[Iterable[int] | str] | None = None,
        units: str = "nats",
        window: int | None = None,
        truncation: str = "tf",
    ) -> SubsetTable:
        """One row per learned subset (every subset when ``learned`` is None); with ``window``,
        each row also holds the subset's best mean loss over a window of that many steps
        (``truncation="true"``: its best loss when every prediction starts T - 1 steps back)."""
        from .exact import subset_table

        if truncation not in ("tf", "true"):
            raise SettingError(f"--truncation: {truncation!r} is not one of tf, true")
        chosen = None
        if learned is not None:
            chosen = list(dict.fromkeys(self.learned_lags(subset) for subset in learned))
        if truncation == "tf" or window is None:
            return subset_table(self, chosen, units, window)
        return self._true_window_table(subset_table(self, chosen, units), window)

    def _true_window_table(self, table: SubsetTable, window: int) -> SubsetTable:
        """The table's rows with H(Y | X_{S, lags <= T-1}) as their window column."""
        from dataclasses import replace

        from .exact import check_window

        check_window(window)
        values = {row.learned: row.cross_entropy for row in table.rows}
        rows = []
        for row in table.rows:
            visible = tuple(lag for lag in row.learned if lag <= window - 1)
            value = values[visible] if visible in values else self.cross_entropy(visible, table.units)
            rows.append(replace(row, window_cross_entropy=value))
        return replace(table, rows=tuple(rows), window=window, truncation="true")

    def derive(
        self,
        learned: Iterable[Iterable[int] | str] | None = None,
        units: str = "nats",
        at: Mapping[str, Fraction | int | str] | None = None,
    ) -> Derivation:
        """A step-by-step derivation of H(Y | X_S) for each learned subset (see ``derivation``)."""
        from .derivation import derive

        return derive(self, learned, units, at)

    # --- construction -----------------------------------------------------------------------

    def _build_tables(self) -> tuple[tuple[Probability, ...], tuple[Probability, ...]]:
        raw: list[Probability] = [self.base]
        for rule in self.rules:  # each rule doubles the table: its input off, then on
            raw += [_simplify(p + rule.shift) for p in raw]
        if self.clip:
            return tuple(raw), tuple(_clamp(p) for p in raw)
        worst = None
        for mask, p in enumerate(raw):
            excess = _excess(p)
            if excess and (worst is None or excess > worst[0]):
                worst = (excess, mask, p)
        if worst is not None:
            _, mask, p = worst
            given = self.config_text(mask)
            raise ProcessError(f"P(y=1 | {given}) = {_text(p)} is outside [0, 1]; use --clip to clamp")
        return tuple(raw), tuple(raw)


def _simplify(p: Probability) -> Probability:
    """Numbers stay ``Fraction``; a SymPy value with no symbols left becomes one."""
    if isinstance(p, Fraction):
        return p
    if p.is_Rational:
        return Fraction(int(p.p), int(p.q))
    return p


def _text(p: Probability) -> str:
    return format_fraction(p) if isinstance(p, Fraction) else str(p)


def _excess(p: Probability) -> Fraction | int:
    """How far p provably lies outside [0, 1]; 0 when inside or not decidable."""
    if isinstance(p, Fraction):
        return max(p - 1, -p, 0)
    # A symbolic value is out of range only if SymPy can prove it for every real value.
    if (p - 1).is_extended_positive or p.is_extended_negative:
        return 1
    return 0


def _clamp(p: Probability) -> Probability:
    if isinstance(p, Fraction):
        return min(max(p, Fraction(0)), Fraction(1))
    import sympy

    if (p - 1).is_extended_nonnegative:
        return Fraction(1)
    if p.is_extended_nonpositive:
        return Fraction(0)
    if p.is_extended_nonnegative and (p - 1).is_extended_nonpositive:
        return p
    return sympy.Min(1, sympy.Max(0, p))
