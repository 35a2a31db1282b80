"""The result of ``score``: frozen records, the JSON contract, and the text, Markdown and CSV
tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import render
from ..effects import RuleEffect, rule_effects_text
from ..process import EchoProcess
from ..rules import format_lags

if TYPE_CHECKING:
    import pandas

VERDICTS = ("level", "between", "worse_than_nothing", "better_than_possible")


@dataclass(frozen=True)
class Level:
    """A learned subset's exact level: H(Y | X_S), or the window optimum with ``window``."""

    learned: tuple[int, ...]
    cross_entropy: float


@dataclass(frozen=True)
class LagScore:
    """A rule lag's exact average effect on P(y=1) and the model's measured one."""

    lag: int
    exact: float
    measured: float | None  # None: no predicted row can see this lag
    stderr: float | None
    fraction: float | None  # measured / exact; None without a measurement or with a zero effect
    used: str = ""  # "fully", "in part", "no", or "" (not decidable)

    def to_dict(self) -> dict:
        keys = ("lag", "exact", "measured", "stderr", "fraction")
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class BestMatch:
    learned: tuple[int, ...]
    divergence: float

    def to_dict(self) -> dict:
        return {"learned": list(self.learned), "divergence": self.divergence}


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of VERDICTS
    learned: tuple[int, ...]  # the lags used fully
    partial: tuple[int, ...]  # the lags used in part
    text: str

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "learned": list(self.learned),
            "partial": list(self.partial),
            "text": self.text,
        }


