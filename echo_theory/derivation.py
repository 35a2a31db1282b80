"""Teaching derivations: H(Y | X_S) step by step, as a structured object of exact values.

For each learned subset S the derivation shows what a student would write by hand: the
conditional probability table, the sum over the unlearned inputs that gives P(y=1 | x_S), the
weighted binary entropies, and the simplified result. Every value in it comes from the
engine (``process.table``, ``process.marginal_sums``, ``process.subset_table``, the entropy
forms); this module only gathers them into steps, and ``typeset`` lays the steps out as
text, Markdown or LaTeX.

>>> from echo_theory import EchoProcess
>>> d = EchoProcess(["3:+0.5", "8:-0.25"]).derive([[3]])
>>> [step.kind for step in d.steps]
['process', 'table', 'marginal', 'entropy', 'result', 'summary']
>>> [cell.probability for cell in d.step("marginal", [3]).cells]
[Fraction(3, 8), Fraction(7, 8)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from .budget import check_cost
from .entropy import Probability, entropy_form
from .errors import ProcessError
from .exact import MarginalCell, MarginalSum
from .literals import parse_number
from .validity import Condition, validity_conditions
from .value import ExactValue, check_units

if TYPE_CHECKING:
    from .process import EchoProcess
    from .results import SubsetTable
    from .rules import Rule

# A derivation writes out every configuration of every rule input for each learned subset:
# 2^n rows per subset, each typeset in a few forms. Its cost is estimated at this many steps
# (see ``budget``) per written term, and checked before any step is built.
_TERM_STEPS = 60

Lags = tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what it shows (``kind``), a title, and the learned subset it
    belongs to (None for steps about the whole process)."""

    kind: ClassVar[str] = ""
    title: str
    learned: Lags | None


@dataclass(frozen=True)
class ProcessStep(Step):
    """The process, and the quantity derived: H(Y | X_S) = sum P(x_S) h(P(y=1 | x_S))."""

    kind: ClassVar[str] = "process"
    process: EchoProcess
    units: str


@dataclass(frozen=True)
class TableRow:
    """One configuration x of every rule input: P(x), the rules whose condition holds there,
    and P(y=1 | x) before and after clipping."""

    bits: tuple[int, ...]
    weight: Fraction
    raw: Probability  # base + the shifts of the rules that fire
    probability: Probability  # P(y=1 | x): ``raw``, clipped to [0, 1] under --clip
    complement: Probability  # P(y=0 | x)
    fired: tuple[Rule, ...] = ()  # the rules whose condition holds, in the process's order

    @property
    def clipped(self) -> bool:
        return self.raw != self.probability


@dataclass(frozen=True)
class TableStep(Step):
    """The full conditional probability table, in mask order (bit i is x[t - lags[i]])."""

    kind: ClassVar[str] = "table"
    lags: Lags
    p_x: Fraction
    rows: tuple[TableRow, ...]

    @property
    def any_clipped(self) -> bool:
        return any(row.clipped for row in self.rows)


@dataclass(frozen=True)
class MarginalStep(Step):
    """P(y=1 | x_S) for each configuration of S, as the sum over the unlearned inputs."""

    kind: ClassVar[str] = "marginal"
    hidden: Lags
    p_x: Fraction
    sums: tuple[MarginalSum, ...]
    complements: tuple[Probability, ...]  # P(y=0 | x_S), one per sum

    @property
    def cells(self) -> tuple[MarginalCell, ...]:
        return tuple(s.cell for s in self.sums)


@dataclass(frozen=True)
class SumsStep(Step):
    """Additive rules, many of them: P(y=1 | x_S) depends on x_S only through the sum v of the
    learned shifts that fire, so the derivation runs over the distinct values of v (each with
    its probability P(v) and g(v) = P(y=1 | v)) instead of 2^|S| configurations."""

    kind: ClassVar[str] = "sums"
    hidden: Lags
    cells: tuple  # structured.SumCell: total, weight, probability, ascending in total
    terms: tuple[ExactValue, ...]  # P(v) h(g(v)), one per cell


