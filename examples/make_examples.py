"""Write the worked examples: the seed post's task derived in full, with numbers and with symbols.

    python examples/make_examples.py

writes seed.md, seed.tex, seed-symbolic.md and seed-symbolic.tex beside this script, and
compiles each .tex to a PDF when pdflatex is installed. tests/test_examples.py checks that the
checked-in .md and .tex files are what this script writes now.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from echo_theory import EchoProcess

HERE = Path(__file__).resolve().parent

# name -> (rules, arguments of derive); the same as
#   echo-theory derive --rule 3:+0.5 --rule 8:-0.25 --format markdown|latex
#   echo-theory derive --rule 3:a --rule 8:-b --at a=1/2,b=1/4 --format markdown|latex
EXAMPLES = {
    "seed": (["3:+0.5", "8:-0.25"], {}),
    "seed-symbolic": (["3:a", "8:-b"], {"at": {"a": "1/2", "b": "1/4"}}),
}


def documents() -> dict[str, str]:
    """File name -> contents, for every Markdown and LaTeX example."""
    out = {}
    for name, (rules, arguments) in EXAMPLES.items():
        derivation = EchoProcess(rules).derive(**arguments)
        out[f"{name}.md"] = derivation.to_markdown()
        out[f"{name}.tex"] = derivation.to_latex()
    return out


def compile_pdf(tex: Path, into: Path) -> Path:
    """Run pdflatex on ``tex`` in a scratch folder (twice is not needed: no references) and
    copy the PDF into ``into``. The date is fixed so that an unchanged document gives the same PDF."""
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(tex, scratch)
        result = subprocess.run(
            ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", tex.name],
            cwd=scratch,
            capture_output=True,
            text=True,
            env=environment,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pdflatex failed on {tex.name}:\n{result.stdout[-2000:]}")
        pdf = into / tex.with_suffix(".pdf").name
        shutil.copy(Path(scratch) / pdf.name, pdf)
    return pdf


def main() -> int:
    for name, text in documents().items():
        (HERE / name).write_text(text)
        print(f"wrote examples/{name}")
    if shutil.which("pdflatex") is None:
        print("pdflatex is not installed: the PDFs are unchanged", file=sys.stderr)
        return 0
    for name in EXAMPLES:
        pdf = compile_pdf(HERE / f"{name}.tex", HERE)
        print(f"wrote examples/{pdf.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
