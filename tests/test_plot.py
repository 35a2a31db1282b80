"""The training plot: a PNG when matplotlib is there, a clear error when it is not."""

import os
import signal
import subprocess
import sys

import pytest

from echo_theory import EchoProcess
from echo_theory.errors import DependencyError, EchoTheoryError, SettingError
from echo_theory.plot import check_target, plot_training, require_matplotlib
from echo_theory.training import TrainSettings, train


@pytest.fixture(scope="module")
def result():
    return train(
        EchoProcess(["3:+0.5", "8:-0.25"]), TrainSettings(series_length=20_000, batch_size=20, epochs=2)
    )


def test_plot_writes_a_png(result, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curve.png"
    plot_training(result, path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


@pytest.mark.parametrize(
    "name, magic",
    [("curve.pdf", b"%PDF-"), ("curve.svg", b"<?xml"), ("CURVE.PNG", b"\x89PNG")],
)
def test_the_suffix_picks_the_format(result, tmp_path, name, magic):
    pytest.importorskip("matplotlib")
    path = tmp_path / name
    plot_training(result, path)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [name]  # the temporary file is gone


@pytest.mark.parametrize("name", ["curve.jpg", "curve", "curve.png.txt"])
def test_an_unknown_suffix_is_refused(tmp_path, name):
    with pytest.raises(SettingError, match=r"give a name ending in \.png, \.pdf, \.svg"):
        check_target(tmp_path / name)


def test_a_failed_plot_keeps_the_old_file(result, tmp_path, monkeypatch):
    """An interrupt midway through the drawing: no partial file, and the old one as it was."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    path = tmp_path / "curve.png"
    path.write_bytes(b"old")

    def interrupted(self, handle, **options):
        handle.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plot_training(result, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["curve.png"]


def test_missing_matplotlib(monkeypatch, result, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(DependencyError) as error:
        require_matplotlib()
    assert str(error.value) == "--plot needs matplotlib, an optional extra: pip install 'echo-theory[plot]'"
    with pytest.raises(DependencyError):
        plot_training(result, tmp_path / "curve.png")


def test_target_checks(tmp_path):
    assert check_target(tmp_path / "a.png") == tmp_path / "a.png"
    with pytest.raises(EchoTheoryError, match="does not exist"):
        check_target(tmp_path / "missing" / "a.png")
    with pytest.raises(EchoTheoryError, match="is a folder"):
        check_target(tmp_path)
    with pytest.raises(EchoTheoryError, match="the file name is 304 bytes, too long"):
        check_target(tmp_path / ("c" * 300 + ".png"))
    with pytest.raises(EchoTheoryError, match="cannot write in the folder '/proc'"):
        check_target("/proc/c.png")  # every permission check passes for root; the probe does not


@pytest.mark.skipif(os.geteuid() == 0, reason="root may search and write any folder")
def test_target_in_a_folder_without_search_permission(tmp_path):
    folder = tmp_path / "closed"
    folder.mkdir()
    folder.chmod(0o600)  # readable and writable, not searchable
    try:
        with pytest.raises(EchoTheoryError, match="cannot write in the folder"):
            check_target(folder / "c.png")
    finally:
        folder.chmod(0o700)


SLOW_SAVEFIG = """
import sys, time
from matplotlib.figure import Figure

def slow(self, handle, **options):
    handle.write(b"\\x89PNG partial")
    handle.flush()
    sys.stderr.write("writing\\n")
    sys.stderr.flush()
    time.sleep(60)

Figure.savefig = slow
from echo_theory.cli import cli
cli(sys.argv[1:], prog_name="echo-theory")
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_write_leaves_the_old_file(tmp_path, signum):
    """The command killed while the plot is being written: the old file survives, no partial
    file or temporary is left, and no traceback is printed."""
    pytest.importorskip("matplotlib")
    path = tmp_path / "curve.png"
    path.write_bytes(b"old")
    args = ["train", "--rule", "3:+0.5", "--series-length", "2000", "--batch-size", "10", "-q"]
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVEFIG, *args, "--plot", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr.readline() == "writing\n"
    assert any(name.endswith(".part") for name in os.listdir(tmp_path))
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signum  # 130 for SIGINT, as for Ctrl-C
    assert "Traceback" not in err and out == ""
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["curve.png"]
