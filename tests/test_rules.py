from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from echo_theory import EchoTheoryError, ParseError, Rule, format_lags, parse_lags, parse_rule


def test_seed_rules():
    assert parse_rule("3:+0.5") == Rule(3, Fraction(1, 2))
    assert parse_rule("8:-0.25") == Rule(8, Fraction(-1, 4))
    assert parse_rule("0:.1") == Rule(0, Fraction(1, 10))
    assert parse_rule("12:1/3").shift == Fraction(1, 3)


def test_symbolic_rules():
    rule = parse_rule("8:-b")
    assert rule.is_symbolic
    assert str(rule) == "8:-b"
    assert rule.shift_text == "-b"
    assert str(parse_rule("3:0.5")) == "3:+1/2"


def test_rule_from_text_shift():
    assert Rule(3, "0.5") == Rule(3, Fraction(1, 2))
    assert Rule(3, 1) == Rule(3, Fraction(1))


@pytest.mark.parametrize(
    "text, message",
    [
        ("3+0.5", "rule '3+0.5' is not LAG:SHIFT (for example 3:+0.5)"),
        ("-3:0.5", "rule '-3:0.5': the lag must be an integer >= 0, not -3"),
        ("x:0.5", "rule 'x:0.5': the lag 'x' is not a whole number >= 0"),
        ("3.5:0.5", "rule '3.5:0.5': the lag '3.5' is not a whole number >= 0"),
        ("2000000:0.5", "rule '2000000:0.5': lag 2000000 is beyond the largest lag, 1000000"),
        ("3:", "rule '3:': shift: '' is not a number (0.5, -1/4) or a symbol name (a, -b, s_3)"),
        (
            "3:0.5:1",
            "rule '3:0.5:1': shift: '0.5:1' is not a number (0.5, -1/4) or a symbol name (a, -b, s_3)",
        ),
        (":0.5", "rule ':0.5': the lag '' is not a whole number >= 0"),
    ],
)
def test_malformed_rules_say_why(text, message):
    with pytest.raises(ParseError) as error:
        parse_rule(text)
    assert str(error.value) == message


def test_rule_checks_its_fields():
    with pytest.raises(ParseError, match="outside"):
        Rule(-1, Fraction(1, 2))
    with pytest.raises(ParseError, match="not a whole number"):
        Rule(True, Fraction(1, 2))
    with pytest.raises(ParseError, match="not a Fraction"):
        Rule(3, 0.5)  # a binary float is never silently accepted


def test_lag_sets():
    assert parse_lags("3,8") == (3, 8)
    assert parse_lags(" 8, 3 ,3") == (3, 8)
    assert parse_lags("none") == ()
    assert parse_lags("NONE") == ()
    for bad in ["", "3,", "a", "3;8", "-1"]:
        with pytest.raises(ParseError):
            parse_lags(bad)


@given(st.lists(st.integers(0, 10**6), max_size=6))
def test_lag_sets_round_trip(lags):
    expected = tuple(sorted(set(lags)))
    assert parse_lags(format_lags(expected)) == expected


@given(st.integers(0, 10**6), st.fractions(min_value=-2, max_value=2))
def test_rule_text_round_trips(lag, shift):
    rule = Rule(lag, shift)
    assert parse_rule(str(rule)) == rule


_rule_alphabet = st.sampled_from([*list("0123456789:+-./eE_abAZ ()*\n\t,&^"), "é", "٣", "\x00"])


@given(st.one_of(st.text(max_size=30), st.text(_rule_alphabet, max_size=30)))
def test_rule_parser_fuzz(text):
    """No input raises anything but the project's own error."""
    try:
        rule = parse_rule(text)
    except EchoTheoryError:
        return
    assert min(rule.lags) >= 0
    assert parse_rule(str(rule)) == rule


@pytest.mark.parametrize("lag", ["1234567890123", "9" * 40, "00000000000001000001"])
def test_a_long_lag_is_too_large_not_malformed(lag):
    with pytest.raises(ParseError, match=r"is beyond the largest lag, 1000000$"):
        parse_rule(f"{lag}:+0.5")
    with pytest.raises(ParseError, match=r"is beyond the largest lag, 1000000$"):
        parse_lags(f"3,{lag}")


def test_leading_zeros_are_still_a_lag():
    assert parse_lags("0000000000000003,8") == (3, 8)


def test_a_long_lag_list_parses_in_linear_time(monkeypatch):
    """120 KB of lags: quoting the whole text once per lag made this quadratic (10 s and more).
    The text is quoted once, whatever the number of lags (no timing: the machine is shared)."""
    from echo_theory import rules

    calls = []
    original = rules._show
    monkeypatch.setattr(rules, "_show", lambda text: calls.append(len(text)) or original(text))
    text = ",".join(str(i % 1000) for i in range(30000))
    assert parse_lags(text) == tuple(range(1000))
    assert len(calls) <= 1, calls


# --- interaction rules ------------------------------------------------------------------------


def test_interaction_rules():
    rule = parse_rule("8^3:0.4")
    assert (rule.lags, rule.kind, rule.shift) == ((3, 8), "xor", Fraction(2, 5))
    assert str(rule) == "3^8:+2/5"
    assert rule.condition_text == "3^8"
    assert parse_rule("3&8&1:-1/4") == Rule((1, 3, 8), Fraction(-1, 4), "and")
    assert str(parse_rule("3&8:-0.25")) == "3&8:-1/4"
    assert parse_rule("3:+0.5").lags == (3,) and parse_rule("3:+0.5").kind == "lag"
    assert parse_rule(" 3&8:+0.25 ") == parse_rule("3&8: +0.25")  # spaces around, as for 3:+0.5
    assert str(parse_rule("3^8:a")) == "3^8:+a"
    assert repr(rule) == "Rule(lags=(3, 8), shift=Fraction(2, 5), kind='xor')"
    assert repr(parse_rule("3:0.5")) == "Rule(lag=3, shift=Fraction(1, 2))"