@dataclass(frozen=True)
class EntropyTerm:
    """P(x_S) h(q) for one configuration x_S, with q = P(y=1 | x_S)."""

    bits: tuple[int, ...]
    weight: Fraction
    probability: Probability
    complement: Probability
    value: ExactValue  # weight * h(probability), exactly

    @property
    def is_certain(self) -> bool:
        """q is 0 or 1: one of the two p log p terms is 0 log 0."""
        return isinstance(self.probability, Fraction) and self.probability in (0, 1)

    @property
    def never_happens(self) -> bool:
        """P(x_S) = 0 (p_x is 0 or 1): the term contributes nothing whatever q is."""
        return self.weight == 0


@dataclass(frozen=True)
class EntropyStep(Step):
    """H(Y | X_S) as the weighted sum of binary entropies, each term written out."""

    kind: ClassVar[str] = "entropy"
    units: str
    terms: tuple[EntropyTerm, ...]

    @property
    def certain_terms(self) -> tuple[EntropyTerm, ...]:
        return tuple(t for t in self.terms if t.is_certain and not t.never_happens)


@dataclass(frozen=True)
class ResultStep(Step):
    """The engine's canonical H(Y | X_S), and the information I(Y; X_S) = H(Y) - H(Y | X_S)."""

    kind: ClassVar[str] = "result"
    cross_entropy: ExactValue
    information: ExactValue
    nothing: ExactValue  # H(Y), the cross entropy of learning nothing


@dataclass(frozen=True)
class SummaryStep(Step):
    """One row per chosen subset: H(Y | X_S) and I(Y; X_S)."""

    kind: ClassVar[str] = "summary"
    table: SubsetTable


@dataclass(frozen=True)
class ConditionsStep(Step):
    """When the symbolic table is a valid process: each entry in [0, 1]."""

    kind: ClassVar[str] = "conditions"
    conditions: tuple[Condition, ...]
    clip: bool
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class SubstitutionRow:
    """One subset at the substituted values: the closed form, and the numeric process's value."""

    learned: Lags
    closed_form: ExactValue  # the symbolic H(Y | X_S) with the values substituted
    numeric: ExactValue  # H(Y | X_S) of the substituted process, derived afresh by the engine

    @property
    def agrees(self) -> bool:
        return self.closed_form.form == self.numeric.form


@dataclass(frozen=True)
class SubstitutionStep(Step):
    """The closed forms at given values, beside the numeric derivation of the same process."""

    kind: ClassVar[str] = "substitution"
    values: tuple[tuple[str, Fraction], ...]
    numeric_process: EchoProcess
    conditions_hold: bool
    rows: tuple[SubstitutionRow, ...]


@dataclass(frozen=True, repr=False)
class Derivation:
    """A step-by-step derivation of H(Y | X_S) for the chosen subsets S.

    ``steps`` holds exact values; ``to_text``, ``to_markdown`` and ``to_latex`` lay them out.
    In Jupyter it renders as Markdown with MathJax.
    """

    process: EchoProcess
    units: str
    learned: tuple[Lags, ...]
    at: tuple[tuple[str, Fraction], ...] | None
    steps: tuple[Step, ...]

    def step(self, kind: str, learned: Iterable[int] | None = None) -> Step:
        """The step of this kind (for the given learned subset, when it has one)."""
        wanted = None if learned is None else tuple(sorted(learned))
        for step in self.steps:
            if step.kind == kind and (wanted is None or step.learned == wanted):
                return step
        raise KeyError((kind, wanted))

    def to_text(self) -> str:
        """Plain text with Unicode maths, for a terminal."""
        from .typeset import to_text

        return to_text(self)

    def to_markdown(self) -> str:
        """Markdown with $...$ and $$...$$ maths, as GitHub and Jupyter render it."""
        from .typeset import to_markdown

        return to_markdown(self)

    def to_latex(self, standalone: bool = True) -> str:
        """A complete article (amsmath only) for pdflatex, or just its body."""
        from .typeset import to_latex

        return to_latex(self, standalone)

    def __str__(self) -> str:
        return self.to_text().rstrip("\n")

    def __repr__(self) -> str:
        count = len(self.learned)
        subsets = f"{count} subset{'s' * (count != 1)}"
        return f"<Derivation: {len(self.steps)} steps for {subsets}; print() shows it>"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex(standalone=False)


