from fractions import Fraction

import pytest
import sympy

from echo_theory import MAX_RULES, MAX_SYMBOLIC_RULES, EchoProcess, LimitError, ProcessError, Rule
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


def test_rule_limit_says_why():
    rules = [f"{lag}:0.01" for lag in range(MAX_RULES + 1)]
    with pytest.raises(LimitError) as error:
        EchoProcess(rules)
    assert f"limit of {MAX_RULES}" in str(error.value)
    assert "3^n" in str(error.value)
    assert len(EchoProcess(rules[:MAX_RULES]).table) == 2**MAX_RULES


def test_symbolic_rule_limit_says_why():
    rules = [f"{lag}:0.01" for lag in range(MAX_SYMBOLIC_RULES)] + ["99:a"]
    with pytest.raises(LimitError, match=f"limit of {MAX_SYMBOLIC_RULES}: each subset's closed form"):
        EchoProcess(rules)
    assert EchoProcess(rules[1:]).is_symbolic


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


def test_the_limits_count_lags_not_rules():
    lags = list(range(MAX_RULES))
    rules = [f"{lag}:0.001" for lag in lags] + [f"{lag}^{lag + 1}:0.001" for lag in lags[:-1]]
    assert len(EchoProcess(rules).lags) == MAX_RULES  # 23 rules on 12 lags
    with pytest.raises(LimitError, match=rf"^13 rule lags is more than the engine's limit of {MAX_RULES}"):
        EchoProcess(["0&1&2&3&4&5&6&7&8&9&10&11&12:0.1"])
    with pytest.raises(
        LimitError, match=rf"^8 rule lags with symbols is more than the limit of {MAX_SYMBOLIC_RULES}"
    ):
        EchoProcess(["0^1^2^3^4^5^6^7:a"])