def test_an_interaction_rule_has_no_single_lag():
    with pytest.raises(AttributeError, match=r"rule 3&8:\+1/4 has 2 lags: read rule.lags"):
        _ = parse_rule("3&8:0.25").lag


def test_conditions_hold():
    inputs = {3: 1, 5: 0, 8: 1}
    assert parse_rule("3&8:1").holds(inputs) and not parse_rule("3&5:1").holds(inputs)
    assert not parse_rule("3^8:1").holds(inputs) and parse_rule("3^5:1").holds(inputs)
    assert parse_rule("3^5^8:1").holds({3: 1, 5: 1, 8: 1})  # three ones: odd
    assert parse_rule("3:1").holds(inputs) and not parse_rule("5:1").holds(inputs)


@pytest.mark.parametrize(
    "text, message",
    [
        ("3&:+0.25", "rule '3&:+0.25': '&' has no lag after it"),
        ("&8:+0.25", "rule '&8:+0.25': '&' has no lag before it"),
        ("3&&8:+0.25", "rule '3&&8:+0.25': '&&' has no lag between its two '&'"),
        ("3&3:+0.25", "rule '3&3:+0.25': lag 3 appears twice in the condition; give each lag once"),
        ("3^8^3:+0.4", "rule '3^8^3:+0.4': lag 3 appears twice in the condition; give each lag once"),
        ("3^:+0.4", "rule '3^:+0.4': '^' has no lag after it"),
        ("^:+0.4", "rule '^:+0.4': '^' has no lag before it"),
        (
            "3&8^2:+0.4",
            "rule '3&8^2:+0.4': the condition '3&8^2' mixes & (and) with ^ (xor); no precedence is "
            "defined, so give one operator per rule",
        ),
        ("3 & 8:+0.25", "rule '3 & 8:+0.25': the condition '3 & 8' has spaces inside; write it without them"),
        (
            "3&\t8:+0.25",
            "rule '3&\\t8:+0.25': the condition '3&\\t8' has spaces inside; write it without them",
        ),
        ("3^8", "rule '3^8' has no shift: write CONDITION:SHIFT (for example 3&8:+0.25)"),
        ("3&", "rule '3&': '&' has no lag after it"),
        ("3^", "rule '3^': '^' has no lag after it"),
        ("3&x:+0.25", "rule '3&x:+0.25': the lag 'x' is not a whole number >= 0"),
        ("3&-1:+0.25", "rule '3&-1:+0.25': the lag must be an integer >= 0, not -1"),
        ("3&2000000:1", "rule '3&2000000:1': lag 2000000 is beyond the largest lag, 1000000"),
        ("3&8:", "rule '3&8:': shift: '' is not a number (0.5, -1/4) or a symbol name (a, -b, s_3)"),
        ("3|8:+0.25", "rule '3|8:+0.25': the lag '3|8' is not a whole number >= 0"),
    ],
)
def test_malformed_interaction_rules_say_why(text, message):
    with pytest.raises(ParseError) as error:
        parse_rule(text)
    assert str(error.value) == message


def test_interaction_rule_checks_its_fields():
    with pytest.raises(ParseError, match=r"^rule 3: an and rule needs two lags or more"):
        Rule((3,), Fraction(1, 4), "and")
    with pytest.raises(ParseError, match=r"^rule 3&8: a lag rule has one lag; join several with &"):
        Rule((3, 8), Fraction(1, 4))
    with pytest.raises(ParseError, match=r"^rule 3\^3: lag 3 appears twice"):
        Rule((3, 3), Fraction(1, 4), "xor")
    with pytest.raises(ParseError, match=r"^rule kind 'or' is not one of lag, and, xor$"):
        Rule((3, 8), Fraction(1, 4), "or")
    with pytest.raises(ParseError, match="outside"):
        Rule((3, -8), Fraction(1, 4), "and")
    with pytest.raises(ParseError, match=r"^rule 3\^8: shift 0.5 is not a Fraction"):
        Rule((3, 8), 0.5, "xor")


conditions = st.tuples(
    st.lists(st.integers(0, 10**6), min_size=2, max_size=6, unique=True), st.sampled_from(["and", "xor"])
)


@given(conditions, st.fractions(min_value=-2, max_value=2))
def test_interaction_rule_text_round_trips(condition, shift):
    lags, kind = condition
    rule = Rule(lags, shift, kind)
    assert rule.lags == tuple(sorted(lags))
    assert parse_rule(str(rule)) == rule


# Rule-shaped text: lags, operators, colons, spaces and shifts in any order.
_tokens = st.sampled_from(
    ["3", "8", "0", "12", "007", "&", "^", ":", "+0.25", "-1/4", "a", " ", "", ",", "-"]
)


@given(st.lists(_tokens, max_size=8).map("".join))
def test_interaction_grammar_fuzz(text):
    """Anything rule-shaped either parses to a rule that round-trips, or is one line of
    ParseError that quotes the text."""
    try:
        rule = parse_rule(text)
    except ParseError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("rule")
        return
    assert parse_rule(str(rule)) == rule
    assert len(set(rule.lags)) == len(rule.lags) and (rule.kind == "lag") == (len(rule.lags) == 1)
    condition = text.strip().partition(":")[0].strip()
    assert ("&" in condition) == (rule.kind == "and") and ("^" in condition) == (rule.kind == "xor")