def derive(
    process: EchoProcess,
    learned: Iterable[Iterable[int] | str] | None = None,
    units: str = "nats",
    at: Mapping[str, Fraction | int | str] | None = None,
    by: str = "auto",
) -> Derivation:
    """Derive H(Y | X_S) step by step for each learned subset (every subset when None).

    ``by`` is ``configurations`` (the full table, then the sum over the unlearned inputs),
    ``sums`` (additive numeric rules: over the distinct sums of the learned shifts, the clearer
    one for many rules) or ``auto`` (sums past 6 rules).

    ``learned`` is a list of subsets, as for ``subset_table``: ``[[3], [3, 8]]`` or
    ``["3", "3,8", "none"]``. ``at`` (symbolic processes) gives every symbol an exact value;
    the derivation then ends by substituting it and comparing with the numeric process.
    """
    check_units(units)
    n = len(process.lags)  # the terms are over the lags' configurations, one lag per rule or not
    from .structured import Structured, applies

    if by not in ("auto", "configurations", "sums"):
        raise ProcessError(f"by: {by!r} is not one of auto, configurations, sums")
    if by == "sums" and not applies(process):
        raise ProcessError("a derivation by sums needs additive rules with numeric shifts")
    sums = by == "sums" or (by == "auto" and n > 6 and applies(process))
    if learned is not None:
        learned = list(learned)
    # a word such as ``chain`` stands for up to n subsets
    count = (
        (1 << n) if learned is None else sum(n if isinstance(x, str) and x.isalpha() else 1 for x in learned)
    )
    if sums:  # each subset: its distinct sums, at most the span of the shifts (or 2^n)
        engine = Structured(process)
        terms = count * (engine.distinct_bound(range(n)) + n)
    else:
        terms = (count + 1) << n  # the table, then every configuration inside each subset's sums
    check_cost(
        terms * _TERM_STEPS,
        f"a derivation of {count} subset{'s' * (count != 1)} of "
        f"{n} {'rules' if n == len(process.rules) else 'rule lags'} ({terms} terms)",
    )
    if learned is None:
        subsets = process.subsets()
    else:
        learned = list(learned)
        if any(isinstance(subset, int) for subset in learned):
            raise ProcessError("learned: give a list of subsets, such as [[3], [3, 8]] or ['3', '3,8']")
        subsets = process.learned_subsets(learned)
    values = _values(process, at) if at is not None else None
    table = process.subset_table(subsets, units)

    steps: list[Step] = [ProcessStep("The process", None, process, units)]
    if not sums:
        steps.append(_table_step(process))
    nothing = table.row(()).cross_entropy if () in subsets else process.cross_entropy((), units)
    for subset in subsets:
        if sums:
            steps += _sums_steps(process, engine, subset, units, table, nothing)
        else:
            steps += _subset_steps(process, subset, units, table, nothing)
    steps.append(SummaryStep("Summary", None, table))
    if process.is_symbolic:
        names = tuple(sorted(symbol.name for symbol in process.symbols))
        conditions = validity_conditions(process)
        title = "When the probabilities are valid"
        steps.append(ConditionsStep(title, None, conditions, process.clip, names))
        if values is not None:
            steps.append(_substitution_step(process, values, table, conditions))
    return Derivation(process, units, tuple(subsets), tuple(values.items()) if values else None, tuple(steps))


def _complement(p: Probability) -> Probability:
    """P(y=0) = 1 - P(y=1): the other side of a binary outcome."""
    return 1 - p


