"""The laid-out derivations: the numbers printed parse back to the engine's values, and the
maths is well formed in every format."""

import re
import shutil
import subprocess
from fractions import Fraction

import pytest

from echo_theory import EchoProcess
from echo_theory.literals import parse_number
from echo_theory.typeset import _lines, _split, _tex_width

SEED = ["3:+0.5", "8:-0.25"]


def chains(text):
    """Displayed equations of the text format: (lhs, [(relation, right side), ...]), with
    continuation lines joined to their row."""
    found = []
    for line in text.split("\n"):
        start = re.match(r"^  (\S.*?) ([=≈]) (.*)$", line)
        stripped = line.strip()
        if start:
            lhs, relation, rest = start.groups()
            found.append((lhs, [(relation, rest)]))
        elif found and line.startswith("   ") and stripped[:1] in ("=", "≈"):
            found[-1][1].append((stripped[0], stripped[2:]))
        elif found and line.startswith("   ") and stripped[:2] in ("+ ", "- "):
            relation, rest = found[-1][1][-1]
            found[-1][1][-1] = (relation, f"{rest} {stripped}")
    return found


def terms(row):
    """'1/2·1/2 + 1/2·1/4' -> [[1/2, 1/2], [1/2, 1/4]]"""
    return [[parse_number(f) for f in term.split("·")] for term in row.split(" + ")]


def test_text_numbers_parse_back_to_the_engine():
    process = EchoProcess(SEED)
    text = process.derive().to_text()
    found = chains(text)
    by_lhs = {}
    for lhs, rows in found:
        by_lhs.setdefault(lhs, []).append(rows)
    checked = 0
    for learned in process.subsets():
        hidden = [lag for lag in process.lags if lag not in learned]
        for total in process.marginal_sums(learned):
            cell = total.cell
            given = process.config_text(sum(b << i for i, b in enumerate(cell.bits)), learned)
            one, zero = (f"P(y={y} | {given})" if learned else f"P(y={y})" for y in (1, 0))
            if hidden:
                (rows,) = by_lhs[one]
                assert parse_number(rows[-1][1]) == cell.probability
                numbers = terms(rows[-2][1])
                assert numbers == [[*t.factors, t.probability] for t in total.terms]
                (rows,) = by_lhs[zero]
                assert parse_number(rows[-1][1]) == 1 - cell.probability
                checked += 1
        name = f"H(Y | {', '.join(f'x[t-{lag}]' for lag in learned)})" if learned else "H(Y)"
        entropy, result, *_ = by_lhs[name]
        values = [float(v) for v in entropy[-1][1].split(" + ")]
        expected = [t.value.value for t in process.derive([learned]).step("entropy", learned).terms]
        assert values == pytest.approx(expected, abs=5e-7)
        h = process.cross_entropy(learned)
        assert result[0][1] == h.text
        number, units = result[1][1].split()
        assert abs(float(number) - h.value) <= 5e-11 and units == "nats"
    assert checked == 5  # P(y=1), and two cells each for {3} and {8}
    # the conditional table's rows
    table_row = re.compile(r"^\s+[01]\s+[01]\s+\S+\s+\S+\s+\S+$")
    rows = [line.split() for line in text.split("\n") if table_row.match(line)]
    assert len(rows) == 4
    for mask, row in enumerate(rows):
        bits, weight, one, zero = row[:2], *map(parse_number, row[2:])
        assert [int(b) for b in bits] == [mask & 1, mask >> 1 & 1]
        assert (weight, one, zero) == (Fraction(1, 4), process.table[mask], 1 - process.table[mask])


def test_text_explains_zero_log_zero_once_where_it_happens():
    text = EchoProcess(SEED).derive().to_text()
    assert text.count("0·log(0)") >= 2
    assert text.count("the convention") == 1
    paragraph = text[text.index("At x[t-3]=1, x[t-8]=0 the outcome is certain") :]
    assert "q·log(q) tends to 0 as q → 0" in " ".join(paragraph.split()[:40])
    bits = EchoProcess(SEED).derive(units="bits").to_text()
    assert "0·log2(0)" in bits and "≈ 0.6556390622 bits" in bits


def test_text_lines_are_short_and_maths_is_not_broken():
    text = EchoProcess(["1:0.1", "2:-0.2", "3:0.15"], p_x="2/7").derive().to_text()
    body = text[: text.index("\nSummary\n")]  # the summary table is as wide as its exact forms
    assert max(len(line) for line in body.split("\n")) <= 100
    # a wrapped paragraph never splits a formula such as P(y=1 | x_S)
    for line in text.split("\n"):
        assert not line.rstrip().endswith(("P(y=1", "P(y=1 |", "x[t-1]=0,"))


