"""Lays a ``Derivation`` out as plain text, Markdown or LaTeX.

Only layout lives here: every number is a value held by the derivation's steps, written with
one of two notations (plain Unicode maths, or TeX for Markdown and LaTeX) and arranged by
one of three writers. The prose is written once, in ``_Writer``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from . import render
from .literals import format_fraction
from .process import lag_name

if TYPE_CHECKING:
    from .derivation import (
        ConditionsStep,
        Derivation,
        EntropyStep,
        MarginalStep,
        ProcessStep,
        ResultStep,
        SubstitutionStep,
        SummaryStep,
        TableStep,
    )
    from .process import EchoProcess
    from .rules import Rule
    from .value import ExactValue

TITLE = "Expected cross entropy, step by step"
FIRES = "rules that fire"  # the table's column of the conditions that hold (interaction rules)
NAMED_TERMS = 2  # up to this many unlearned inputs, each term of a marginal is also written in words


class M(str):
    """Inline maths inside prose (a plain ``str`` is prose)."""


Pieces = Sequence[str]  # prose and M pieces, written one after the other
Term = tuple[str, str]  # (sign, body): "+" or "-", and the term without its sign
Row = tuple[str, list]  # a relation ("=" or "~") and the terms (or groups of terms) on its right
Chain = tuple[str, list[Row]]  # left-hand side, then its rows: lhs = ... = ... ~ ...


# --- notations: how one mathematical object is written ---------------------------------------


class _Plain:
    """Plain Unicode maths: x[t-3], 3/8·log(3/8), Σ."""

    times = "·"
    juxtapose = "·"  # a coefficient and a variable
    approx = "≈"

    def __init__(self, units: str) -> None:
        self.log_name = "log2" if units == "bits" else "log"

    def num(self, q) -> str:
        return format_fraction(q) if isinstance(q, Fraction) else str(q)

    def factor(self, q) -> str:
        """A number as a factor of a product: bracketed when it is a sum or negative."""
        text = self.num(q)
        return f"({text})" if _is_compound(q) else text

    def var(self, lag: int) -> str:
        return lag_name(lag)

    def vars(self, lags: Sequence[int]) -> str:
        return ", ".join(self.var(lag) for lag in lags)

    xor = " ⊕ "

    def condition(self, rule: Rule, term: bool = True) -> str:
        """A rule's condition as a 0/1 quantity: x[t-3], x[t-3]·x[t-8] (and), x[t-3] ⊕ x[t-8]
        (xor; bracketed as a ``term`` of a sum)."""
        names = [self.var(lag) for lag in rule.lags]
        if rule.kind == "xor":
            body = self.xor.join(names)
            return f"({body})" if term else body
        return self.juxtapose.join(names)

    def given(self, lags: Sequence[int], bits: Sequence[int]) -> str:
        return ", ".join(f"{self.var(lag)}={bit}" for lag, bit in zip(lags, bits, strict=True))

    def p_y(self, y: int, lags: Sequence[int], bits: Sequence[int]) -> str:
        return f"P(y={y} | {self.given(lags, bits)})" if lags else f"P(y={y})"

    def p_x(self, lag: int, bit: int) -> str:
        return f"P({self.var(lag)}={bit})"

    def h(self, q) -> str:
        return f"h({self.num(q)})"

    def xlogx(self, q) -> str:
        return f"{self.factor(q)}·{self.log_name}({self.num(q)})"

    def brackets(self, q) -> tuple[str, str]:
        """A bracket that may open on one line and close on the next, sized for q's terms."""
        return "[", "]"

    def remark(self, text: str) -> str:
        return f"  ({text})"

    def p_given(self, y: int, what: str) -> str:
        """P(y=1 | x) for a named configuration, such as x or x_S."""
        return f"P(y={y} | {what})"

    def entropy_s(self) -> str:
        return "H(Y | X_S)"

    def q_log_q(self) -> str:
        return f"q·{self.log_name}(q)"

    def log_of(self, n: int) -> str:
        return f"{self.log_name}({n})"

    def tends(self) -> str:
        return "q → 0"

    def entropy(self, lags: Sequence[int]) -> str:
        return f"H(Y | {self.vars(lags)})" if lags else "H(Y)"

    def information(self, lags: Sequence[int]) -> str:
        return f"I(Y; {self.vars(lags)})"

    def value(self, value: ExactValue) -> str:
        return value.text

    def decimal(self, value: float | None, digits: int = 10) -> str:
        return render.fixed(value, digits)

    def quantity(self, value: float | None, units: str) -> str:
        return f"{self.decimal(value)} {units}"

    def interval(self, lower: Fraction, expression, upper: Fraction) -> str:
        return f"{self.num(lower)} ≤ {self.num(expression)} ≤ {self.num(upper)}"

    def assignment(self, name: str, value: Fraction) -> str:
        return f"{name} = {self.num(value)}"

    def general_entropy(self) -> list[Chain]:
        return [
            ("H(Y | X_S)", [("=", [("+", "Σ over x_S of P(x_S)·h(P(y=1 | x_S))")])]),
            ("h(q)", [("=", [("-", f"q·{self.log_name}(q)"), ("-", f"(1 - q)·{self.log_name}(1 - q)")])]),
        ]

    def general_marginal(self) -> list[Chain]:
        return [("P(y=1 | x_S)", [("=", [("+", "Σ over x_U of P(x_U)·P(y=1 | x_S, x_U)")])])]

    def bernoulli(self, p_x: Fraction) -> str:
        return f"x[t] ~ Bernoulli({self.num(p_x)})"

    def p_y_given_x(self) -> str:
        return "P(y[t]=1 | x)"

    def zero_log_zero(self) -> str:
        return f"0·{self.log_name}(0)"

    def probability_range(self) -> str:
        return "[0, 1]"