def _table_step(process: EchoProcess) -> TableStep:
    # P(x) for a full configuration is the engine's marginal over every lag.
    full = process.marginal(process.lags)
    rows = tuple(
        TableRow(cell.bits, cell.weight, raw, p, _complement(p), _fired(process, cell.bits))
        for cell, raw, p in zip(full, process.raw_table, process.table, strict=True)
    )
    return TableStep("The conditional probability table", None, process.lags, process.p_x, rows)


def _fired(process: EchoProcess, bits: tuple[int, ...]) -> tuple[Rule, ...]:
    inputs = dict(zip(process.lags, bits, strict=True))
    return tuple(rule for rule in process.rules if rule.holds(inputs))


def _subset_steps(
    process: EchoProcess, subset: Lags, units: str, table: SubsetTable, nothing: ExactValue
) -> list[Step]:
    sums = process.marginal_sums(subset)
    hidden = tuple(lag for lag in process.lags if lag not in subset)
    complements = tuple(_complement(s.cell.probability) for s in sums)
    terms = tuple(
        EntropyTerm(
            s.cell.bits,
            s.cell.weight,
            s.cell.probability,
            q0,
            ExactValue(entropy_form([(s.cell.weight, s.cell.probability)]), units),
        )
        for s, q0 in zip(sums, complements, strict=True)
    )
    row = table.row(subset)
    return [
        MarginalStep("Sum out the unlearned inputs", subset, hidden, process.p_x, sums, complements),
        EntropyStep("Weigh the binary entropies", subset, units, terms),
        ResultStep("The exact result", subset, row.cross_entropy, row.information, nothing),
    ]


def _sums_steps(
    process, engine, subset: Lags, units: str, table: SubsetTable, nothing: ExactValue
) -> list[Step]:
    cells = engine.sum_cells(subset)
    hidden = tuple(lag for lag in process.lags if lag not in subset)
    terms = tuple(ExactValue(entropy_form([(c.weight, c.probability)]), units) for c in cells)
    row = table.row(subset)
    return [
        SumsStep("Sum the learned shifts", subset, hidden, cells, terms),
        ResultStep("The exact result", subset, row.cross_entropy, row.information, nothing),
    ]


def _values(process: EchoProcess, at: Mapping[str, Fraction | int | str]) -> dict[str, Fraction]:
    if not process.is_symbolic:
        raise ProcessError("the rules have no symbols to substitute values into")
    values: dict[str, Fraction] = {}
    for name, value in at.items():
        if isinstance(value, str):
            values[name] = parse_number(value, name)
        elif isinstance(value, (int, Fraction)) and not isinstance(value, bool):
            values[name] = Fraction(value)
        else:
            raise ProcessError(f"{name} = {value!r} is not exact; give a Fraction, an int or text ('1/4')")
    process.substitute(values)  # names every unknown symbol, and checks the table is valid
    missing = sorted(symbol.name for symbol in process.symbols if symbol.name not in values)
    if missing:
        known = ", ".join(sorted(symbol.name for symbol in process.symbols))
        raise ProcessError(f"no value for {', '.join(missing)}: give every symbol a value (symbols: {known})")
    return dict(sorted(values.items()))


def _substitution_step(
    process: EchoProcess, values: dict[str, Fraction], table: SubsetTable, conditions: tuple[Condition, ...]
) -> SubstitutionStep:
    import sympy

    numeric = process.substitute(values)
    mapping = {
        symbol: sympy.Rational(values[symbol.name].numerator, values[symbol.name].denominator)
        for symbol in process.symbols
    }
    rows = []
    for row in table.rows:
        form = row.cross_entropy.form
        closed = form.subs(mapping) if row.cross_entropy.is_symbolic else form
        rows.append(
            SubstitutionRow(
                row.learned, ExactValue(closed, table.units), numeric.cross_entropy(row.learned, table.units)
            )
        )
    holds = all(condition.holds(mapping) for condition in conditions)
    return SubstitutionStep("Substituting values", None, tuple(values.items()), numeric, holds, tuple(rows))
