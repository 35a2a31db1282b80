"""The README's examples are what the code does, and CI runs the README's test command."""

import doctest
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from echo_theory.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def console_examples():
    """($ command, expected output) pairs from the README's console blocks."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


def block_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)\n```", README, flags=re.S)
    assert match, f"no command after <!-- {marker} -->"
    return match.group(1)


@pytest.mark.parametrize(
    "command, output", console_examples(), ids=lambda x: x[:60] if isinstance(x, str) else ""
)
def test_console_examples(command, output):
    args = shlex.split(command)
    assert args[0] == "echo-theory"
    result = CliRunner().invoke(cli, args[1:])
    assert result.output == output
    assert result.exit_code == (2 if output.startswith("Error:") else 0)


def test_there_are_console_examples():
    assert len(console_examples()) >= 5


def test_api_example():
    blocks = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))
    test = doctest.DocTestParser().get_doctest(blocks, {}, "README.md", str(ROOT / "README.md"), 0)
    assert len(test.examples) >= 8
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def test_ci_runs_the_readme_test_command():
    printed = subprocess.run(
        [str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True, check=True
    )
    assert printed.stdout.strip() == block_after("test-command")
    assert block_after("test-command").endswith("pytest")


def test_main_command_installs_and_runs_the_seed():
    command = block_after("main-command")
    assert "pip install ." in command
    assert command.endswith("echo-theory compute --rule 3:+0.5 --rule 8:-0.25")


def test_ci_installs_pdflatex_for_the_latex_tests():
    """The LaTeX compile tests skip without pdflatex, so CI installs it before the test command."""
    script = (ROOT / ".ci" / "run").read_text()
    install = script.index("apt-get install -y -qq --no-install-recommends texlive-latex-base")
    assert (
        script.index("if ! command -v pdflatex") < install < script.index('bash -euo pipefail -c "$command"')
    )
    assert script.index('"${1:-}" = "--print"') < install  # --print installs nothing


def test_code_fences_are_closed():
    """Every fence that opens a block is closed by a bare ``` before the next one opens."""
    fences = [line for line in README.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0
    assert all(fence == "```" for fence in fences[1::2]), "a block opens where one should close"
