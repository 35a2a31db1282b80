import shutil
import subprocess
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from echo_theory.errors import EchoTheoryError, ParseError
from echo_theory.literals import (
    NUMBER_HINT,
    format_fraction,
    make_symbol,
    parse_assignments,
    parse_count,
    parse_number,
    parse_probability,
    parse_shift,
    symbol_name_problem,
)


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.1", Fraction(1, 10)),
        ("+0.5", Fraction(1, 2)),
        ("-0.25", Fraction(-1, 4)),
        (".1", Fraction(1, 10)),
        ("5.", Fraction(5)),
        ("1/3", Fraction(1, 3)),
        ("-1/4", Fraction(-1, 4)),
        ("+2/4", Fraction(1, 2)),
        ("1e-3", Fraction(1, 1000)),
        ("2.5E1", Fraction(25)),
        (" 0.3 ", Fraction(3, 10)),
        ("0.1000000000000000055511151231257827", Fraction("0.1000000000000000055511151231257827")),
    ],
)
def test_numbers_are_exact(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "x: 'abc' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("1/0", "x: '1/0' divides by zero"),
        ("0x10", "x: '0x10' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("1e31", "x: the exponent in '1e31' is beyond +-30"),
        ("1/-2", "x: '1/-2' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("", "x: '' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("nan", "x: 'nan' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("1" * 101, "x: '" + "1" * 56 + "...' is longer than 100 characters"),
    ],
)
def test_bad_numbers_say_why(text, message):
    with pytest.raises(ParseError) as error:
        parse_number(text, "x")
    assert str(error.value) == message


def test_probability_range():
    assert parse_probability("1") == 1
    assert parse_probability("0") == 0
    with pytest.raises(ParseError, match=r"^--base: 3/2 is outside \[0, 1\]$"):
        parse_probability("1.5", "--base")
    with pytest.raises(ParseError, match=r"^--p-x: -1/10 is outside \[0, 1\]$"):
        parse_probability("-0.1", "--p-x")


def test_shift_symbols_are_real_symbols():
    import sympy

    a = parse_shift("a")
    assert a == sympy.Symbol("a", real=True)
    assert parse_shift("-s_3") == -sympy.Symbol("s_3", real=True)
    assert parse_shift("0.5") == Fraction(1, 2)


@pytest.mark.parametrize("text", ["__import__('os')", "a+b", "2*a", "a b", "é", "1a", "--a", "a.b", "log(2)"])
def test_shift_rejects_everything_but_numbers_and_names(text):
    with pytest.raises(ParseError, match="is not a number"):
        parse_shift(text)


@given(st.fractions(min_value=-10, max_value=10))
def test_exact_text_round_trips(value):
    assert parse_number(format_fraction(value)) == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-1000, max_value=1000))
def test_decimal_text_is_exact(value):
    assert parse_number(str(value)) == Fraction(value)


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_our_error(text):
    for parse in (parse_number, parse_shift):
        try:
            parse(text)
        except EchoTheoryError:
            pass


def test_assignments():
    assert parse_assignments("a=1/2,b=1/4") == {"a": Fraction(1, 2), "b": Fraction(1, 4)}
    assert parse_assignments(" s_3 = -0.25 , x=2 ") == {"s_3": Fraction(-1, 4), "x": Fraction(2)}


@pytest.mark.parametrize(
    "text, count",
    [("10000000", 10**7), ("1e7", 10**7), ("2.5e6", 2_500_000), ("1E3", 1000), ("1", 1), ("120e-1", 12)],
)
def test_counts_take_e_notation(text, count):
    assert parse_count(text, "--samples") == count


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "--at: empty; give values such as a=1/2,b=1/4"),
        ("a", "--at: 'a' is not NAME=VALUE (for example a=1/2)"),
        ("a=1,,b=2", "--at: '' is not NAME=VALUE (for example a=1/2)"),
        ("1a=2", "--at: '1a' is not a symbol name (a, b, s_3)"),
        ("-a=2", "--at: '-a' is not a symbol name (a, b, s_3)"),
        ("a=1,a=2", "--at: a is given twice"),
        ("a=b", "--at: a: 'b' is not a number; give a decimal such as 0.25 or a fraction such as 1/4"),
        ("a=__import__('os')", "--at: a: \"__import__('os')\" is not a number; " + NUMBER_HINT),
    ],
)
def test_bad_assignments(text, message):
    with pytest.raises(ParseError) as error:
        parse_assignments(text, "--at")
    assert str(error.value) == message