class _Tex(_Plain):
    """TeX maths for Markdown (MathJax) and LaTeX (amsmath): x_{t-3}, \\tfrac{3}{8}."""

    times = r"\cdot "
    juxtapose = " "
    approx = r"\approx"

    def __init__(self, units: str) -> None:
        self.log_name = r"\log_2" if units == "bits" else r"\log"

    def num(self, q) -> str:
        if isinstance(q, Fraction):
            if q.denominator == 1:
                return str(q.numerator)
            sign = "-" if q < 0 else ""
            return f"{sign}\\tfrac{{{abs(q.numerator)}}}{{{q.denominator}}}"
        import sympy

        return sympy.latex(q)

    def factor(self, q) -> str:
        text = self.num(q)
        return f"\\left({text}\\right)" if _is_compound(q) else text

    def var(self, lag: int) -> str:
        return "x_t" if lag == 0 else f"x_{{t-{lag}}}"

    xor = r" \oplus "

    def p_y(self, y: int, lags: Sequence[int], bits: Sequence[int]) -> str:
        return f"P(y={y} \\mid {self.given(lags, bits)})" if lags else f"P(y={y})"

    def h(self, q) -> str:
        if isinstance(q, Fraction):
            return f"h\\bigl({self.num(q)}\\bigr)"
        return f"h\\left({self.num(q)}\\right)"

    def xlogx(self, q) -> str:
        argument = self.num(q)
        if _is_compound(q) or not isinstance(q, Fraction):
            argument = f"\\left({argument}\\right)"
        return f"{self.factor(q)} {self.log_name} {argument}"

    def brackets(self, q) -> tuple[str, str]:
        # \left and \right cannot span lines; fixed sizes can (bigger around built-up fractions)
        return (r"\bigl[", r"\bigr]") if isinstance(q, Fraction) else (r"\biggl[", r"\biggr]")

    def remark(self, text: str) -> str:
        return f"\\quad\\text{{({text})}}"

    def p_given(self, y: int, what: str) -> str:
        return f"P(y={y} \\mid {what})"

    def entropy_s(self) -> str:
        return "H(Y \\mid X_S)"

    def q_log_q(self) -> str:
        return f"q {self.log_name} q"

    def log_of(self, n: int) -> str:
        return f"{self.log_name} {n}"

    def tends(self) -> str:
        return r"q \to 0"

    def entropy(self, lags: Sequence[int]) -> str:
        return f"H(Y \\mid {self.vars(lags)})" if lags else "H(Y)"

    def value(self, value: ExactValue) -> str:
        return value.latex

    def quantity(self, value: float | None, units: str) -> str:
        return f"{self.decimal(value)}\\ \\text{{{units}}}"

    def interval(self, lower: Fraction, expression, upper: Fraction) -> str:
        return f"{self.num(lower)} \\le {self.num(expression)} \\le {self.num(upper)}"

    def general_entropy(self) -> list[Chain]:
        log = self.log_name
        return [
            ("H(Y \\mid X_S)", [("=", [("+", r"\sum_{x_S} P(x_S)\, h\bigl(P(y=1 \mid x_S)\bigr)")])]),
            ("h(q)", [("=", [("-", f"q {log} q"), ("-", f"(1 - q) {log} (1 - q)")])]),
        ]

    def general_marginal(self) -> list[Chain]:
        return [("P(y=1 \\mid x_S)", [("=", [("+", r"\sum_{x_U} P(x_U)\, P(y=1 \mid x_S, x_U)")])])]

    def bernoulli(self, p_x: Fraction) -> str:
        return f"x_t \\sim \\mathrm{{Bernoulli}}({self.num(p_x)})"

    def p_y_given_x(self) -> str:
        return r"P(y_t=1 \mid x)"

    def zero_log_zero(self) -> str:
        return f"0 {self.log_name} 0"


