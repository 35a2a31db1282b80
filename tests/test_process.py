import random
from fractions import Fraction

import pytest
import sympy

from echo_theory import EchoProcess, LimitError, ProcessError, Rule, work_budget
from echo_theory.errors import ParseError

F = Fraction


def test_seed_table_matches_the_post():
    process = EchoProcess(["3:+0.5", "8:-0.25"])
    # mask bit 0 is x[t-3], bit 1 is x[t-8]; the post's eight events
    assert process.table == (F(1, 2), F(1), F(1, 4), F(3, 4))
    assert process.lags == (3, 8)


def test_rules_are_sorted_by_lag():
    assert EchoProcess(["8:-0.25", "3:+0.5"]) == EchoProcess(["3:+0.5", "8:-0.25"])


def test_duplicate_lag():
    with pytest.raises(ProcessError, match=r"^lag 3 has two rules; give each lag once$"):
        EchoProcess(["3:+0.5", "3:-0.25"])


def test_out_of_range_names_the_worst_configuration():
    with pytest.raises(ProcessError) as error:
        EchoProcess(["3:+0.5", "5:+0.5"])
    assert str(error.value) == "P(y=1 | x[t-3]=1, x[t-5]=1) = 3/2 is outside [0, 1]; use --clip to clamp"
    with pytest.raises(ProcessError, match=r"^P\(y=1 \| x\[t\]=1, x\[t-2\]=0\) = -1/4 is outside"):
        EchoProcess(["0:-0.75", "2:+0.25"])


def test_clip_clamps_every_configuration():
    process = EchoProcess(["3:+0.5", "5:+0.5", "7:-1"], clip=True)
    assert max(process.table) == 1
    assert min(process.table) == 0
    assert max(process.raw_table) == F(3, 2)
    assert min(process.raw_table) == F(-1, 2)


def test_base_and_p_x_are_checked():
    with pytest.raises(ParseError, match=r"^base: 3/2 is outside \[0, 1\]$"):
        EchoProcess(["3:0.1"], base="1.5")
    with pytest.raises(ParseError, match=r"^p_x: -1 is outside \[0, 1\]$"):
        EchoProcess(["3:0.1"], p_x=-1)
    with pytest.raises(ProcessError, match="not exact"):
        EchoProcess(["3:0.1"], p_x=0.5)


def test_many_rules_build_no_table_until_one_is_read():
    process = EchoProcess([f"{lag}:0.01" for lag in range(64)], base="0.1", clip=True)
    assert "_tables" not in process.__dict__
    with pytest.raises(LimitError) as error:
        _ = process.table
    message = str(error.value)
    assert "the table of P(y=1 | x) over the 2^64 configurations of 64 rules" in message
    assert "past the budget of 1.0e8" in message and "--budget 3.8e19" in message
    assert "\n" not in message
    assert len(EchoProcess([f"{lag}:0.01" for lag in range(12)]).table) == 2**12


def test_a_raised_budget_lets_the_table_be_built():
    process = EchoProcess([f"{lag}:0.01" for lag in range(10)])
    with work_budget(10), pytest.raises(LimitError, match=r"past the budget of 1\.0e1"):
        _ = process.table
    assert len(process.table) == 2**10


def test_symbolic_tables_are_estimated_not_counted():
    rules = [f"{lag}:0.01" for lag in range(7)] + ["99:a"]
    assert EchoProcess(rules).is_symbolic  # 8 symbolic rules: allowed now, a cheap table
    with pytest.raises(LimitError, match="2\\^30 configurations of 30 rules"):
        EchoProcess([f"{lag}:0.01" for lag in range(29)] + ["99:a"])


