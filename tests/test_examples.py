"""The checked-in examples are what examples/make_examples.py writes now."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load_script():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_examples_match_a_fresh_run():
    documents = load_script().documents()
    assert sorted(documents) == ["seed-symbolic.md", "seed-symbolic.tex", "seed.md", "seed.tex"]
    for name, text in documents.items():
        assert (EXAMPLES / name).read_text() == text, (
            f"examples/{name} is stale: run examples/make_examples.py"
        )


def test_every_latex_example_has_its_pdf():
    for tex in EXAMPLES.glob("*.tex"):
        pdf = tex.with_suffix(".pdf")
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF-"), pdf.name


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_script_compiles_the_pdfs(tmp_path):
    script = load_script()
    pdf = script.compile_pdf(EXAMPLES / "seed.tex", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 10_000
