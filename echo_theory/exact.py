"""The exact engine: H(Y | X_S) and I(Y; X_S) for subsets S of the rule lags.

The best model that sees only the lags in S predicts P(y=1 | x_S): the process's table with
the other lags summed out under their Bernoulli(p_x) weights. Its expected cross entropy is
H(Y | X_S) = sum over x_S of P(x_S) h(P(y=1 | x_S)). Summing out works on the clipped table,
so clipping stays exact.

Two choices keep it fast and exact:
- Every subset at once: a depth-first walk drops one lag at a time, and each drop halves the
  parent's table, so all 2^n subsets cost sum 2^|S| = 3^n steps rather than 4^n.
- Integers, not fractions: with p_x = u/v, every P(y=1 | x_S) is N / M for one denominator
  M = L v^(n-|S|) per subset, and every weight is W / v^|S| with W = u^k (v-u)^(|S|-k). So
  H(Y | X_S) = log M - sum_n c_n log n / (M v^|S|), with integer c_n, and only the distinct
  integers n are factored into primes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple, Union

from .budget import check_cost
from .entropy import Probability, Term, batched_forms, counted_integers, entropy_form
from .errors import ProcessError, SettingError
from .logform import Difference, LogForm
from .value import ExactValue, check_units

if TYPE_CHECKING:
    import sympy

    from .process import EchoProcess
    from .results import SubsetTable
    from .rules import Rule

Numerator = Union[int, "sympy.Expr"]


@dataclass(frozen=True)
class MarginalCell:
    """One configuration of the learned lags: its probability and P(y=1 | it)."""

    lags: tuple[int, ...]
    bits: tuple[int, ...]
    weight: Fraction
    probability: Probability


@dataclass(frozen=True)
class MarginalTerm:
    """One configuration x_U of the unlearned lags U inside the sum that gives P(y=1 | x_S)."""

    bits: tuple[int, ...]  # x_U, in lag order
    factors: tuple[Fraction, ...]  # P(x_u) for each unlearned lag u: p_x where x_u = 1, 1 - p_x where 0
    weight: Fraction  # P(x_U), the product of the factors
    mask: int  # the full configuration (x_S, x_U): an index into ``process.table``
    probability: Probability  # P(y=1 | x_S, x_U) = process.table[mask]


@dataclass(frozen=True)
class MarginalSum:
    """P(y=1 | x_S) = sum over x_U of P(x_U) P(y=1 | x_S, x_U), term by term.

    The inputs are independent, so P(x_U | x_S) = P(x_U). ``cell`` is the engine's result.
    """

    cell: MarginalCell
    hidden: tuple[int, ...]  # U: the lags the model did not learn
    terms: tuple[MarginalTerm, ...]


class _Table(NamedTuple):
    """P(y=1 | x_S) = numerators[mask] / denominator, for the masks over the lags in S."""

    numerators: dict[int, Numerator]
    denominator: int
    size: int  # |S|


def all_subsets(lags: Sequence[int]) -> list[tuple[int, ...]]:
    """Every subset of ``lags``, by size and then by lag."""
    lags = tuple(sorted(lags))
    subsets = [tuple(lag for i, lag in enumerate(lags) if mask >> i & 1) for mask in range(1 << len(lags))]
    return sorted(subsets, key=lambda s: (len(s), s))


SELECTORS = ("chain", "singles", "complements")


def named_subsets(lags: Sequence[int], name: str) -> list[tuple[int, ...]] | None:
    """The subsets a ``--learned`` word stands for, or None when ``name`` is not one:
    ``chain``, the nested prefixes (), (L1,), (L1, L2), ..., all (the lags <= k, for each k);
    ``singles``, each lag alone; ``complements``, every lag but one. Wide tables want these
    n + 1 rows rather than all 2^n.

    >>> named_subsets((3, 8, 10), "chain")
    [(), (3,), (3, 8), (3, 8, 10)]
    >>> named_subsets((3, 8, 10), "complements")
    [(8, 10), (3, 10), (3, 8)]
    """
    lags = tuple(sorted(lags))
    word = name.strip().lower() if isinstance(name, str) else None
    if word == "chain":
        return [lags[:k] for k in range(len(lags) + 1)]
    if word == "singles":
        return [(lag,) for lag in lags]
    if word == "complements":
        return [tuple(other for other in lags if other != lag) for lag in lags]
    return None


def _integer(value: Numerator) -> Numerator:
    """SymPy integers become ints, so numeric cells of a symbolic process take the fast path."""
    if isinstance(value, int):
        return value
    return int(value) if value.is_Integer else value


def _full_table(process: EchoProcess) -> _Table:
    all_numbers = all(isinstance(p, Fraction) for p in process.table)
    denominators = [p.denominator for p in process.table if isinstance(p, Fraction)]
    common = math.lcm(*denominators) if denominators else 1
    if all_numbers:
        numerators = {m: p.numerator * (common // p.denominator) for m, p in enumerate(process.table)}
    else:
        numerators = {
            m: p.numerator * (common // p.denominator)
            if isinstance(p, Fraction)
            else _integer((p * common).expand())
            for m, p in enumerate(process.table)
        }
    return _Table(numerators, common, len(process.lags))


def _sum_out(table: _Table, bit: int, p_x: Fraction) -> _Table:
    """Marginalize one input: P(y | rest) = p_x P(y | rest, x=1) + (1-p_x) P(y | rest, x=0)."""
    u, v = p_x.numerator, p_x.denominator
    numerators = {
        m: u * table.numerators[m | bit] + (v - u) * n for m, n in table.numerators.items() if not m & bit
    }
    if not all(isinstance(n, int) for n in numerators.values()):
        numerators = {m: _integer(n.expand() if not isinstance(n, int) else n) for m, n in numerators.items()}
    return _Table(numerators, table.denominator * v, table.size - 1)


def _marginal_table(process: EchoProcess, learned: Sequence[int]) -> _Table:
    keep = sum(1 << process.lags.index(lag) for lag in learned)
    table = _full_table(process)
    for i in range(len(process.lags)):
        if not keep >> i & 1:
            table = _sum_out(table, 1 << i, process.p_x)
    return table


def _weights(size: int, p_x: Fraction) -> list[int]:
    """W for each count k of ones among |S| = size inputs: u^k (v-u)^(size-k), over v^size."""
    u, v = p_x.numerator, p_x.denominator
    return [u**k * (v - u) ** (size - k) for k in range(size + 1)]


def _terms(table: _Table, p_x: Fraction) -> list[Term]:
    """The entropy sum of a table: (weight, probability) for each configuration."""
    weights = _weights(table.size, p_x)
    scale = p_x.denominator**table.size
    return [
        (Fraction(weights[m.bit_count()], scale), _probability(n, table.denominator))
        for m, n in table.numerators.items()
    ]


def _probability(numerator: Numerator, denominator: int) -> Probability:
    if isinstance(numerator, int):
        return Fraction(numerator, denominator)
    return numerator / denominator


def _form(table: _Table, p_x: Fraction):
    """H(Y | X_S) of a table, as a ``LogForm`` (numbers) or a ``SymbolicForm`` (symbols)."""
    if not all(isinstance(n, int) for n in table.numerators.values()):
        return entropy_form(_terms(table, p_x))
    return LogForm.from_integers(*_integers(table, p_x))


def _integers(table: _Table, p_x: Fraction) -> tuple[dict[int, int], int]:
    """A numeric table's H(Y | X_S) as integer coefficients over one denominator."""
    return counted_integers(*_cells(table, p_x))


