"""The process: rules, a base probability, an input probability and a clip policy.

It is the single source of truth that the engine, the sampler and the model all read.
x_t ~ Bernoulli(p_x) independently, and P(y_t = 1 | x) = base + sum of the shifts of the rules
whose condition holds (x[t-lag] = 1; all of several inputs 1; an odd number of them 1),
clamped to [0, 1] when ``clip`` is set, an error otherwise.

Configurations of the rule inputs are integer masks: bit i is x[t - lags[i]], where ``lags``
is the sorted union of every rule's lags.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Union

from .errors import ProcessError, SettingError
from .literals import check_probability, format_fraction, parse_number, parse_probability
from .rules import Rule, parse_lags, parse_rule

if TYPE_CHECKING:
    import sympy

    from .derivation import Derivation
    from .results import SubsetTable
    from .value import ExactValue

Probability = Union[Fraction, "sympy.Expr"]

# No fixed count of rules: the table of 2^n configurations is built only when something
# reads it, and every large piece of work is estimated against the budget first (``budget``).
# A SymPy cell costs about this many steps to build and check (expand, then prove a range).
_SYMBOLIC_CELL_STEPS = 100


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
        seen: dict[tuple, Rule] = {}
        for rule in parsed:  # one rule per condition: same kind and same lags
            condition = (rule.kind, rule.lags)
            if condition in seen:
                if rule.kind == "lag":
                    raise ProcessError(f"lag {rule.lag} has two rules; give each lag once")
                raise ProcessError(
                    f"the condition {rule.condition_text} has two rules ({seen[condition]} and {rule}); "
                    f"give each condition once"
                )
            seen[condition] = rule
        # single-lag rules first, by lag, then the interaction rules by size, lags and kind
        order = sorted(parsed, key=lambda rule: (len(rule.lags), rule.lags, rule.kind))
        object.__setattr__(self, "rules", tuple(order))
        object.__setattr__(self, "base", _exact_number(base, "base"))
        object.__setattr__(self, "p_x", _exact_number(p_x, "p_x"))
        object.__setattr__(self, "clip", bool(clip))
        if self.clip:
            return
        if self.is_additive and not self.is_symbolic:
            self._check_extremes()
        else:  # the range check needs every entry: build (and check) the table now
            self._tables  # noqa: B018

    @classmethod
    def parse(cls, *rules: str, base: str = "1/2", p_x: str = "1/2", clip: bool = False) -> EchoProcess:
        """Build a process from rule text: ``EchoProcess.parse("3:+0.5", "8:-0.25")``."""
        return cls(rules, base=base, p_x=p_x, clip=clip)

    # --- what the process is ---------------------------------------------------------------

    @cached_property
    def lags(self) -> tuple[int, ...]:
        """The sorted union of every rule's lags: the table's bit order."""
        return tuple(sorted({lag for rule in self.rules for lag in rule.lags}))

    @property
    def is_additive(self) -> bool:
        """True when every rule is a single-lag rule: P(y=1 | x) is base + a sum of shift * x_L."""
        return all(rule.kind == "lag" for rule in self.rules)

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
            terms.append(f"{sign} {magnitude}*{condition_name(rule)}")
        clip = ", clipped to [0, 1]" if self.clip else ""
        return f"x[t] ~ Bernoulli({format_fraction(self.p_x)}); P(y[t]=1 | x) = {' '.join(terms)}{clip}"

    def to_dict(self) -> dict:
        """The process as JSON-ready data (the ``process`` object of every JSON output)."""
        return {
            "rules": [_rule_dict(rule) for rule in self.rules],
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
            Rule(rule.lags, rule.shift.subs(mapping), rule.kind) if rule.is_symbolic else rule
            for rule in self.rules
        ]
        return EchoProcess(rules, base=self.base, p_x=self.p_x, clip=self.clip)

    # --- what the engine derives (see ``exact``) ------------------------------------------

    def subsets(self) -> list[tuple[int, ...]]:
        """Every subset of the lags, by size and then by lag."""
        from .exact import all_subsets

        return all_subsets(self.lags)

    def learned_lags(self, learned: Iterable[int] | str) -> tuple[int, ...]:
        """Check a learned set (lags, or text such as ``3,8`` / ``none``) against the rules.

        A single lag is not a set: ``cross_entropy(3)`` is an error that says to write ``[3]``
        (and ``0`` could read as "nothing learned" when it means lag 0)."""
        if isinstance(learned, str):
            lags = parse_lags(learned)
        elif not isinstance(learned, Iterable):
            raise ProcessError(
                f"learned: expected a collection of lags such as [3] or (3, 8), or text such as "
                f"'3,8' or 'none'; got {type(learned).__name__} {learned!r}"
            )
        else:
            lags = tuple(learned)
            for lag in lags:
                if isinstance(lag, bool) or not isinstance(lag, numbers.Integral):
                    raise ProcessError(f"learned: {lag!r} is not a lag (a whole number)")
            lags = tuple(sorted({int(lag) for lag in lags}))
        for lag in lags:
            if lag not in self.lags:
                known = ", ".join(map(str, self.lags)) or "none"
                raise ProcessError(f"learned lag {lag} has no rule (rule lags: {known})")
        return lags

    def learned_subsets(self, learned: Iterable[Iterable[int] | str]) -> list[tuple[int, ...]]:
        """Check a list of learned sets, expanding the words ``chain`` (the nested prefixes of
        the lags), ``singles`` (each lag alone) and ``complements`` (all lags but one)."""
        from .exact import named_subsets

        chosen: list[tuple[int, ...]] = []
        for subset in learned:
            named = named_subsets(self.lags, subset) if isinstance(subset, str) else None
            chosen += named if named is not None else [self.learned_lags(subset)]
        return list(dict.fromkeys(chosen))

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

    def rule_effect(self, rule: Rule | str) -> Probability:
        """The exact average change in P(y=1) when a rule's condition C turns true:

            E[P(y=1 | x) | C] - E[P(y=1 | x) | not C] = P(y=1 | C) - P(y=1 | not C)

        over the independent inputs, on the clipped table. It is what a model's mean prediction
        differs by between the steps where C holds and the others, so it can be measured from
        (x, p) alone. Only the rule's condition matters (its shift is ignored), and its lags must
        be rule lags of the process. For a single-lag rule it is ``lag_effect``. Without clipping
        it is the rule's own shift plus, for each other rule, that rule's shift times
        P(its condition | C) - P(its condition | not C): the shift itself when every other
        condition is independent of C (no shared lag; or, at p_x = 1/2, a parity C and any
        condition on a proper subset of its lags).

        >>> EchoProcess(["3^8:+0.4"], base="0.3").rule_effect("3^8:+0.4")
        Fraction(2, 5)
        >>> EchoProcess(["3:+0.3", "8:+0.3", "3&8:-0.4"]).rule_effect("3&8:-0.4")
        Fraction(0, 1)
        """
        from .exact import rule_effect

        rule = rule if isinstance(rule, Rule) else parse_rule(rule)
        missing = [lag for lag in rule.lags if lag not in self.lags]
        if missing:
            known = ", ".join(map(str, self.lags)) or "none"
            raise ProcessError(f"rule {rule}: lag {missing[0]} has no rule (rule lags: {known})")
        return rule_effect(self, rule)

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
        chosen = None if learned is None else self.learned_subsets(learned)
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
        by: str = "auto",
    ) -> Derivation:
        """A step-by-step derivation of H(Y | X_S) for each learned subset (see ``derivation``);
        ``by="sums"`` runs over the distinct sums of the learned shifts (additive rules)."""
        from .derivation import derive

        return derive(self, learned, units, at, by)

    # --- construction -----------------------------------------------------------------------

    @cached_property
    def _tables(self) -> tuple[tuple[Probability, ...], tuple[Probability, ...]]:
        """Both tables, built on first use: 2^n entries, estimated against the budget first."""
        from .budget import check_cost

        n = len(self.lags)
        steps = (2 << n) * (_SYMBOLIC_CELL_STEPS if self.is_symbolic else 1)
        counted = f"{n} rules" if n == len(self.rules) else f"{n} rule lags"
        check_cost(steps, f"the table of P(y=1 | x) over the 2^{n} configurations of {counted}")
        return self._build_tables()

    def _check_extremes(self) -> None:
        """Without --clip every entry must lie in [0, 1]. Additive numeric rules reach their
        extremes at base + the negative shifts and base + the positive shifts, so two sums
        decide it; the error names the worst configuration (the smaller mask on a tie), as
        the table's own check does."""
        low_mask = sum(1 << i for i, rule in enumerate(self.rules) if rule.shift < 0)
        high_mask = sum(1 << i for i, rule in enumerate(self.rules) if rule.shift > 0)
        low = self.base + sum((rule.shift for rule in self.rules if rule.shift < 0), Fraction(0))
        high = self.base + sum((rule.shift for rule in self.rules if rule.shift > 0), Fraction(0))
        candidates = [(_excess(p), mask, p) for mask, p in ((low_mask, low), (high_mask, high))]
        excess, mask, p = max(candidates, key=lambda c: (c[0], -c[1]))
        if excess:
            given = self.config_text(mask)
            raise ProcessError(f"P(y=1 | {given}) = {_text(p)} is outside [0, 1]; use --clip to clamp")

    def _build_tables(self) -> tuple[tuple[Probability, ...], tuple[Probability, ...]]:
        index = {lag: i for i, lag in enumerate(self.lags)}
        single = {rule.lag: rule.shift for rule in self.rules if rule.kind == "lag"}
        raw: list[Probability] = [self.base]
        for lag in self.lags:  # each lag doubles the table: its input off, then on
            shift = single.get(lag)
            raw += raw if shift is None else [_simplify(p + shift) for p in raw]
        for rule in self.rules:  # then each interaction rule adds its shift where it holds
            if rule.kind != "lag":
                bits = sum(1 << index[lag] for lag in rule.lags)
                for mask in range(len(raw)):
                    if condition_holds(rule.kind, mask & bits, bits):
                        raw[mask] = _simplify(raw[mask] + rule.shift)
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


def condition_holds(kind: str, on: int, bits: int) -> bool:
    """Whether a condition over the inputs in ``bits`` holds when those in ``on`` are 1 (masks)."""
    if kind == "xor":
        return on.bit_count() % 2 == 1
    return on == bits  # "lag" and "and": every input is 1


def condition_name(rule: Rule) -> str:
    """The condition as a 0/1 term: ``x[t-3]``, ``x[t-3]*x[t-8]``, ``(x[t-3] xor x[t-8])``."""
    names = [lag_name(lag) for lag in rule.lags]
    if rule.kind == "xor":
        return "(" + " xor ".join(names) + ")"
    return "*".join(names)


def _rule_dict(rule: Rule) -> dict:
    """A single-lag rule keeps the {lag, shift} shape scripts read; others say what they are."""
    if rule.kind == "lag":
        return {"lag": rule.lag, "shift": rule.shift_text}
    return {"lags": list(rule.lags), "kind": rule.kind, "shift": rule.shift_text, "rule": str(rule)}


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
