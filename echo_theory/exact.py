"""The exact engine: H(Y | X_S) and I(Y; X_S) for subsets S of the rule lags.

The best model that sees only the lags in S predicts P(y=1 | x_S), the process's table with
the other lags summed out under their Bernoulli(p_x) weights. Its expected cross entropy is
H(Y | X_S) = sum over x_S of P(x_S) h(P(y=1 | x_S)). Summing out works on the clipped table,
so clipping stays exact.

Every subset at once: a depth-first walk drops one lag at a time, and each drop halves the
parent's table, so all 2^n subsets cost sum 2^|S| = 3^n steps rather than 4^n.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .entropy import Probability, Term, entropy_form
from .process import _simplify
from .value import ExactValue, check_units

if TYPE_CHECKING:
    from .process import EchoProcess
    from .results import SubsetTable


@dataclass(frozen=True)
class MarginalCell:
    """One configuration of the learned lags: its probability and P(y=1 | it)."""

    lags: tuple[int, ...]
    bits: tuple[int, ...]
    weight: Fraction
    probability: Probability


def all_subsets(lags: Sequence[int]) -> list[tuple[int, ...]]:
    """Every subset of ``lags``, by size and then by lag."""
    lags = tuple(sorted(lags))
    subsets = [tuple(lag for i, lag in enumerate(lags) if mask >> i & 1) for mask in range(1 << len(lags))]
    return sorted(subsets, key=lambda s: (len(s), s))


def _sum_out(table: dict[int, Probability], bit: int, p_x: Fraction) -> dict[int, Probability]:
    """Marginalize one input: P(y | rest) = p_x P(y | rest, x=1) + (1-p_x) P(y | rest, x=0)."""
    q = 1 - p_x
    return {m: _simplify(p_x * table[m | bit] + q * p) for m, p in table.items() if not m & bit}


def _mask_of(process: EchoProcess, learned: Sequence[int]) -> int:
    return sum(1 << process.lags.index(lag) for lag in learned)


def _marginal_table(process: EchoProcess, learned: Sequence[int]) -> dict[int, Probability]:
    keep = _mask_of(process, learned)
    table = dict(enumerate(process.table))
    for i in range(len(process.lags)):
        if not keep >> i & 1:
            table = _sum_out(table, 1 << i, process.p_x)
    return table


def _terms(table: dict[int, Probability], p_x: Fraction) -> list[Term]:
    """The entropy sum of a marginal table: the total weight of each distinct probability."""
    size = len(table).bit_length() - 1  # a table over S has 2^|S| cells
    weights: dict[Probability, Fraction] = {}
    for mask, p in table.items():
        ones = mask.bit_count()
        weights[p] = weights.get(p, Fraction(0)) + p_x**ones * (1 - p_x) ** (size - ones)
    return [(w, p) for p, w in weights.items()]


def marginal(process: EchoProcess, learned: Sequence[int]) -> tuple[MarginalCell, ...]:
    """P(y=1 | x_S) and P(x_S) for every configuration of the learned lags, in mask order."""
    learned = tuple(sorted(learned))
    table = _marginal_table(process, learned)
    cells = []
    for mask in sorted(table):
        bits = tuple(mask >> process.lags.index(lag) & 1 for lag in learned)
        ones = sum(bits)
        weight = process.p_x**ones * (1 - process.p_x) ** (len(bits) - ones)
        cells.append(MarginalCell(learned, bits, weight, table[mask]))
    return tuple(cells)


def cross_entropy(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """H(Y | X_S), exactly."""
    check_units(units)
    return ExactValue(entropy_form(_terms(_marginal_table(process, learned), process.p_x)), units)


def information(process: EchoProcess, learned: Sequence[int], units: str = "nats") -> ExactValue:
    """I(Y; X_S) = H(Y) - H(Y | X_S), exactly."""
    check_units(units)
    nothing = _terms(_marginal_table(process, ()), process.p_x)
    learned_terms = _terms(_marginal_table(process, learned), process.p_x)
    return ExactValue(entropy_form(nothing + [(-w, p) for w, p in learned_terms]), units)


def _walk(
    table: dict[int, Probability], mask: int, start: int, n: int, p_x: Fraction
) -> Iterator[tuple[int, dict]]:
    """Yield (subset mask, marginal table) for every subset of ``mask``, each exactly once:
    lags are dropped in increasing index order."""
    yield mask, table
    for i in range(start, n):
        if mask >> i & 1:
            yield from _walk(_sum_out(table, 1 << i, p_x), mask & ~(1 << i), i + 1, n, p_x)


def subset_table(
    process: EchoProcess, chosen: list[tuple[int, ...]] | None, units: str = "nats"
) -> SubsetTable:
    """Rows of H(Y | X_S) and I(Y; X_S) for the chosen subsets, or for every subset."""
    from .results import SubsetEntropy, SubsetTable

    check_units(units)
    lags, p_x = process.lags, process.p_x
    if chosen is None:
        subsets = all_subsets(lags)
        terms: dict[tuple[int, ...], list[Term]] = {}
        full = (1 << len(lags)) - 1
        for mask, table in _walk(dict(enumerate(process.table)), full, 0, len(lags), p_x):
            subset = tuple(lag for i, lag in enumerate(lags) if mask >> i & 1)
            terms[subset] = _terms(table, p_x)
    else:
        subsets = list(chosen)
        terms = {s: _terms(_marginal_table(process, s), p_x) for s in set(subsets) | {()}}
    nothing = entropy_form(terms[()])
    rows = []
    for subset in subsets:
        h = entropy_form(terms[subset])
        if process.is_symbolic:
            gain = entropy_form(terms[()] + [(-w, p) for w, p in terms[subset]])
        else:
            gain = nothing - h
        rows.append(SubsetEntropy(subset, ExactValue(h, units), ExactValue(gain, units)))
    return SubsetTable(process, units, tuple(rows))
