"""A non-editable install puts the CLI under echo_theory.cli, and nothing called ``cli`` at top level."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Build from a copy, so setuptools' build/ cache never lands in (or comes from) the checkout.
    source = tmp_path_factory.mktemp("source") / "echo-theory"
    ignore = shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
    )
    shutil.copytree(ROOT, source, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("echo_theory-*.whl")
    return path


@pytest.mark.slow
def test_wheel_layout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "echo_theory/cli/__init__.py" in names
    assert "echo_theory/cli/compute.py" in names
    assert "echo_theory/sweep/store.py" in names
    assert "echo_theory/py.typed" in names
    top_level = {name.split("/")[0] for name in names}
    assert "cli" not in top_level
    assert top_level <= {"echo_theory"} | {n for n in top_level if n.endswith(".dist-info")}


@pytest.mark.slow
def test_non_editable_install_runs(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert not (site / "cli").exists()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import echo_theory.cli as c, echo_theory as e; print(e.__file__); print(c.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.split()
    assert all(Path(path).is_relative_to(site) for path in where)
    script = site / "bin" / "echo-theory"
    result = subprocess.run(
        [sys.executable, str(script), "compute", "--rule", "3:+0.5", "--rule", "8:-0.25", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    rows = json.loads(result.stdout)["rows"]
    assert [row["learned"] for row in rows] == [[], [3], [8], [3, 8]]