def _cells(table: _Table, p_x: Fraction) -> tuple[list[tuple[int, int]], int, int]:
    """A numeric table as ``counted_integers`` reads it: (W, n) cells, M and D."""
    weights = _weights(table.size, p_x)
    cells = [(weights[mask.bit_count()], n) for mask, n in table.numerators.items()]
    return cells, table.denominator, p_x.denominator**table.size


class _Engine:
    """H(Y | X_S) for the subsets of one process, each by the cheaper path, estimated first.

    The walk sums lags out of the full 2^n table; the structured path (``structured``) needs
    only the distinct sums of the learned and of the unlearned shifts, and applies when every
    rule adds its shift and the shifts are numbers. Both give the same canonical form.
    """

    def __init__(self, process: EchoProcess) -> None:
        from .structured import Structured, applies

        self.process = process
        self.n = len(process.lags)
        self.structured = Structured(process) if applies(process) else None
        self._forms: dict[tuple[int, ...], object] = {}
        self._tables: dict[tuple[int, ...], _Table] = {}

    # --- estimates, in steps of about a microsecond (see ``budget``) ----------------------

    @property
    def _cell_steps(self) -> int:
        """Steps per cell of the walk: a dict update, and two integers to factor, whose cost
        grows with their size (Pollard-Brent's ~n^(1/4), capped by the factoring budget)."""
        if self.process.is_symbolic:
            return 3000  # SymPy expands each cell's expression
        p = self.process
        values = [p.base, *(rule.shift for rule in p.rules)]
        denominator = math.lcm(*(Fraction(value).denominator for value in values))
        bits = (denominator * p.p_x.denominator**self.n).bit_length()
        return 3 if bits <= 40 else int(min(3 * 2 ** ((bits - 40) / 5), 200_000))

    def walk_cost(self, subset: Sequence[int]) -> int:
        """The full table and its halvings (2^(n+1)), then a cell per configuration of S."""
        return (2 << self.n) + (1 << len(subset)) * self._cell_steps

    def structured_cost(self, subset: Sequence[int]) -> int | None:
        if self.structured is None:
            return None
        return self.structured.subset_cost(subset, self._cell_steps)

    def uses_structured(self, subset: Sequence[int]) -> bool:
        structured = self.structured_cost(subset)
        return structured is not None and structured < self.walk_cost(subset)

    def cost(self, subset: Sequence[int]) -> int:
        structured = self.structured_cost(subset)
        walk = self.walk_cost(subset)
        return walk if structured is None else min(walk, structured)

    def check(self, subsets: Sequence[Sequence[int]], what: str) -> None:
        check_cost(sum(self.cost(subset) for subset in dict.fromkeys(map(tuple, subsets))), what)

    # --- values -----------------------------------------------------------------------------

    def table(self, subset: tuple[int, ...]) -> _Table:
        if subset not in self._tables:
            self._tables[subset] = _marginal_table(self.process, subset)
        return self._tables[subset]

    def form(self, subset: Sequence[int]):
        subset = tuple(subset)
        if subset not in self._forms:
            if self.process.is_symbolic:
                self._forms[subset] = _form(self.table(subset), self.process.p_x)
            else:
                self._forms[subset] = LogForm.from_integers(*self.integers(subset))
        return self._forms[subset]

    def integers(self, subset: tuple[int, ...]) -> tuple[dict[int, int], int]:
        if self.uses_structured(subset):
            return self.structured.integers(subset)
        return _integers(self.table(subset), self.process.p_x)

    def terms(self, subset: Sequence[int]) -> list[Term]:
        """The entropy sum of a subset, term by term (for symbolic results)."""
        return _terms(self.table(tuple(subset)), self.process.p_x)

    def gain(self, subset: Sequence[int]):
        """I(Y; X_S) = H(Y) - H(Y | X_S): for numbers a ``Difference``, taken when it is read."""
        subset = tuple(subset)
        h_nothing, h = self.form(()), self.form(subset)
        if isinstance(h_nothing, LogForm) and isinstance(h, LogForm):
            return Difference(h_nothing, h)
        return entropy_form(self.terms(()) + [(-w, p) for w, p in self.terms(subset)])

    def mean(self, parts: Sequence[tuple[Fraction, tuple[int, ...]]]):
        """sum of weight * H(Y | X_part): a LogForm when all are numbers, else the joined sums."""
        forms = [self.form(part) for _, part in parts]
        if all(isinstance(form, LogForm) for form in forms):
            return LogForm.combine((weight, form) for (weight, _), form in zip(parts, forms, strict=True))
        return entropy_form([(weight * w, p) for weight, part in parts for w, p in self.terms(part)])