@dataclass(frozen=True)
class Score:
    """What a model's predictions use, read against the process's exact theory."""

    process: EchoProcess
    samples: int  # predicted rows in the loss
    loss: float  # inf when a prediction of exactly 0 or 1 was wrong
    stderr: float | None
    levels: tuple[Level, ...]
    lag_effects: tuple[LagScore, ...]
    best_match: BestMatch
    information_fraction: float
    verdict: Verdict
    rule_effects: tuple[RuleEffect, ...] = ()  # each interaction rule's effect (see ``effects``)
    window: int | None = None
    batches: int = 0
    divergences: tuple[float, ...] = field(default=(), repr=False)  # per level, same order
    source: str = ""

    def level(self, learned) -> float:
        wanted = tuple(sorted(learned))
        return next(level.cross_entropy for level in self.levels if level.learned == wanted)

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory score --format json``."""
        data = {
            "process": self.process.to_dict(),
            "samples": self.samples,
            "loss": self.loss,
            "stderr": self.stderr,
            "levels": [
                {"learned": list(lv.learned), "cross_entropy": lv.cross_entropy} for lv in self.levels
            ],
            "lag_effects": [effect.to_dict() for effect in self.lag_effects],
            "rule_effects": [effect.to_dict() for effect in self.rule_effects],
            "best_match": self.best_match.to_dict(),
            "information_fraction": self.information_fraction,
            "verdict": self.verdict.to_dict(),
        }
        if self.window is not None:
            data["window"] = self.window
        return data

    def to_frame(self) -> pandas.DataFrame:
        """One row per subset: learned, cross_entropy (its level), divergence (mean KL of p from
        the subset's optimal predictor)."""
        import pandas

        frame = pandas.DataFrame(
            {
                "learned": [lv.learned for lv in self.levels],
                "cross_entropy": [lv.cross_entropy for lv in self.levels],
                "divergence": list(self.divergences),
            }
        )
        frame.attrs.update(loss=self.loss, stderr=self.stderr, verdict=self.verdict.kind)
        return frame

    def lag_frame(self) -> pandas.DataFrame:
        """One row per rule lag: lag, exact, measured, stderr, fraction, used."""
        import pandas

        keys = ("lag", "exact", "measured", "stderr", "fraction", "used")
        return pandas.DataFrame({key: [getattr(e, key) for e in self.lag_effects] for key in keys})

    # --- text -------------------------------------------------------------------------------

    def describe(self) -> str:
        where = f"{self.source}: " if self.source else ""
        window = f"; windows of {self.window} steps (levels are window optima)" if self.window else ""
        return f"{where}{self.samples:,} predicted rows in {self.batches} batches{window}"

    def _summary_rows(self, number) -> list[list[str]]:
        lv = self.levels
        return [
            ["loss", "", _number(self.loss, number), _stderr(self.stderr, number), ""],
            [
                "best match",
                format_lags(self.best_match.learned),
                _number(self.best_match.divergence, number),
                "",
                "mean KL divergence from its optimal predictor",
            ],
            ["information", "", _percent(self.information_fraction), "", "of I(Y; X_all) captured"],
            ["nothing", "none", _number(lv[0].cross_entropy, number), "", "H(Y): the base rate"],
            [
                "every lag",
                format_lags(lv[-1].learned),
                _number(lv[-1].cross_entropy, number),
                "",
                "no model that sees only the inputs goes below",
            ],
        ]

    def _level_rows(self, learned, number) -> list[list[str]]:
        return [
            [learned(lv.learned), _number(lv.cross_entropy, number), _number(d, number)]
            for lv, d in zip(self.levels, self.divergences, strict=True)
        ]

    def _lag_rows(self, number: int) -> list[list[str]]:
        def signed(value):
            return "none" if value is None else f"{value:+.{number}f}"

        return [
            [
                str(e.lag),
                signed(e.exact),
                signed(e.measured),
                _number(e.stderr, number),
                _percent(e.fraction),
                e.used or "-",
            ]
            for e in self.lag_effects
        ]

    _HEADERS = (["", "learned", "nats", "stderr", "note"], [False, False, True, True, False])
    _LEVELS = (["learned", "level (nats)", "divergence"], [False, True, True])
    _LAGS = (
        ["lag", "exact", "measured", "stderr", "fraction", "used"],
        [True, True, True, True, True, False],
    )

    def to_text(self) -> str:
        parts = [
            self.process.describe(),
            self.describe(),
            "",
            f"verdict: {self.verdict.kind}. {self.verdict.text}",
            "",
            render.text_table(*self._HEADERS[:1], self._summary_rows(4), self._HEADERS[1]),
            render.text_table(self._LEVELS[0], self._level_rows(format_lags, 4), self._LEVELS[1]),
            "effect of x[t-lag] = 1 on P(y=1), on average",
            render.text_table(self._LAGS[0], self._lag_rows(4), self._LAGS[1]),
        ]
        if self.rule_effects:
            parts.append(rule_effects_text(self.rule_effects))
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self) -> str:
        parts = [
            f"`{self.process.describe()}`",
            "",
            self.describe(),
            "",
            f"**verdict: {self.verdict.kind}.** {self.verdict.text}",
            "",
            render.markdown_table(self._HEADERS[0], self._summary_rows(4), self._HEADERS[1]),
            render.markdown_table(self._LEVELS[0], self._level_rows(render.set_markdown, 4), self._LEVELS[1]),
            render.markdown_table(self._LAGS[0], self._lag_rows(4), self._LAGS[1]),
        ]
        return "\n".join(parts)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_csv(self) -> str:
        """Long form, one quantity per row: quantity, learned (lags), value, stderr."""
        full = render.full
        rows = [
            ["loss", "", full(self.loss), full(self.stderr)],
            ["information_fraction", "", full(self.information_fraction), ""],
            ["best_match", format_lags(self.best_match.learned), full(self.best_match.divergence), ""],
            ["verdict", format_lags(self.verdict.learned), self.verdict.kind, ""],
            ["partial", format_lags(self.verdict.partial), "", ""],
        ]
        for lv, d in zip(self.levels, self.divergences, strict=True):
            rows.append(["level", format_lags(lv.learned), full(lv.cross_entropy), ""])
            rows.append(["divergence", format_lags(lv.learned), full(d), ""])
        for e in self.lag_effects:
            rows.append(["exact_effect", str(e.lag), full(e.exact), ""])
            rows.append(["measured_effect", str(e.lag), full(e.measured), full(e.stderr)])
            rows.append(["fraction", str(e.lag), full(e.fraction), ""])
        for r in self.rule_effects:
            rows.append(["exact_rule_effect", str(r.rule), full(float(r.exact)), ""])
            rows.append(["measured_rule_effect", str(r.rule), full(r.measured), full(r.stderr)])
            rows.append(["rule_fraction", str(r.rule), full(r.fraction), ""])
        return render.csv_table(["quantity", "learned", "value", "stderr"], rows)


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return render.fixed(value, digits) if abs(value) < 1e6 else f"{value:.4g}"


def _stderr(value: float | None, digits: int) -> str:
    """A standard error; one too small for the decimals shown, in scientific notation."""
    if value is not None and 0 < value < 0.5 * 10**-digits:
        return f"{value:.1e}"
    return _number(value, digits)


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{100 * value:.1f}%"


def _lag_words(lags) -> str:
    return ("lag " if len(lags) == 1 else "lags ") + format_lags(lags)