def _is_compound(q) -> bool:
    """A sum or a negative number needs brackets as a factor."""
    if isinstance(q, Fraction):
        return q < 0
    return bool(q.is_Add) or q.could_extract_minus_sign()


def _split(text: str) -> list[Term]:
    """Split a formula at its top-level + and - into signed terms, for line breaking."""
    terms: list[Term] = []
    depth, start, sign = 0, 0, "+"
    i = 0
    while i < len(text):
        char = text[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith((" + ", " - "), i):
            terms.append((sign, text[start:i].strip()))
            sign, start = text[i + 1], i + 3
            i += 3
            continue
        i += 1
    terms.append((sign, text[start:].strip()))
    if terms[0][1].startswith("-"):
        terms[0] = ("-", terms[0][1][1:].lstrip())
    return terms


# --- writers: how prose, displays, tables and headings are laid out --------------------------


class _Writer:
    """The derivation's prose, written once; subclasses lay out its pieces."""

    SUMMARY_EXACT = True  # the exact form beside the decimals (a page is too narrow for it)

    def __init__(self, derivation: Derivation, math: _Plain) -> None:
        self.d = derivation
        self.m = math
        self.out: list[str] = []

    # layout primitives, one set per format
    def heading(self, level: int, pieces: Pieces) -> None:
        raise NotImplementedError

    def paragraph(self, pieces: Pieces) -> None:
        raise NotImplementedError

    def display(self, chains: list[Chain]) -> None:
        raise NotImplementedError

    def table(self, headers: Pieces, rows: list[Pieces], right: Sequence[bool]) -> None:
        raise NotImplementedError

    def formulas(self, lines: list[str]) -> None:
        """Displayed formulas, one a line, centred where the format can."""
        raise NotImplementedError

    def fits(self, lhs: str, term: str) -> bool:
        """Whether ``lhs = term`` fits on one line of a display."""
        raise NotImplementedError

    def document(self) -> str:
        return "\n".join(self.out).rstrip("\n") + "\n"

    # the content
    def write(self) -> str:
        self.heading(1, [TITLE])
        current: object = None
        for step in self.d.steps:
            if step.learned is not None and step.learned != current:
                current = step.learned
                self.heading(2, self.learned_title(step.learned))
            getattr(self, f"write_{step.kind}")(step)
        return self.document()

    def learned_title(self, lags: Sequence[int]) -> Pieces:
        return ["Learned: ", M(self.m.vars(lags))] if lags else ["Learned: nothing"]

    def formula(self, process: EchoProcess) -> str:
        """P(y=1 | x) = base + shifts as a formula, from the process's own rules."""
        m = self.m
        terms: list[Term] = [("+", m.num(process.base))]
        for rule in process.rules:
            shift = rule.shift
            negative = shift < 0 if isinstance(shift, Fraction) else shift.could_extract_minus_sign()
            magnitude = -shift if negative else shift
            body = m.condition(rule)
            if magnitude != 1:
                body = f"{m.factor(magnitude)}{m.juxtapose}{body}"
            terms.append(("-" if negative else "+", body))
        return f"{m.p_y_given_x()} = {_join(terms)}"

    def write_process(self, step: ProcessStep) -> None:
        m, p = self.m, step.process
        self.heading(2, [step.title])
        clip = [", clipped to ", M(m.probability_range())] if p.clip else []
        self.paragraph(
            [
                "Each input is a coin: ",
                M(m.bernoulli(p.p_x)),
                ", independently at every ",
                M("t"),
                ". The target follows the rules: ",
                M(self.formula(p)),
                *clip,
                ".",
            ]
        )
        # say once what each kind of interaction term means, on the first rule of that kind
        said: list[str] = []
        for kind, when in (("and", "all"), ("xor", "an odd number")):
            rule = next((rule for rule in p.rules if rule.kind == kind), None)
            if rule is not None:
                said += ["; " if said else "", M(m.condition(rule, term=False))]
                said.append(f" is 1 when {when} of its inputs are 1 ({kind})")
        if said:
            self.paragraph(["Here ", *said, ". Each is 0 otherwise."])
        self.paragraph(
            [
                "A model that has learned the lags in a set ",
                M("S"),
                " sees ",
                M("x_S"),
                ", the inputs at those lags, and can do no better than predict ",
                M("q = " + m.p_given(1, "x_S")),
                ". Its expected cross entropy is the conditional entropy",
            ]
        )
        self.display(m.general_entropy())
        unit = (
            ["Logarithms are to base 2, so entropies are in bits. "]
            if step.units == "bits"
            else ["Logarithms are natural, so entropies are in nats. "]
        )
        self.paragraph(
            [
                *unit,
                "For each learned set below: sum out what the model does not see, weigh the binary "
                "entropies, and simplify (to a rational combination of logarithms of primes).",
            ]
        )

    def write_table(self, step: TableStep) -> None:
        m = self.m
        self.heading(2, [step.title])
        self.paragraph(
            [
                "Every configuration ",
                M("x"),
                " of the rule inputs, its probability ",
                M("P(x)"),
                " (a product of ",
                M(f"p_x = {m.num(step.p_x)}"),
                " for each input at 1 and ",
                M(f"1 - p_x = {m.num(1 - step.p_x)}"),
                " for each at 0), and the probabilities of ",
                M("y"),
                " that the rules give:",
            ]
        )
        headers: list[str] = [M(m.var(lag)) for lag in step.lags]
        headers += [M("P(x)")]
        # With interaction rules the bits no longer say which shifts apply: show them.
        fires = not self.d.process.is_additive
        if fires:
            headers += [FIRES, "base + shifts"]
        headers += [M(m.p_given(1, "x")), M(m.p_given(0, "x"))]
        clipped = step.any_clipped
        if clipped:
            headers.append("before clipping")
        rows = []
        for row in step.rows:
            cells: list[str] = [str(bit) for bit in row.bits]
            cells += [M(m.num(row.weight))]
            if fires:
                cells += self.fired_cells(row)
            cells += [M(m.num(row.probability)), M(m.num(row.complement))]
            if clipped:
                cells.append(M(m.num(row.raw)) if row.clipped else "")
            rows.append(cells)
        right = [True] * len(step.lags) + [True] + ([False, False] if fires else [])
        right += [True, True] + ([False] if clipped else [])
        self.table(headers, rows, right)
        if clipped:
            self.paragraph(
                [
                    "Clipping clamped the entries with a value under \u201cbefore clipping\u201d: "
                    "the rules alone give a number outside ",
                    M(m.probability_range()),
                    " there.",
                ]
            )

    def fired_cells(self, row) -> list[str]:
        """The conditions that hold in a row, and the sum they make: base + their shifts."""
        m = self.m
        if not row.fired:
            return ["none", M(m.num(self.d.process.base))]
        names = M(", ".join(m.condition(rule, term=False) for rule in row.fired))
        terms: list[Term] = [("+", m.num(self.d.process.base))]
        for rule in row.fired:
            shift = rule.shift
            negative = shift < 0 if isinstance(shift, Fraction) else shift.could_extract_minus_sign()
            terms.append(("-" if negative else "+", m.num(-shift if negative else shift)))
        return [names, M(_join(terms))]

    def write_marginal(self, step: MarginalStep) -> None:
        m = self.m
        self.heading(3, [step.title])
        learned = step.learned
        if not step.hidden:
            self.paragraph(
                [
                    "The model sees every input, so ",
                    M(m.p_given(1, "x_S")),
                    " is the table itself: there is nothing to sum out.",
                ]
            )
            return
        self.paragraph(
            [
                "The model does not see ",
                M(m.vars(step.hidden)),
                "; call these inputs ",
                M("x_U"),
                " and sum them out. They are independent of the rest, so ",
                M("P(x_U)"),
                " is the product of ",
                M(f"p_x = {m.num(step.p_x)}"),
                " for each input at 1 and ",
                M(f"1 - p_x = {m.num(1 - step.p_x)}"),
                " for each at 0:",
            ]
        )
        self.display(m.general_marginal())
        # Written in words, a term is as long as a line by three unlearned inputs (or two, among
        # many rules): from there on, the numbers alone, in an order the text spells out.
        every = sorted((*learned, *step.hidden))
        widest = m.times.join([*(m.p_x(lag, 1) for lag in step.hidden), m.p_y(1, every, [1] * len(every))])
        named = len(step.hidden) <= NAMED_TERMS and self.fits(m.p_y(1, learned, [1] * len(learned)), widest)
        if not named:
            self.paragraph(
                [
                    "Each term below is ",
                    M(f"P(x_U){m.times}" + m.p_given(1, "x_S, x_U")),
                    ": the factors ",
                    M("p_x"),
                    " or ",
                    M("1 - p_x"),
                    " of ",
                    M(m.vars(step.hidden)),
                    " in that order, then the entry of the table. The terms run through ",
                    M("x_U"),
                    " in the order of the table, ",
                    M(m.var(step.hidden[0])),
                    " changing fastest.",
                ]
            )
        chains: list[Chain] = []
        for total, q0 in zip(step.sums, step.complements, strict=True):
            cell = total.cell
            lhs = m.p_y(1, learned, cell.bits)
            names, numbers = [], []
            for term in total.terms:
                full_lags, full_bits = _merge(learned, cell.bits, step.hidden, term.bits)
                weights = [m.p_x(lag, bit) for lag, bit in zip(step.hidden, term.bits, strict=True)]
                names.append(("+", m.times.join([*weights, m.p_y(1, full_lags, full_bits)])))
                numbers.append(
                    ("+", m.times.join([*(m.factor(f) for f in term.factors), m.factor(term.probability)]))
                )
            rows: list[Row] = [("=", names)] if named else []
            rows += [("=", numbers), ("=", [("+", m.num(cell.probability))])]
            chains.append((lhs, rows))
            chains.append(
                (
                    m.p_y(0, learned, cell.bits),
                    [("=", [("+", "1"), ("-", m.factor(cell.probability))]), ("=", [("+", m.num(q0))])],
                )
            )
        self.display(chains)

    def write_entropy(self, step: EntropyStep) -> None:
        m = self.m
        self.heading(3, [step.title])
        learned = step.learned
        self.paragraph(
            [
                "Each configuration the model sees adds its probability times the binary entropy of ",
                M("q = " + m.p_given(1, "x_S")),
                ":",
            ]
        )
        hs, expanded, decimals = [], [], []
        numeric = all(term.value.value is not None for term in step.terms)
        for term in step.terms:
            weight = "" if term.weight == 1 else m.num(term.weight) + m.times
            hs.append(("+", weight + m.h(term.probability)))
            # the bracket opens in one term and closes in the next, so a long one can break
            opening, closing = m.brackets(term.probability)
            opens = f"{weight}{opening}{m.xlogx(term.probability)}"
            expanded.append([("-", opens), ("+", f"{m.xlogx(term.complement)}{closing}")])
            if numeric:
                decimals.append(("+", m.decimal(term.value.value, 6)))
        rows: list[Row] = [("=", hs), ("=", expanded)]
        if numeric:
            rows.append(("~", decimals))
        self.display([(m.entropy(learned), rows)])
        certain = step.certain_terms
        if certain:
            plural = len(certain) > 1
            if plural:
                where = [M(f"{m.given(learned, t.bits)}\u00a0(q = {m.num(t.probability)})") for t in certain]
                opening = ["At ", *_and(where), " the outcome is certain, so their brackets hold "]
            else:
                at = ["At ", M(m.given(learned, certain[0].bits)), " the"] if learned else ["Here the"]
                q = M(f"q = {m.num(certain[0].probability)}")
                opening = [*at, " outcome is certain, ", q, ", so its bracket holds "]
            values = sorted({t.probability for t in certain})
            self.paragraph(
                [
                    *opening,
                    M(m.zero_log_zero()),
                    ". Read it as 0: ",
                    M(m.log_of(0)),
                    " alone is not finite, but ",
                    M(m.q_log_q()),
                    " tends to 0 as ",
                    M(m.tends()),
                    ", and the convention ",
                    M(f"{m.zero_log_zero()} = 0"),
                    " is that limit. With ",
                    M(f"{m.log_of(1)} = 0"),
                    " as well, ",
                    M(" = ".join([*(m.h(q) for q in values), "0"])),
                    ": a model that sees " + ("these configurations" if plural else "this configuration"),
                    " pays nothing for " + ("them." if plural else "it."),
                ]
            )
        never = [t for t in step.terms if t.never_happens]
        if never and learned:
            self.paragraph(
                [
                    "Configurations with ",
                    M("P(x_S) = 0"),
                    " never occur, so their terms are 0 whatever ",
                    M("q"),
                    " is.",
                ]
            )
        if not numeric:
            self.paragraph(
                [
                    "Where values of the symbols make some ",
                    M("q"),
                    " equal to 0 or 1, read ",
                    M(m.zero_log_zero()),
                    " as 0, the limit of ",
                    M(m.q_log_q()),
                    " as ",
                    M(m.tends()),
                    ".",
                ]
            )

    def write_sums(self, step) -> None:
        m = self.m
        self.heading(3, [step.title])
        shown = [M(m.var(lag)) for lag in step.learned]
        self.paragraph(
            [
                "The rules add, so the model sees the learned inputs only through the sum ",
                M("v"),
                " of the learned shifts that fire: ",
                M(f"{m.p_given(1, 'x_S')} = g(v)"),
                ", the average over the unlearned inputs",
                *([" (", M(m.vars(step.hidden)), ")"] if step.hidden else []),
                " of the rule's probability at ",
                M("v"),
                ". Each distinct ",
                M("v"),
                " of ",
                *_and(shown),
                " with its probability, ",
                M("g(v)"),
                " and its term ",
                M("P(v) h(g(v))"),
                ":",
            ]
        )
        headers = [M("v"), M("P(v)"), M("g(v)"), M("1 - g(v)"), M("P(v) h(g(v))")]
        rows = [
            [
                M(m.num(c.total)),
                M(m.num(c.weight)),
                M(m.num(c.probability)),
                M(m.num(1 - c.probability)),
                M(m.value(t)),
            ]
            for c, t in zip(step.cells, step.terms, strict=True)
        ]
        self.table(headers, rows, [True, True, True, True, False])

    def write_result(self, step: ResultStep) -> None:
        m = self.m
        self.heading(3, [step.title])
        learned = step.learned
        h = step.cross_entropy
        rows: list[Row] = [("=", _split(m.value(h)))]
        if h.value is not None:
            rows.append(("~", [("+", m.quantity(h.value, self.d.units))]))
        chains: list[Chain] = [(m.entropy(learned), rows)]
        if learned:
            info = step.information
            info_rows: list[Row] = [
                ("=", [("+", m.entropy(())), ("-", m.entropy(learned))]),
                ("=", _split(m.value(info))),
            ]
            if info.value is not None:
                info_rows.append(("~", [("+", m.quantity(info.value, self.d.units))]))
            chains.append((m.information(learned), info_rows))
        self.display(chains)
        if h.value is None:
            self.paragraph(["This is the closed form; it has no decimal value while symbols remain."])

    def write_summary(self, step: SummaryStep) -> None:
        m = self.m
        self.heading(2, [step.title])
        table = step.table
        units = table.units
        if all(row.cross_entropy.value is not None for row in table.rows):
            self.paragraph(
                [
                    "What a model that learns each set can reach, and what learning it gains over learning "
                    "nothing, in ",
                    units,
                    ":",
                ]
            )
            headers = ["learned", M(m.entropy_s()), M("I(Y; X_S)")]
            rows = [
                [
                    M(m.vars(row.learned)) if row.learned else "nothing",
                    m.decimal(row.cross_entropy.value),
                    m.decimal(row.information.value),
                ]
                for row in table.rows
            ]
            if self.SUMMARY_EXACT:
                headers.append("exact")
                for row, cells in zip(table.rows, rows, strict=True):
                    cells.append(M(m.value(row.cross_entropy)))
            self.table(headers, rows, [False, True, True, False][: len(headers)])
            return
        self.paragraph(["The closed forms, and what learning each set gains over learning nothing:"])
        chains: list[Chain] = []
        for row in table.rows:
            chains.append((m.entropy(row.learned), [("=", _split(m.value(row.cross_entropy)))]))
            if row.learned:
                chains.append((m.information(row.learned), [("=", _split(m.value(row.information)))]))
        self.display(chains)

    def write_conditions(self, step: ConditionsStep) -> None:
        m = self.m
        self.heading(2, [step.title])
        names = _and([M(name) for name in step.symbols])
        if step.clip:
            self.paragraph(
                [
                    "Clipping keeps every entry of the table in ",
                    M(m.probability_range()),
                    ", so every real value of ",
                    *names,
                    " gives a valid process.",
                ]
            )
            return
        self.paragraph(
            [
                "Every entry of the table must lie in ",
                M(m.probability_range()),
                ". For the entries that hold symbols, that is (duplicates merged, and conditions "
                "that the one-symbol bounds imply left out):",
            ]
        )
        lines = []
        for condition in step.conditions:
            line = m.interval(condition.lower, condition.expression, condition.upper)
            if not condition.is_satisfiable:
                line += m.remark("no value satisfies this")
            lines.append(line)
        self.formulas(lines)

    def write_substitution(self, step: SubstitutionStep) -> None:
        m = self.m
        values = _and([M(m.assignment(name, value)) for name, value in step.values])
        self.heading(2, [step.title])
        holds = ["; these values meet every condition above"] if step.conditions_hold else []
        self.paragraph(
            [
                "At ",
                *values,
                " the rules read ",
                M(self.formula(step.numeric_process)),
                *holds,
                ". Substituting the values into each closed form, and reading ",
                M(m.zero_log_zero()),
                " as 0:",
            ]
        )
        chains: list[Chain] = []
        for row in step.rows:
            rows: list[Row] = [("=", _split(m.value(row.closed_form)))]
            if row.closed_form.value is not None:
                rows.append(("~", [("+", m.quantity(row.closed_form.value, self.d.units))]))
            chains.append((m.entropy(row.learned), rows))
        self.display(chains)
        differ = [row for row in step.rows if not row.agrees]
        if not differ:
            self.paragraph(
                ["Deriving the numeric process directly gives the same exact value for every learned set."]
            )
        for row in differ:  # never, while the engine is right; said plainly if it happens
            self.paragraph(
                [
                    "The numeric process, derived directly, differs at ",
                    M(m.entropy(row.learned)),
                    ": it gives ",
                    M(m.value(row.numeric)),
                    ".",
                ]
            )


def _merge(a_lags, a_bits, b_lags, b_bits) -> tuple[list[int], list[int]]:
    """Two partial configurations as one, in lag order."""
    pairs = sorted([*zip(a_lags, a_bits, strict=True), *zip(b_lags, b_bits, strict=True)])
    return [lag for lag, _ in pairs], [bit for _, bit in pairs]


def _join(terms: Sequence[Term], continued: bool = False) -> str:
    """Terms as a sum; a continued line shows its first sign too."""
    out = ""
    for i, (sign, body) in enumerate(terms):
        if i == 0:
            out = f"{sign} {body}" if continued else ("-" if sign == "-" else "") + body
        else:
            out += f" {sign} {body}"
    return out


def _and(pieces: list[str]) -> list[str]:
    """a, b and c, as prose pieces."""
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(" and " if i == len(pieces) - 1 else ", ")
        out.append(piece)
    return out


class _TextWriter(_Writer):
    WIDTH = 92
    UNDERLINE = ("", "=", "-", "~")  # by heading level

    def heading(self, level: int, pieces: Pieces) -> None:
        text = "".join(pieces)
        self.out += [text, self.UNDERLINE[level] * len(text), ""]

    def paragraph(self, pieces: Pieces) -> None:
        # maths never breaks across lines: its spaces are non-breaking while wrapping
        text = "".join(p.replace(" ", "\u00a0") if isinstance(p, M) else p for p in pieces)
        lines = textwrap.wrap(text, self.WIDTH, break_on_hyphens=False, break_long_words=False)
        self.out += [line.replace("\u00a0", " ") for line in lines] + [""]

    def display(self, chains: list[Chain]) -> None:
        for lhs, rows in chains:
            self.out += _text_chain(lhs, rows, self.m, self.WIDTH + 8)
        self.out.append("")

    def table(self, headers: Pieces, rows: list[Pieces], right: Sequence[bool]) -> None:
        text = render.text_table(list(headers), [list(row) for row in rows], right)
        self.out += ["  " + line if line else line for line in text.rstrip("\n").split("\n")] + [""]

    def formulas(self, lines: list[str]) -> None:
        self.out += ["  " + line for line in lines] + [""]

    def fits(self, lhs: str, term: str) -> bool:
        return len(lhs) + len(term) + 7 <= self.WIDTH + 8


def _text_chain(lhs: str, rows: list[Row], m: _Plain, width: int) -> list[str]:
    lines = []
    for k, (relation, terms) in enumerate(rows):
        rel = m.approx if relation == "~" else relation
        head = "  " + (lhs if k == 0 else " " * len(lhs)) + f" {rel} "
        for j, line in enumerate(_lines(terms, lambda body: len(body) + 3, width - len(head))):
            lines.append((head if j == 0 else " " * len(head)) + _join(line, continued=j > 0))
    return lines


def _lines(terms: Sequence[Term | list[Term]], width: Callable[[str], int], budget: int) -> list[list[Term]]:
    """Break a sum into lines of at most ``budget`` (a term too wide stands alone). A group, a
    list of terms, starts a new line rather than break, when it fits on one."""
    lines: list[list[Term]] = [[]]
    used = 0
    for item in terms:
        group = item if isinstance(item, list) else [item]
        total = sum(width(body) for _, body in group)
        if lines[-1] and used + total > budget and total <= budget:
            lines.append([])
            used = 0
        for sign, body in group:
            if lines[-1] and used + width(body) > budget:
                lines.append([])
                used = 0
            lines[-1].append((sign, body))
            used += width(body)
    return lines


class _TexWriter(_Writer):
    """What Markdown and LaTeX share: TeX maths, broken into lines of about ``BUDGET`` glyphs."""

    BUDGET = 56

    def fits(self, lhs: str, term: str) -> bool:
        return _tex_width(lhs) + _tex_width(term) + 4 <= self.BUDGET

    def inline(self, pieces: Pieces) -> str:
        return "".join(f"${p}$" if isinstance(p, M) else self.prose(p) for p in pieces)

    def prose(self, text: str) -> str:
        return text

    def aligned_rows(self, chains: list[Chain]) -> list[str]:
        widest = max(_tex_width(lhs) for lhs, _ in chains)
        budget = max(self.BUDGET - widest - 2, 24)
        lines = []
        for lhs, rows in chains:
            for k, (relation, terms) in enumerate(rows):
                rel = r"&\approx" if relation == "~" else "&="
                head = (lhs + " " if k == 0 else "") + rel + " "
                for j, line in enumerate(_lines(terms, lambda body: _tex_width(body) + 2, budget)):
                    lines.append((head if j == 0 else r"&\quad ") + _join(line, continued=j > 0) + r" \\")
        lines[-1] = lines[-1][: -len(r" \\")]
        return lines


def _tex_width(tex: str) -> int:
    """About how many glyphs a TeX formula sets: a fraction as its wider part, a command as one
    glyph, and an operator or relation as two (it is set with space around it)."""
    previous = None
    while previous != tex:
        previous = tex
        tex = re.sub(
            r"\\t?frac\{([^{}]*)\}\{([^{}]*)\}",
            lambda match: "0" * max(len(match[1]), len(match[2])),
            tex,
        )
    tex = re.sub(r"_\{([^{}]*)\}", lambda match: "0" * max(1, len(match[1].replace(" ", "")) // 2), tex)
    grown = len(re.findall(r"\\left(?![A-Za-z])", tex))  # a grown bracket pair is wider
    tex = re.sub(r"\\(left|right|bigl|bigr|biggl|biggr|quad)(?![A-Za-z])|\\[,;!]", "", tex)
    tex = re.sub(r"\\log(?![A-Za-z])", "log", tex)
    tex = re.sub(r"\\(cdot|mid|le|approx|sim|to)(?![A-Za-z])", "+", tex)
    tex = re.sub(r"\\[A-Za-z]+", "0", tex)
    tex = re.sub(r"[{}\s]", "", tex)
    operators = len(re.findall(r"[-+=]", tex))
    return len(tex) + operators + grown


class _MarkdownWriter(_TexWriter):
    BUDGET = 70

    def heading(self, level: int, pieces: Pieces) -> None:
        self.out += ["#" * level + " " + self.inline(pieces), ""]

    def paragraph(self, pieces: Pieces) -> None:
        self.out += [self.inline(pieces), ""]

    def display(self, chains: list[Chain]) -> None:
        self.out += ["$$", r"\begin{aligned}", *self.aligned_rows(chains), r"\end{aligned}", "$$", ""]

    def table(self, headers: Pieces, rows: list[Pieces], right: Sequence[bool]) -> None:
        cells = [[self.inline([cell]) for cell in row] for row in rows]
        self.out += [render.markdown_table([self.inline([h]) for h in headers], cells, right)]

    def formulas(self, lines: list[str]) -> None:
        self.out += ["$$", r"\begin{gathered}", " \\\\\n".join(lines), r"\end{gathered}", "$$", ""]


class _LatexWriter(_TexWriter):
    SUMMARY_EXACT = False
    SECTIONS = ("", "section", "subsection", "subsubsection")  # by heading level

    def prose(self, text: str) -> str:
        # the prose is ours, but keep TeX's specials safe all the same
        text = text.replace("\u201c", "``").replace("\u201d", "''")
        return re.sub(r"([#$%&_{}])", r"\\\1", text)

    def heading(self, level: int, pieces: Pieces) -> None:
        self.out += [f"\\{self.SECTIONS[level]}*{{{self.inline(pieces)}}}", ""]

    def paragraph(self, pieces: Pieces) -> None:
        self.out += [self.inline(pieces), ""]

    def display(self, chains: list[Chain]) -> None:
        self.out += [r"\begin{align*}", *self.aligned_rows(chains), r"\end{align*}", ""]

    def table(self, headers: Pieces, rows: list[Pieces], right: Sequence[bool]) -> None:
        cells = [[self.inline([cell]) for cell in row] for row in rows]
        tabular = render.latex_tabular([self.inline([h]) for h in headers], cells, right)
        # the table of interaction rules (which fire, and their sum) is wider than the page's
        # text at normal size: set it smaller and tighter
        narrow = [r"\small", r"\setlength{\tabcolsep}{3pt}"] if FIRES in headers else []
        self.out += [r"\begin{center}", *narrow, tabular.rstrip("\n"), r"\end{center}", ""]

    def formulas(self, lines: list[str]) -> None:
        self.out += [r"\begin{gather*}", " \\\\\n".join(lines), r"\end{gather*}", ""]


LATEX_PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6\baselineskip}
\begin{document}
"""


def to_text(derivation: Derivation) -> str:
    return _TextWriter(derivation, _Plain(derivation.units)).write()


def to_markdown(derivation: Derivation) -> str:
    return _MarkdownWriter(derivation, _Tex(derivation.units)).write()


def to_latex(derivation: Derivation, standalone: bool = True) -> str:
    body = _LatexWriter(derivation, _Tex(derivation.units)).write()
    return LATEX_PREAMBLE + body + "\\end{document}\n" if standalone else body