def marginal(process: EchoProcess, learned: Sequence[int]) -> tuple[MarginalCell, ...]:
    """P(y=1 | x_S) and P(x_S) for every configuration of the learned lags, in mask order."""
    learned = tuple(sorted(learned))
    engine = _Engine(process)
    size = len(learned)
    check_cost(engine.cost(learned) + (2 << size), f"P(y=1 | x_S) for the {1 << size} configurations of S")
    scale = process.p_x.denominator**size
    weights = [Fraction(w, scale) for w in _weights(size, process.p_x)]
    if engine.uses_structured(learned):
        probabilities = engine.structured.probabilities(learned)
    else:
        table = engine.table(learned)
        index = [process.lags.index(lag) for lag in learned]

        def compact(mask: int) -> int:
            return sum((mask >> i & 1) << j for j, i in enumerate(index))

        found = {compact(m): _probability(n, table.denominator) for m, n in table.numerators.items()}
        probabilities = iter(sorted(found.items()))
    cells = []
    for mask, probability in probabilities:
        bits = tuple(mask >> j & 1 for j in range(len(learned)))
        cells.append(MarginalCell(learned, bits, weights[sum(bits)], probability))
    return tuple(cells)


def marginal_sums(process: EchoProcess, learned: Sequence[int]) -> tuple[MarginalSum, ...]:
    """The marginalization written out: for each configuration x_S of the learned lags (in the
    order of ``marginal``), every configuration x_U of the others with its weight and table entry.

    This is the definition that ``marginal`` evaluates; it costs 2^n terms, so it is for showing
    (derivations, tests), not for the engine's walk.
    """
    learned = tuple(sorted(learned))
    hidden = tuple(lag for lag in process.lags if lag not in learned)
    index = {lag: i for i, lag in enumerate(process.lags)}
    check_cost(4 << len(process.lags), f"the {1 << len(process.lags)} terms of the marginal sums")
    sums = []
    for cell in marginal(process, learned):
        base = sum(bit << index[lag] for lag, bit in zip(learned, cell.bits, strict=True))
        terms = []
        for hidden_mask in range(1 << len(hidden)):
            bits = tuple(hidden_mask >> j & 1 for j in range(len(hidden)))
            factors = tuple(process.p_x if bit else 1 - process.p_x for bit in bits)
            mask = base + sum(bit << index[lag] for lag, bit in zip(hidden, bits, strict=True))
            terms.append(
                MarginalTerm(bits, factors, math.prod(factors, start=Fraction(1)), mask, process.table[mask])
            )
        sums.append(MarginalSum(cell, hidden, tuple(terms)))
    return tuple(sums)


