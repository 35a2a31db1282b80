"""The structured path: additive rules, seen through the sum of their shifts.

When every rule adds its shift (``process.is_additive``), a model that has learned the lags S
sees x_S only through the sum of the learned shifts v = sum_{i in S} s_i x_i:

    P(y=1 | x_S) = g(v),   g(v) = E over x_U of clip(base + v + sum_{u in U} s_u x_u),

with U the unlearned lags and the clip only under ``--clip``. So H(Y | X_S) = sum over the
distinct sums v of P(v) h(g(v)) needs only two distributions of sums, each a convolution over
its rules whose size is the number of distinct sums, not 2^|S| configurations. With shifts in
hundredths, or many equal shifts, that number stays small for hundreds of rules.

Everything is integers, as in the walk (``exact``): with L the common denominator of the base
and the shifts and p_x = u/v, a sum of k rules is an integer over L with weight W / v^k, and
g(v) = N / (L v^|U|) with an integer N. Without clipping g is linear, N = (B + v) v^|U| +
sum_t W_t t; with clipping, the sorted hidden sums and their prefix sums give N in two
bisections. ``counted_integers`` turns the cells into the same canonical form as the walk's.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from .entropy import batched_forms, counted_integers
from .logform import LogForm

if TYPE_CHECKING:
    from .process import EchoProcess

Distribution = dict[int, int]  # sum of the fired shifts (in units of 1/L) -> weight W (over v^k)


def applies(process: EchoProcess) -> bool:
    """The structured path needs additive rules with numeric shifts."""
    return process.is_additive and not process.is_symbolic


@dataclass(frozen=True)
class Scaled:
    """The process on one integer scale: shifts and base in units of 1/L, p_x = u/v."""

    shifts: tuple[int, ...]  # by lag index, as ``process.lags``
    base: int
    scale: int  # L
    u: int
    v: int
    clip: bool

    @classmethod
    def of(cls, process: EchoProcess) -> Scaled:
        values = [process.base, *(rule.shift for rule in process.rules)]
        scale = math.lcm(*(Fraction(value).denominator for value in values))
        shifts = tuple(int(rule.shift * scale) for rule in process.rules)
        u, v = process.p_x.numerator, process.p_x.denominator
        return cls(shifts, int(process.base * scale), scale, u, v, process.clip)

    def distribution(self, indices: Sequence[int]) -> Distribution:
        """The distribution of the sum of the shifts of the rules at ``indices`` that fire."""
        dist: Distribution = {0: 1}
        for i in indices:
            dist = convolve(dist, self.shifts[i], self.u, self.v)
        return dist

    def hidden(self, indices: Sequence[int]) -> Hidden:
        return Hidden(self, self.distribution(indices), len(indices))


def convolve(dist: Distribution, shift: int, u: int, v: int) -> Distribution:
    """Add one rule: its input is 1 with probability u/v, adding ``shift`` to the sum."""
    off, on = v - u, u
    out: Distribution = {}
    if off:
        for t, w in dist.items():
            out[t] = w * off
    if on:
        for t, w in dist.items():
            key = t + shift
            out[key] = out.get(key, 0) + w * on
    return out


class Hidden:
    """The unlearned side: g(v) = N(v) / (L v^|U|) for any learned sum v (in units of 1/L)."""

    def __init__(self, scaled: Scaled, dist: Distribution, size: int) -> None:
        self.scaled = scaled
        self.weight = scaled.v**size  # sum of the W
        self.total = scaled.scale * self.weight  # M = L v^|U|
        self._moment = sum(w * t for t, w in dist.items())
        if scaled.clip:
            self._sums = sorted(dist)
            cumulative, moments = [0], [0]
            for t in self._sums:
                w = dist[t]
                cumulative.append(cumulative[-1] + w)
                moments.append(moments[-1] + w * t)
            self._cumulative, self._moments = cumulative, moments

    def numerator(self, learned_sum: int) -> int:
        """N with P(y=1 | the learned sum) = N / M."""
        x = self.scaled.base + learned_sum
        if not self.scaled.clip:
            return x * self.weight + self._moment
        # x + t <= 0 gives 0, x + t >= L gives L, and in between x + t itself
        low = bisect_right(self._sums, -x)
        high = bisect_left(self._sums, self.scaled.scale - x)
        middle = self._cumulative[high] - self._cumulative[low]
        return (
            self.scaled.scale * (self.weight - self._cumulative[high])
            + x * middle
            + self._moments[high]
            - self._moments[low]
        )


def cells(scaled: Scaled, learned: Distribution, hidden: Hidden) -> Iterator[tuple[int, int]]:
    """(W, N) for each distinct learned sum: weight W / v^|S|, P(y=1 | it) = N / M."""
    for s, w in learned.items():
        yield w, hidden.numerator(s)


@dataclass(frozen=True)
class SumCell:
    """One distinct sum of the learned shifts: its probability, and P(y=1 | it)."""

    total: Fraction  # the sum of the learned shifts that fire
    weight: Fraction  # P(that sum)
    probability: Fraction  # g(total)


class Structured:
    """The structured engine for one process: subsets by lag index, forms cached by subset."""

    def __init__(self, process: EchoProcess) -> None:
        self.process = process
        self.scaled = Scaled.of(process)
        self.n = len(process.lags)
        self._index = {lag: i for i, lag in enumerate(process.lags)}
        self._dists: dict[tuple[int, ...], Distribution] = {(): {0: 1}}

    def distribution(self, indices: tuple[int, ...]) -> Distribution:
        """The sum's distribution for the rules at ``indices``, kept: a set one rule longer
        or shorter at either end is one convolution away, so the nested subsets of
        ``--learned chain`` (and their complements, and the window prefixes) share the work."""
        if indices in self._dists:
            return self._dists[indices]
        if indices[:-1] in self._dists:
            parent, rule = self._dists[indices[:-1]], indices[-1]
        else:  # from the set without its first rule (recursively), which later sets reuse
            parent, rule = self.distribution(indices[1:]), indices[0]
        dist = convolve(parent, self.scaled.shifts[rule], self.scaled.u, self.scaled.v)
        self._dists[indices] = dist
        return dist

    def hidden(self, indices: tuple[int, ...]) -> Hidden:
        return Hidden(self.scaled, self.distribution(indices), len(indices))

    def indices(self, learned: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        chosen = {self._index[lag] for lag in learned}
        return tuple(sorted(chosen)), tuple(i for i in range(self.n) if i not in chosen)

    def form(self, learned: Sequence[int]) -> LogForm:
        """H(Y | X_S), in the canonical form."""
        return LogForm.from_integers(*self.integers(learned))

    def integers(self, learned: Sequence[int]) -> tuple[dict[int, int], int]:
        """H(Y | X_S) as integer coefficients of logs over one denominator."""
        seen, unseen = self.indices(learned)
        hidden = self.hidden(unseen)
        dist = self.distribution(seen)
        return counted_integers(cells(self.scaled, dist, hidden), hidden.total, self.scaled.v ** len(seen))

    def sum_cells(self, learned: Sequence[int]) -> tuple[SumCell, ...]:
        """The distinct sums of the learned shifts, ascending, with P(sum) and P(y=1 | sum)."""
        seen, unseen = self.indices(learned)
        hidden = self.hidden(unseen)
        dist = self.distribution(seen)
        denominator = self.scaled.v ** len(seen)
        return tuple(
            SumCell(
                Fraction(s, self.scaled.scale),
                Fraction(w, denominator),
                Fraction(hidden.numerator(s), hidden.total),
            )
            for s, w in sorted(dist.items())
            if w
        )

    def probability(self, learned: Sequence[int], bits: Sequence[int]) -> Fraction:
        """P(y=1 | x_S = bits), lags of ``learned`` in ascending order."""
        seen, unseen = self.indices(learned)
        hidden = self.hidden(unseen)
        s = sum(self.scaled.shifts[i] for i, bit in zip(seen, bits, strict=True) if bit)
        return Fraction(hidden.numerator(s), hidden.total)

    def probabilities(self, learned: Sequence[int]) -> Iterator[tuple[int, Fraction]]:
        """(mask over ``learned``, P(y=1 | it)) for every configuration, in mask order."""
        seen, unseen = self.indices(learned)
        hidden = self.hidden(unseen)
        sums = [0]
        for i in seen:  # the sum of each mask, doubling as ``_build_tables`` does
            sums += [s + self.scaled.shifts[i] for s in sums]
        cache: dict[int, Fraction] = {}
        for mask, s in enumerate(sums):
            if s not in cache:
                cache[s] = Fraction(hidden.numerator(s), hidden.total)
            yield mask, cache[s]

    def lag_effect(self, lag: int) -> Fraction:
        """P(y=1 | x_L=1) - P(y=1 | x_L=0): g(s_L) - g(0) over the other rules."""
        i = self._index[lag]
        hidden = self.hidden(tuple(j for j in range(self.n) if j != i))
        return Fraction(hidden.numerator(self.scaled.shifts[i]) - hidden.numerator(0), hidden.total)

    def all_forms(self) -> Iterator[tuple[int, LogForm]]:
        """(subset mask over the lag indices, H(Y | X_S)) for every subset: on arrays when
        every integer fits int64 (``_all_forms_on_arrays``), else subset by subset."""
        on_arrays = self._all_forms_on_arrays()
        return on_arrays if on_arrays is not None else batched_forms(self.all_cells())

    @property
    def _offset(self) -> int:
        """Minus the lowest sum of any subset, in steps of the gcd: its column in the rows."""
        return -sum(a for a in self.scaled.shifts if a < 0) // self._gcd

    def _dense_distributions(self):
        """Every subset's distribution of sums as one int64 row (columns: sums in steps of the
        gcd, from the lowest), doubled rule by rule; None where the table would pass 2^22."""
        import numpy as np

        sc, n = self.scaled, self.n
        span = sum(abs(a) for a in sc.shifts) // self._gcd + 1
        if span << n > 1 << 22:
            return None
        table = np.zeros((1 << n, span), dtype=np.int64)
        table[0, self._offset] = 1
        for i, shift in enumerate(sc.shifts):
            k, step = 1 << i, shift // self._gcd
            block = table[:k] * (sc.v - sc.u)
            if step >= 0:
                block[:, step:] += table[:k, : span - step] * sc.u
            else:
                block[:, :step] += table[:k, -step:] * sc.u
            table[k : 2 * k] = block
        return table

    def _all_forms_on_arrays(self) -> Iterator[tuple[int, LogForm]] | None:
        """Every subset's cells, counts and forms in a few array passes, with the same
        integers as ``all_cells`` and ``integer_counts``; None where some product could leave
        int64 (L (|B| + sum |s|) v^n >= 2^62), or the table is too small to pay."""
        import numpy as np

        from .entropy import counted_forms

        n, sc = self.n, self.scaled
        reach = sc.scale + abs(sc.base) + sum(map(abs, sc.shifts))
        if n < 6 or reach * sc.scale * sc.v**n >= 1 << 62:
            return None
        moments = [0]  # sum of W t: adding a rule makes it v m + u shift v^k
        for shift in sc.shifts:
            moments += [sc.v * m + sc.u * shift * sc.v ** mask.bit_count() for mask, m in enumerate(moments)]
        full = (1 << n) - 1
        dense = self._dense_distributions() if not sc.clip else None
        if dense is not None:  # every subset's sums as a row over the full set's range
            rows, columns = np.nonzero(dense)
            weights = dense[rows, columns]
            sums = (columns - self._offset) * self._gcd
            sizes = np.bincount(rows, minlength=1 << n)
        else:
            dists: list[Distribution] = [{0: 1}]
            for shift in sc.shifts:
                dists += [convolve(d, shift, sc.u, sc.v) for d in dists]
            sums, weights, sizes = [], [], []
            numerators: list[int] = []
            for mask in range(1 << n):
                learned = dists[mask]
                sums += learned.keys()
                weights += learned.values()
                sizes.append(len(learned))
                if sc.clip:  # P(y=1 | the sum) through the clipped hidden side, cell by cell
                    hidden = Hidden(sc, dists[full ^ mask], n - mask.bit_count())
                    numerators += map(hidden.numerator, learned)
        moments = [moments[full ^ mask] for mask in range(1 << n)]  # of each subset's hidden side
        subsets = np.repeat(np.arange(1 << n), sizes)
        masks = np.arange(1 << n)
        ones = np.array([mask.bit_count() for mask in range(1 << n)], dtype=np.int64)
        unseen_weight = np.array([sc.v ** (n - k) for k in range(n + 1)], dtype=np.int64)[ones]
        totals = sc.scale * unseen_weight  # M = L v^|U|
        if sc.clip:
            cell_n = np.array(numerators, dtype=np.int64)
        else:  # g is linear: N = (B + s) v^|U| + sum over the hidden sums of W t
            s = np.array(sums, dtype=np.int64)
            cell_n = (sc.base + s) * unseen_weight[subsets] + np.array(moments, dtype=np.int64)[subsets]
        w = np.array(weights, dtype=np.int64)
        # divide each subset's M and N by their gcd, as integer_counts does
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        g = np.gcd(np.gcd.reduceat(cell_n, starts), totals)
        totals //= g
        cell_n //= g[subsets]
        other = totals[subsets] - cell_n
        entry_subset = np.concatenate([subsets, subsets])
        entry_n = np.concatenate([cell_n, other])
        entry_c = np.concatenate([w * cell_n, w * other])
        keep = entry_n != 0  # the 0 log 0 rule
        entry_subset, entry_n, entry_c = entry_subset[keep], entry_n[keep], entry_c[keep]
        order = np.lexsort((entry_n, entry_subset))
        entry_subset, entry_n, entry_c = entry_subset[order], entry_n[order], entry_c[order]
        new = np.ones(len(entry_n), dtype=bool)
        new[1:] = (entry_subset[1:] != entry_subset[:-1]) | (entry_n[1:] != entry_n[:-1])
        first = np.flatnonzero(new)
        entry_c = np.add.reduceat(entry_c, first)
        scales = (totals * np.array([sc.v**k for k in range(n + 1)], dtype=np.int64)[ones]).tolist()
        return counted_forms(masks.tolist(), entry_subset[first], entry_n[first], entry_c, totals, scales)

    def all_cells(self) -> Iterator[tuple[int, list[tuple[int, int]], int, int]]:
        """(subset mask, cells, M, D) for every subset, as ``counted_integers`` reads them.

        The distribution of every subset's sum is built once, each from its parent without its
        highest rule (2^n convolutions), and serves as the learned side of S and the hidden
        side of its complement.
        """
        n, scaled = self.n, self.scaled
        dists: list[Distribution] = [{0: 1}]
        for i in range(n):
            shift = scaled.shifts[i]
            dists += [convolve(d, shift, scaled.u, scaled.v) for d in dists]
        full = (1 << n) - 1
        for mask in range(1 << n):
            size = mask.bit_count()
            hidden = Hidden(scaled, dists[full ^ mask], n - size)
            yield mask, list(cells(scaled, dists[mask], hidden)), hidden.total, scaled.v**size

    # --- how much work, before any is done --------------------------------------------------

    @cached_property
    def _gcd(self) -> int:
        return math.gcd(*self.scaled.shifts) or 1

    def distinct_bound(self, indices: Sequence[int]) -> int:
        """At most how many distinct sums the rules at ``indices`` give: 2^k, and no more than
        the integers between the most negative and the most positive sum (in steps of the gcd)."""
        span = sum(abs(self.scaled.shifts[i]) for i in indices) // self._gcd
        return min(1 << len(indices), span + 1)

    def subset_cost(self, learned: Sequence[int], cell_steps: int = 3) -> int:
        """Steps for one subset: the two convolutions, then one cell per learned sum, each
        with two integers to factor (``cell_steps``, as for the walk's cells)."""
        seen, unseen = self.indices(learned)
        side = sum(self.distinct_bound(seen[: k + 1]) for k in range(len(seen)))
        side += sum(self.distinct_bound(unseen[: k + 1]) for k in range(len(unseen)))
        return side + cell_steps * self.distinct_bound(seen) + 1

    def all_cost(self, cell_steps: int = 3) -> int:
        """Steps for every subset: sum over S of the distinct sums of S (at most 2^|S| and at
        most the full set's span), once to convolve and once as cells."""
        span = sum(abs(a) for a in self.scaled.shifts) // self._gcd + 1
        cells = sum(math.comb(self.n, k) * min(1 << k, span) for k in range(self.n + 1))
        return cells * (1 + cell_steps)