@pytest.mark.parametrize(
    "text, message",
    [
        ("0", "--samples: '0' is not positive"),
        ("-5", "--samples: '-5' is not positive"),
        ("1.5", "--samples: '1.5' is not a whole number"),
        ("2.5e-1", "--samples: '2.5e-1' is not a whole number"),
        ("1/2", "--samples: '1/2' is not a whole number"),
        ("many", "--samples: 'many' is not a number; give a count such as 10000000 or 1e7"),
        ("1e99", "--samples: the exponent in '1e99' is beyond +-30"),
    ],
)
def test_bad_counts(text, message):
    with pytest.raises(ParseError) as error:
        parse_count(text, "--samples")
    assert str(error.value) == message


@given(st.integers(1, 10**15))
def test_counts_round_trip(count):
    assert parse_count(str(count)) == count
    assert parse_count(f"{count:e}".replace("e+", "e")) == Fraction(f"{count:e}")


# --- symbol names that would print as something else ----------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("nan", "it reads as the constant nan"),
        ("inf", "it reads as the constant inf"),
        ("oo", "it reads as the constant oo"),
        ("zoo", "it reads as the constant zoo"),
        ("pi", "it reads as the constant pi"),
        ("E", "it reads as the constant E"),
        ("I", "it reads as the constant I"),
        ("lambda", "lambda is a Python keyword"),
        ("True", "True is a Python keyword"),
        ("False", "False is a Python keyword"),
        ("None", "None is a Python keyword"),
        ("x", "x is part of the notation (x[t-3], y[t], H(Y | X_S), I(Y; X_S), log)"),
        ("y", "y is part of the notation (x[t-3], y[t], H(Y | X_S), I(Y; X_S), log)"),
        ("t", "t is part of the notation (x[t-3], y[t], H(Y | X_S), I(Y; X_S), log)"),
        ("afrak", "its LaTeX, \\mathfrak{a}, needs a package beyond amsmath (for \\mathfrak)"),
        ("ascr", "its LaTeX, \\mathscr{a}, needs a package beyond amsmath (for \\mathscr)"),
        ("varkappa", "its LaTeX, \\varkappa, needs a package beyond amsmath (for \\varkappa)"),
        ("_a", "a name begins and ends with a letter or digit"),
        ("a_", "a name begins and ends with a letter or digit"),
    ],
)
def test_names_that_mean_something_else_are_refused(name, reason):
    from echo_theory import parse_rule

    assert symbol_name_problem(name) == reason
    with pytest.raises(ParseError) as error:
        parse_rule(f"3:-{name}")
    assert str(error.value) == f"rule '3:-{name}': shift: {name!r} is not a usable symbol name: {reason}"
    with pytest.raises(ParseError, match="is not a usable symbol name"):
        make_symbol(name)


def test_a_sympy_shift_with_such_a_name_is_refused_too():
    import sympy

    from echo_theory import Rule

    with pytest.raises(ParseError, match="'pi' is not a usable symbol name"):
        Rule(3, sympy.Symbol("pi", real=True) / 2)


@pytest.mark.parametrize("name", ["a", "s_3", "alpha", "Gamma", "varphi", "ell", "abm", "ahat", "a__2", "b1"])
def test_ordinary_names_are_symbols(name):
    assert symbol_name_problem(name) is None
    assert make_symbol(name).name == name


def _compiles(tmp_path, body):
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    (tmp_path / "names.tex").write_text(document)
    done = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "names.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_allowed_macros_are_amsmath_s_and_the_refused_ones_are_not(tmp_path):
    """pdflatex, not a list typed in, decides: every macro a symbol's LaTeX may use compiles with
    amsmath alone, and the macros of the refused names do not."""
    import sympy

    from echo_theory import literals

    body = " ".join(
        f"$\\{macro}{{a}}$" if macro not in ("left", "right") else "" for macro in literals._LATEX_MACROS
    )
    assert _compiles(tmp_path, body + " $\\left( a \\right)$")
    for name in ["afrak", "ascr", "varkappa", "beth", "mho"]:
        assert not _compiles(tmp_path, f"${sympy.latex(sympy.Symbol(name))}$"), name