def _what(process: EchoProcess, subsets: int) -> str:
    rules, lags = len(process.rules), len(process.lags)
    plural = "s" if subsets != 1 else ""
    what = f"{rules} rule{'s' if rules != 1 else ''}" if rules == lags else f"{lags} rule lags"
    return f"H(Y | X_S) for {subsets} subset{plural} of {what}"


def cross_entropy(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """H(Y | X_S), exactly."""
    check_units(units)
    engine = _Engine(process)
    engine.check([learned], _what(process, 1))
    return ExactValue(engine.form(learned), units)


def information(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """I(Y; X_S) = H(Y) - H(Y | X_S), exactly."""
    check_units(units)
    engine = _Engine(process)
    engine.check([(), learned], _what(process, 2))
    return ExactValue(engine.gain(learned), units)


def check_window(window: int) -> int:
    """A window length: an integer >= 1."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise SettingError(f"window: {window!r} is not an integer >= 1")
    return window


def window_parts(learned: Sequence[int], window: int) -> list[tuple[tuple[int, ...], int]]:
    """How many positions of a window see each prefix of the learned lags.

    From a reset state, position k (0-based) of a window has seen only x[t-k] ... x[t], so it
    can use the lags L <= k: positions k < L1 see nothing, L1 <= k < L2 see (L1,), and so on.
    Returns (visible subset, count) pairs with counts summing to ``window``, zero counts left out.

    >>> window_parts((3, 8), 10)
    [((), 3), ((3,), 5), ((3, 8), 2)]
    """
    check_window(window)
    learned = tuple(sorted(learned))
    starts = [0, *learned, None]  # the visible subset grows by one lag at each learned lag
    parts = []
    for i in range(len(learned) + 1):
        begin = min(starts[i], window)
        end = window if starts[i + 1] is None else min(starts[i + 1], window)
        if end > begin:
            parts.append((learned[:i], end - begin))
    return parts


def window_cross_entropy(
    process: EchoProcess, learned: Sequence[int], window: int, units: str = "nats"
) -> ExactValue:
    """(1/T) sum_{k=0}^{T-1} H(Y | X_{S, lags <= k}): the best mean loss over a window of T
    steps from a reset state, for a model that has learned the lags in S."""
    check_units(units)
    parts = [(Fraction(count, window), subset) for subset, count in window_parts(learned, window)]
    engine = _Engine(process)
    engine.check([part for _, part in parts], _what(process, len(parts)))
    return ExactValue(engine.mean(parts), units)


def lag_effect(process: EchoProcess, lag: int) -> Probability:
    """E over the other inputs of P(y=1 | x_L=1, rest) - P(y=1 | x_L=0, rest), on the clipped table.

    The inputs are independent, so the average over the rest is the marginal P(y=1 | x_L):
    the effect is P(y=1 | x_L=1) - P(y=1 | x_L=0). Without clipping it is the rule's shift;
    with clipping on additive rules it is g(s_L) - g(0) over the distinct sums of the others.
    """
    engine = _Engine(process)
    engine.check([(lag,)], f"the effect of lag {lag} among {len(process.lags)} rule lags")
    if engine.uses_structured((lag,)):
        return engine.structured.lag_effect(lag)
    bit = 1 << process.lags.index(lag)
    table = engine.table((lag,))
    difference = table.numerators[bit] - table.numerators[0]
    return _probability(_integer(difference), table.denominator)


def rule_effect(process: EchoProcess, rule: Rule) -> Probability:
    """P(y=1 | C) - P(y=1 | not C) for the rule's condition C, on the clipped table.

    Each side is a weighted mean of the table over the configurations where C holds (or not):
    sum W N / (M sum W), with the integer weights W of ``_weights`` and numerators N over the
    common denominator M.
    """
    from .process import condition_holds

    table = _full_table(process)
    weights = _weights(table.size, process.p_x)
    bits = sum(1 << process.lags.index(lag) for lag in rule.lags)
    sums: dict[bool, list] = {True: [0, 0], False: [0, 0]}  # holds -> [sum W N, sum W]
    for mask, n in table.numerators.items():
        w = weights[mask.bit_count()]
        side = sums[condition_holds(rule.kind, mask & bits, bits)]
        side[0] += w * n
        side[1] += w
    (on, w_on), (off, w_off) = sums[True], sums[False]
    if not w_on or not w_off:
        chance = "never holds" if not w_on else "always holds"
        raise ProcessError(f"rule {rule}: its condition {chance} at p_x = {process.p_x}; it has no effect")
    difference = on * w_off - off * w_on
    if not isinstance(difference, int):
        difference = _integer(difference.expand())
    return _probability(difference, table.denominator * w_on * w_off)


def _walk(table: _Table, mask: int, start: int, n: int, p_x: Fraction) -> Iterator[tuple[int, _Table]]:
    """Yield (subset mask, table) for every subset of ``mask``, each exactly once:
    lags are dropped in increasing index order."""
    yield mask, table
    for i in range(start, n):
        if mask >> i & 1:
            yield from _walk(_sum_out(table, 1 << i, p_x), mask & ~(1 << i), i + 1, n, p_x)


def _walk_cells(engine: _Engine, process: EchoProcess) -> Iterator[tuple[int, list, int, int]]:
    """(subset mask, cells, M, D) for every subset of a numeric process, by the walk; symbolic
    subsets are formed on the way (their gains and window means need the tables)."""
    n, p_x = len(process.lags), process.p_x
    for mask, table in _walk(_full_table(process), (1 << n) - 1, 0, n, p_x):
        if process.is_symbolic:
            subset = tuple(lag for i, lag in enumerate(process.lags) if mask >> i & 1)
            engine._forms[subset] = _form(table, p_x)
            engine._tables[subset] = table
        else:
            yield (mask, *_cells(table, p_x))


def subset_table(
    process: EchoProcess, chosen: list[tuple[int, ...]] | None, units: str = "nats", window: int | None = None
) -> SubsetTable:
    """Rows of H(Y | X_S) and I(Y; X_S) for the chosen subsets, or for every subset; with a
    window T, also each subset's best mean loss over a window of T steps from a reset state."""
    from .results import SubsetEntropy, SubsetTable

    check_units(units)
    if window is not None:
        check_window(window)
    lags = process.lags
    engine = _Engine(process)
    n = len(lags)
    if chosen is None:
        walk = 3**n * (1 + engine._cell_steps)
        structured = engine.structured.all_cost(engine._cell_steps) if engine.structured is not None else None
        output = 20 << n  # each row's forms and its gain
        what = f"every subset of {n} rules ({1 << n} subsets)"
        check_cost(min(walk, structured or walk) + output, what)  # before listing any subset
        subsets = all_subsets(lags)
        if structured is not None and structured < walk:
            forms = engine.structured.all_forms()
        else:
            forms = batched_forms(_walk_cells(engine, process))
        for mask, form in forms:
            subset = tuple(lag for i, lag in enumerate(lags) if mask >> i & 1)
            engine._forms.setdefault(subset, form)
        needed = list(subsets)
    else:
        subsets = list(chosen)
        needed = [*subsets, ()]
        if window is not None:  # the prefixes a window position sees, for the window optima
            needed += [part for s in subsets for part, _ in window_parts(s, window)]
        engine.check(needed, _what(process, len(set(needed))))
    rows = []
    for subset in subsets:
        windowed = None
        if window is not None:
            parts = [(Fraction(count, window), part) for part, count in window_parts(subset, window)]
            windowed = ExactValue(engine.mean(parts), units)
        h = ExactValue(engine.form(subset), units)
        rows.append(SubsetEntropy(subset, h, ExactValue(engine.gain(subset), units), windowed))
    return SubsetTable(process, units, tuple(rows), window)
