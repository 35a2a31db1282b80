from echo_theory import render


def test_text_table_pads_and_aligns():
    text = render.text_table(["a", "value"], [["x", "1.5"], ["long", "10.25"]], [False, True])
    assert text == "a     value\n----  -----\nx       1.5\nlong  10.25\n"


def test_markdown_escapes_pipes():
    text = render.markdown_table(["a", "b"], [["x|y", "1"]], [False, True])
    assert text == "| a | b |\n|:---|---:|\n| x\\|y | 1 |\n"


def test_latex_tabular():
    text = render.latex_tabular(["a", "b"], [["$x$", "1"]], [False, True])
    assert (
        text == "\\begin{tabular}{lr}\n\\hline\na & b \\\\\n\\hline\n$x$ & 1 \\\\\n\\hline\n\\end{tabular}\n"
    )


def test_csv_quotes_commas():
    assert render.csv_table(["learned"], [["3,8"]]) == 'learned\n"3,8"\n'


def test_fixed():
    assert render.fixed(None) == "symbolic"
    assert render.fixed(0.5, 3) == "0.500"
