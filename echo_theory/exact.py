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

from .entropy import Probability, Term, entropy_form
from .errors import ProcessError, SettingError
from .logform import LogForm, factorize
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
    weights = _weights(table.size, p_x)
    total = table.denominator
    counts: dict[int, int] = {}  # n -> sum of W * n over the cells whose n log n it carries
    for mask, n in table.numerators.items():
        w = weights[mask.bit_count()]
        if w:
            # the 0 log 0 rule: a side of the coin with probability 0 contributes nothing
            for side in (n, total - n):
                if side:
                    counts[side] = counts.get(side, 0) + w * side
    scale = total * p_x.denominator**table.size  # M v^|S|
    primes: dict[int, int] = {}
    for prime, power in factorize(total):  # + log M, with the same scale
        primes[prime] = primes.get(prime, 0) + power * scale
    for n, c in counts.items():
        for prime, power in factorize(n):
            primes[prime] = primes.get(prime, 0) - power * c
    return LogForm.from_dict({prime: Fraction(c, scale) for prime, c in primes.items()})


def marginal(process: EchoProcess, learned: Sequence[int]) -> tuple[MarginalCell, ...]:
    """P(y=1 | x_S) and P(x_S) for every configuration of the learned lags, in mask order."""
    learned = tuple(sorted(learned))
    table = _marginal_table(process, learned)
    terms = dict(zip(table.numerators, _terms(table, process.p_x), strict=True))
    cells = []
    for mask in sorted(table.numerators):
        bits = tuple(mask >> process.lags.index(lag) & 1 for lag in learned)
        weight, probability = terms[mask]
        cells.append(MarginalCell(learned, bits, weight, probability))
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


def cross_entropy(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """H(Y | X_S), exactly."""
    check_units(units)
    return ExactValue(_form(_marginal_table(process, learned), process.p_x), units)


def information(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """I(Y; X_S) = H(Y) - H(Y | X_S), exactly."""
    check_units(units)
    return ExactValue(
        _gain(_marginal_table(process, ()), _marginal_table(process, learned), process.p_x), units
    )


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


def _mean_form(parts: Sequence[tuple[Fraction, _Table]], forms: Sequence, p_x: Fraction):
    """sum of weight * H over tables: a LogForm when all are numbers, else the joined entropy sums."""
    if all(isinstance(form, LogForm) for form in forms):
        return LogForm.combine((weight, form) for (weight, _), form in zip(parts, forms, strict=True))
    return entropy_form([(weight * w, p) for weight, table in parts for w, p in _terms(table, p_x)])


def window_cross_entropy(
    process: EchoProcess, learned: Sequence[int], window: int, units: str = "nats"
) -> ExactValue:
    """(1/T) sum_{k=0}^{T-1} H(Y | X_{S, lags <= k}): the best mean loss over a window of T
    steps from a reset state, for a model that has learned the lags in S."""
    check_units(units)
    parts = window_parts(learned, window)
    tables = [(Fraction(count, window), _marginal_table(process, subset)) for subset, count in parts]
    forms = [_form(table, process.p_x) for _, table in tables]
    return ExactValue(_mean_form(tables, forms, process.p_x), units)


def lag_effect(process: EchoProcess, lag: int) -> Probability:
    """E over the other inputs of P(y=1 | x_L=1, rest) - P(y=1 | x_L=0, rest), on the clipped table.

    The inputs are independent, so the average over the rest is the marginal P(y=1 | x_L):
    the effect is P(y=1 | x_L=1) - P(y=1 | x_L=0). Without clipping it is the rule's shift.
    """
    bit = 1 << process.lags.index(lag)
    table = _marginal_table(process, (lag,))
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


def _gain(nothing: _Table, learned: _Table, p_x: Fraction):
    h_nothing, h_learned = _form(nothing, p_x), _form(learned, p_x)
    if isinstance(h_nothing, LogForm) and isinstance(h_learned, LogForm):
        return h_nothing - h_learned
    return entropy_form(_terms(nothing, p_x) + [(-w, p) for w, p in _terms(learned, p_x)])


def _walk(table: _Table, mask: int, start: int, n: int, p_x: Fraction) -> Iterator[tuple[int, _Table]]:
    """Yield (subset mask, table) for every subset of ``mask``, each exactly once:
    lags are dropped in increasing index order."""
    yield mask, table
    for i in range(start, n):
        if mask >> i & 1:
            yield from _walk(_sum_out(table, 1 << i, p_x), mask & ~(1 << i), i + 1, n, p_x)


def subset_table(
    process: EchoProcess, chosen: list[tuple[int, ...]] | None, units: str = "nats", window: int | None = None
) -> SubsetTable:
    """Rows of H(Y | X_S) and I(Y; X_S) for the chosen subsets, or for every subset; with a
    window T, also each subset's best mean loss over a window of T steps from a reset state."""
    from .results import SubsetEntropy, SubsetTable

    check_units(units)
    if window is not None:
        check_window(window)
    lags, p_x = process.lags, process.p_x
    if chosen is None:
        subsets = all_subsets(lags)
        full = (1 << len(lags)) - 1
        tables = {
            tuple(lag for i, lag in enumerate(lags) if mask >> i & 1): table
            for mask, table in _walk(_full_table(process), full, 0, len(lags), p_x)
        }
    else:
        subsets = list(chosen)
        needed = {*subsets, ()}
        if window is not None:  # the prefixes a window position sees, for the window optima
            needed |= {part for s in subsets for part, _ in window_parts(s, window)}
        tables = {s: _marginal_table(process, s) for s in needed}
    forms = {s: _form(table, p_x) for s, table in tables.items()}
    rows = []
    for subset in subsets:
        h, h_nothing = forms[subset], forms[()]
        if isinstance(h, LogForm) and isinstance(h_nothing, LogForm):
            gain = h_nothing - h
        else:
            gain = _gain(tables[()], tables[subset], p_x)
        windowed = None
        if window is not None:
            parts = [(Fraction(count, window), part) for part, count in window_parts(subset, window)]
            form = _mean_form(
                [(weight, tables[part]) for weight, part in parts], [forms[part] for _, part in parts], p_x
            )
            windowed = ExactValue(form, units)
        rows.append(SubsetEntropy(subset, ExactValue(h, units), ExactValue(gain, units), windowed))
    return SubsetTable(process, units, tuple(rows), window)
