import math
import shutil
import subprocess

import pytest

from echo_theory import EchoProcess

SEED = ["3:+0.5", "8:-0.25"]


def test_data_frame_has_one_row_per_subset():
    frame = EchoProcess(SEED).subset_table().to_frame()
    assert list(frame.columns) == ["learned", "cross_entropy", "exact", "information"]
    assert list(frame["learned"]) == [(), (3,), (8,), (3, 8)]
    assert frame["cross_entropy"].dtype == float
    assert frame.attrs["units"] == "nats"
    assert frame.loc[3, "cross_entropy"] == EchoProcess(SEED).cross_entropy([3, 8]).value
    assert frame["information"].iloc[0] == 0.0


def test_symbolic_frame_has_missing_floats():
    frame = EchoProcess(["3:a"]).subset_table().to_frame()
    assert frame["cross_entropy"].isna().all()
    assert frame["exact"].str.contains("log").all()


def test_notebook_display():
    table = EchoProcess(SEED).subset_table()
    assert table._repr_markdown_() == table.to_markdown()
    value = EchoProcess(SEED).cross_entropy([3])
    assert (
        value._repr_latex_()
        == r"$3 \log 2 - \frac{3}{16} \log 3 - \frac{5}{16} \log 5 - \frac{7}{16} \log 7$"
    )


def test_row_lookup_and_float():
    table = EchoProcess(SEED).subset_table(units="bits")
    row = table.row([8, 3])
    assert row.learned == (3, 8)
    assert float(row.cross_entropy) == row.cross_entropy.value
    assert math.isclose(row.cross_entropy.in_units("nats").value, 0.4544543674493905, abs_tol=1e-15)


def test_symbolic_value_refuses_float():
    value = EchoProcess(["3:a"]).cross_entropy([3])
    assert value.is_symbolic and value.value is None
    try:
        float(value)
    except TypeError as error:
        assert "substitute" in str(error)
    else:
        raise AssertionError("a symbolic value became a float")


def test_text_table_right_aligns_numbers_under_their_header():
    lines = EchoProcess(SEED).subset_table().to_text().splitlines()[2:]
    header = lines[0]
    end = header.index("cross entropy (nats)") + len("cross entropy (nats)")
    for line in lines[2:]:
        assert line[end - 1].isdigit() and line[end] == " "
        assert line[end - 12 : end] == line[end - 12 : end].strip().rjust(12)


def test_window_rows_frame_and_dict():
    table = EchoProcess(SEED).subset_table(window=5)
    frame = table.to_frame()
    assert list(frame.columns) == [
        "learned",
        "cross_entropy",
        "exact",
        "information",
        "window_cross_entropy",
        "window_exact",
    ]
    assert frame.attrs["window"] == 5
    assert frame.loc[1, "window_cross_entropy"] == EchoProcess(SEED).window_cross_entropy([3], 5).value
    data = table.to_dict()
    assert list(data) == ["process", "units", "window", "rows"]
    assert data["rows"][1]["window_exact"] == EchoProcess(SEED).window_cross_entropy([3], 5).text
    # without a window, nothing changes
    plain = EchoProcess(SEED).subset_table()
    assert "window" not in plain.to_dict() and "window_cross_entropy" not in plain.to_frame()


def test_window_column_in_every_format():
    table = EchoProcess(SEED).subset_table(window=9)
    expected = f"{EchoProcess(SEED).window_cross_entropy([3, 8], 9).value:.10f}"
    text = table.to_text().splitlines()
    assert "window T=9 (nats)" in text[2]
    assert text[-1].split()[3] == expected
    assert "| window T=9 (nats) |" in table.to_markdown()
    assert table.to_latex().startswith("\\noindent\n\\begin{tabularx}{\\linewidth}{lrrr")
    assert table.to_csv().splitlines()[0] == (
        "learned,cross_entropy,information,window_cross_entropy,exact,window_exact"
    )


COMPUTE_PREAMBLE = (
    "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{tabularx}\n\\begin{document}\n"
)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "rules, window, clip",
    [
        (SEED, 9, False),
        (SEED, None, False),
        (["3:+0.5", "8:-0.25", "5:+1/8"], 9, True),
        (["3:a", "8:-b"], 9, False),
    ],
)
def test_compute_latex_compiles_in_the_documented_preamble(tmp_path, rules, window, clip):
    """amsmath and tabularx (as the README says) and no undefined macro; numbers' exact forms
    break within their column, so nothing runs into the margin. (A symbolic form breaks only
    between its terms, and one term may be wider than the column.)"""
    table = EchoProcess(rules, clip=clip).subset_table(window=window)
    (tmp_path / "table.tex").write_text(COMPUTE_PREAMBLE + table.to_latex() + "\\end{document}\n")
    result = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "table.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / "table.log").read_text(errors="replace")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Undefined control sequence" not in log
    if not table.process.is_symbolic:
        assert "Overfull \\hbox" not in log


# --- reading results in a terminal and a notebook -------------------------------------------


def test_print_gives_the_text_table_and_repr_stays_short():
    table = EchoProcess(SEED).subset_table()
    assert str(table) == table.to_text().rstrip("\n")
    assert repr(table) == "<SubsetTable: 4 rows in nats; print() shows it>"
    derivation = EchoProcess(SEED).derive([[3]])
    assert str(derivation) == derivation.to_text().rstrip("\n")
    assert repr(derivation) == "<Derivation: 6 steps for 1 subset; print() shows it>"


def test_an_exact_value_renders_in_a_notebook():
    value = EchoProcess(SEED).cross_entropy([3, 8])
    assert value._repr_markdown_() == f"${value.latex}$" == value._repr_latex_()


@pytest.mark.parametrize("learned", [3, 3.0, None])
def test_a_single_lag_is_not_a_learned_set(learned):
    from echo_theory.errors import EchoTheoryError

    with pytest.raises(EchoTheoryError, match=r"^learned: expected a collection of lags such as \[3\]"):
        EchoProcess(SEED).cross_entropy(learned)


@pytest.mark.parametrize("learned", [["3"], [3.0], [True]])
def test_a_learned_set_holds_whole_numbers(learned):
    from echo_theory.errors import EchoTheoryError

    with pytest.raises(EchoTheoryError, match="is not a lag"):
        EchoProcess(SEED).cross_entropy(learned)