def math_segments(markdown):
    display = re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, flags=re.S | re.M)
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    inline = re.findall(r"\$([^$\n]+)\$", rest)
    return display, inline, rest


def balanced(tex):
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and len(re.findall(r"\\left\b", tex)) == len(re.findall(r"\\right\b", tex))


@pytest.mark.parametrize(
    "rules, options, shown",
    [
        (SEED, {}, r"\tfrac{5}{8}"),
        (["3:a", "8:-b"], {"at": {"a": "1/2", "b": "1/4"}}, r"\le a \le"),
        (["3:+0.25", "3^8:+0.25", "3&8:-0.25"], {}, r"x_{t-3} \oplus x_{t-8}"),
    ],
)
def test_markdown_maths_is_well_formed(rules, options, shown):
    markdown = EchoProcess(rules).derive(**options).to_markdown()
    display, inline, rest = math_segments(markdown)
    assert display and inline
    assert rest.count("$") == 2 * len(inline)  # every inline $ is paired on its line
    for block in display:
        assert block.startswith(r"\begin{")
        for line in block.split("\n")[1:-1]:
            assert balanced(line.removesuffix(r" \\")), line  # each aligned line stands alone
    for segment in inline:
        assert balanced(segment) and segment == segment.strip()
    assert shown in markdown and r"0 \log 0" in markdown


def test_latex_document_and_fragment():
    derivation = EchoProcess(SEED).derive()
    document = derivation.to_latex()
    fragment = derivation.to_latex(standalone=False)
    assert document.startswith("\\documentclass{article}\n")
    assert re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", document) == ["amsmath"]
    assert document.endswith("\\end{document}\n")
    assert fragment in document and "\\documentclass" not in fragment
    assert document.isascii()
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", document, flags=re.S):
        for line in block.split("\n"):
            assert balanced(line.removesuffix(r" \\")), line


def compile_latex(tex, tmp_path):
    path = tmp_path / "derivation.tex"
    path.write_text(tex)
    result = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", path.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, (tmp_path / "derivation.log").read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "rules, process_options, options",
    [
        (SEED, {}, {}),
        (["3:a", "8:-b"], {}, {"at": {"a": "1/2", "b": "1/4"}}),
        (["0:+0.75", "2:+0.75", "5:-0.1"], {"base": "0.1", "p_x": "0.3", "clip": True}, {"units": "bits"}),
        (["3:+0.3", "3^8:+0.4", "3&8:-0.5"], {"base": "0.2", "clip": True}, {}),
        (["3:a", "3^8:b"], {}, {"at": {"a": "1/10", "b": "2/5"}}),
    ],
)
def test_latex_compiles_cleanly(tmp_path, rules, process_options, options):
    tex = EchoProcess(rules, **process_options).derive(**options).to_latex()
    result, log = compile_latex(tex, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "derivation.pdf").stat().st_size > 10_000
    assert "Overfull \\hbox" not in log  # nothing runs into the margin
    assert "LaTeX Warning" not in log


def test_split_into_top_level_terms():
    assert _split("3*log(2) - 3/16*log(3) + 5/16*log(5)") == [
        ("+", "3*log(2)"),
        ("-", "3/16*log(3)"),
        ("+", "5/16*log(5)"),
    ]
    assert _split("-(a - b)*log(a - b)/2 - c") == [("-", "(a - b)*log(a - b)/2"), ("-", "c")]
    assert _split(r"- \frac{\left(a - b\right) \log{\left(a + b \right)}}{2} + 1") == [
        ("-", r"\frac{\left(a - b\right) \log{\left(a + b \right)}}{2}"),
        ("+", "1"),
    ]


def test_lines_keep_to_the_budget_and_keep_groups_together():
    items = [("+", "aaaa"), [("-", "bbb"), ("+", "ccc")], ("+", "dd")]
    assert _lines(items, len, 20) == [[("+", "aaaa"), ("-", "bbb"), ("+", "ccc"), ("+", "dd")]]
    # the group moves to a new line rather than break
    assert _lines(items, len, 7) == [[("+", "aaaa")], [("-", "bbb"), ("+", "ccc")], [("+", "dd")]]
    # a group wider than a line breaks after all; a term wider than a line stands alone
    assert _lines([[("+", "aaaa"), ("+", "bbbb")], ("+", "c" * 9)], len, 5) == [
        [("+", "aaaa")],
        [("+", "bbbb")],
        [("+", "c" * 9)],
    ]


def test_tex_width_counts_what_is_set():
    assert _tex_width(r"\tfrac{1}{2}") == 1
    assert _tex_width(r"\tfrac{13}{20}\cdot x") < _tex_width(r"\tfrac{13}{20}\cdot x + y")
    assert _tex_width(r"\log 2") == 4
    assert _tex_width(r"x_{t-3}") < _tex_width("xt-3")