@pytest.mark.parametrize("seed", range(40))
def test_the_range_check_from_the_extremes_matches_the_table(seed):
    """Additive numeric rules are range-checked from two sums; the table check (every entry)
    must name the same configuration and value."""
    rng = random.Random(seed)
    n = rng.randint(0, 6)
    shifts = [Fraction(rng.randint(-60, 60), 100) for _ in range(n)]
    rules = [Rule(lag, shift) for lag, shift in zip(rng.sample(range(20), n), shifts, strict=True)]
    base = Fraction(rng.randint(0, 100), 100)
    try:
        EchoProcess(rules, base=base)
        fast = None
    except ProcessError as error:
        fast = str(error)
    clipped = EchoProcess(rules, base=base, clip=True)
    slow = None
    try:
        clipped._build_tables.__func__(_Unclipped(clipped))
    except ProcessError as error:
        slow = str(error)
    assert fast == slow


class _Unclipped:
    """A view of a process with clip off, to run the table's own range check."""

    def __init__(self, process):
        self._process = process
        self.clip = False

    def __getattr__(self, name):
        return getattr(self._process, name)


def test_symbolic_shifts_are_range_checked_only_when_provable():
    a = sympy.Symbol("a", real=True)
    process = EchoProcess(["3:a", "8:-0.25"])
    assert process.symbols == {a}
    assert process.is_symbolic
    # x[t-8]=1 alone is numeric and in range; the rest cannot be decided
    assert process.table[2] == F(1, 4)
    with pytest.raises(ProcessError, match=r"x\[t-3\]=0, x\[t-8\]=1\) = 3/2"):
        EchoProcess(["3:a", "8:+1"])
    # provably out of range for every real a
    with pytest.raises(ProcessError, match="outside"):
        EchoProcess([Rule(3, -(a**2) - 1)])


def test_symbolic_clip_keeps_a_closed_form():
    process = EchoProcess(["3:a"], clip=True)
    assert process.table[0] == F(1, 2)
    assert isinstance(process.table[1], sympy.Expr)
    assert process.table[1].subs(sympy.Symbol("a", real=True), 2) == 1


def test_describe_and_to_dict():
    process = EchoProcess(["3:+0.5", "8:-0.25", "0:b"], base="0.4", p_x="1/3", clip=True)
    assert process.describe() == (
        "x[t] ~ Bernoulli(1/3); P(y[t]=1 | x) = 2/5 + b*x[t] + 1/2*x[t-3] - 1/4*x[t-8], clipped to [0, 1]"
    )
    assert process.to_dict() == {
        "rules": [{"lag": 0, "shift": "b"}, {"lag": 3, "shift": "1/2"}, {"lag": 8, "shift": "-1/4"}],
        "base": "2/5",
        "p_x": "1/3",
        "clip": True,
    }


def test_substitute():
    symbolic = EchoProcess(["3:a", "8:-b"])
    assert symbolic.substitute({"a": "1/2", "b": "0.25"}) == EchoProcess(["3:+0.5", "8:-0.25"])
    with pytest.raises(ProcessError, match=r"symbol 'c' is not in the rules \(symbols: a, b\)"):
        symbolic.substitute({"c": 1})
    with pytest.raises(ProcessError, match="outside"):
        symbolic.substitute({"a": 1, "b": 0})


def test_learned_lags_are_checked():
    process = EchoProcess(["3:+0.5", "8:-0.25"])
    assert process.learned_lags("8,3") == (3, 8)
    assert process.learned_lags([8, 3, 3]) == (3, 8)
    with pytest.raises(ProcessError, match=r"^learned lag 5 has no rule \(rule lags: 3, 8\)$"):
        process.learned_lags("5")


def test_no_rules_is_a_coin():
    process = EchoProcess([], base="1/4")
    assert process.subsets() == [()]
    assert process.cross_entropy().text == "2*log(2) - 3/4*log(3)"


# --- interaction rules ------------------------------------------------------------------------


