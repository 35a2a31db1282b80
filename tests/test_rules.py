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


_rule_alphabet = st.sampled_from([*list("0123456789:+-./eE_abAZ ()*\n\t,"), "é", "٣", "\x00"])


@given(st.one_of(st.text(max_size=30), st.text(_rule_alphabet, max_size=30)))
def test_rule_parser_fuzz(text):
    """No input raises anything but the project's own error."""
    try:
        rule = parse_rule(text)
    except EchoTheoryError:
        return
    assert rule.lag >= 0
    assert parse_rule(str(rule)) == rule


@pytest.mark.parametrize("lag", ["1234567890123", "9" * 40, "00000000000001000001"])
def test_a_long_lag_is_too_large_not_malformed(lag):
    with pytest.raises(ParseError, match=r"is beyond the largest lag, 1000000$"):
        parse_rule(f"{lag}:+0.5")
    with pytest.raises(ParseError, match=r"is beyond the largest lag, 1000000$"):
        parse_lags(f"3,{lag}")


def test_leading_zeros_are_still_a_lag():
    assert parse_lags("0000000000000003,8") == (3, 8)


def test_a_long_lag_list_parses_in_linear_time():
    """120 KB of lags: quoting the whole text once per lag made this quadratic (10 s and more);
    ten times the text must take about ten times as long, not a hundred."""
    import time

    def seconds(count):
        text = ",".join(str(i % 1000) for i in range(count))
        start = time.perf_counter()
        parse_lags(text)
        return time.perf_counter() - start

    seconds(1000)  # warm up
    small, large = min(seconds(3000) for _ in range(3)), min(seconds(30000) for _ in range(3))
    assert large < 1.0 and large / small < 30, (small, large)