def test_interaction_table_by_hand():
    # bit 0 is x[t-3], bit 1 is x[t-8]
    assert EchoProcess(["3^8:+0.4"], base="0.3").table == (F(3, 10), F(7, 10), F(7, 10), F(3, 10))
    mixed = EchoProcess(["3:+0.3", "8:+0.3", "3&8:-0.4"])
    assert mixed.table == (F(1, 2), F(4, 5), F(4, 5), F(7, 10))
    # lags are the union of the rules' lags; x[t-5] only enters through the parity
    three = EchoProcess(["3&8:+0.25", "3^5^8:-0.25"])
    assert three.lags == (3, 5, 8)
    assert three.table[0b101] == F(1, 2) + F(1, 4)  # x3 = x8 = 1, x5 = 0: AND fires, parity even
    assert three.table[0b111] == F(1, 2) + F(1, 4) - F(1, 4)  # three ones: both fire


def test_a_lag_may_appear_in_several_rules_but_a_condition_once():
    process = EchoProcess(["3:+0.1", "3&8:+0.1", "3^8:+0.1", "8^3^5:+0.1"])
    assert [str(rule) for rule in process.rules] == ["3:+1/10", "3&8:+1/10", "3^8:+1/10", "3^5^8:+1/10"]
    with pytest.raises(ProcessError) as error:
        EchoProcess(["3&8:+0.1", "8&3:-0.2"])
    assert str(error.value) == (
        "the condition 3&8 has two rules (3&8:+1/10 and 3&8:-1/5); give each condition once"
    )
    with pytest.raises(ProcessError, match=r"^lag 3 has two rules; give each lag once$"):
        EchoProcess(["3:+0.1", "3&8:+0.1", "3:-0.1"])


def test_interaction_out_of_range_names_the_configuration():
    with pytest.raises(ProcessError) as error:
        EchoProcess(["3:+0.5", "3&8:+0.25"], base="0.5")
    assert str(error.value) == "P(y=1 | x[t-3]=1, x[t-8]=1) = 5/4 is outside [0, 1]; use --clip to clamp"
    clipped = EchoProcess(["3:+0.5", "3&8:+0.25"], clip=True)
    assert clipped.table == (F(1, 2), F(1), F(1, 2), F(1))
    assert clipped.raw_table[3] == F(5, 4)


def test_is_additive():
    assert EchoProcess(["3:+0.5", "8:-0.25"]).is_additive
    assert EchoProcess([]).is_additive
    assert not EchoProcess(["3:+0.5", "3^8:-0.25"]).is_additive


def test_interaction_describe_and_to_dict():
    process = EchoProcess(["3^8:+0.4", "3:-0.1", "0&3&8:b"], base="0.3", p_x="1/3")
    assert process.describe() == (
        "x[t] ~ Bernoulli(1/3); P(y[t]=1 | x) = 3/10 - 1/10*x[t-3] + 2/5*(x[t-3] xor x[t-8])"
        " + b*x[t]*x[t-3]*x[t-8]"
    )
    assert process.to_dict()["rules"] == [
        {"lag": 3, "shift": "-1/10"},
        {"lags": [3, 8], "kind": "xor", "shift": "2/5", "rule": "3^8:+2/5"},
        {"lags": [0, 3, 8], "kind": "and", "shift": "b", "rule": "0&3&8:+b"},
    ]


def test_interaction_substitute():
    symbolic = EchoProcess(["3:a", "3^8:-b"])
    assert symbolic.substitute({"a": "0.1", "b": "1/5"}) == EchoProcess(["3:+0.1", "3^8:-0.2"])
    with pytest.raises(ProcessError, match="outside"):
        symbolic.substitute({"a": "1/2", "b": "-1/2"})


def test_the_cost_counts_lags_not_rules():
    lags = list(range(12))
    rules = [f"{lag}:0.001" for lag in lags] + [f"{lag}^{lag + 1}:0.001" for lag in lags[:-1]]
    assert len(EchoProcess(rules).lags) == 12  # 23 rules on 12 lags: a 4096-entry table
    # one AND rule over 30 lags: its table has 2^30 entries, refused before it is built
    with pytest.raises(LimitError, match=r"the 2\^30 configurations of 30 rule lags"):
        EchoProcess(["&".join(map(str, range(30))) + ":0.1"])
