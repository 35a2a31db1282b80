"""The training plot: a PNG when matplotlib is there, a clear error when it is not."""

import sys

import pytest

from echo_theory import EchoProcess
from echo_theory.errors import DependencyError, SettingError
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


def test_plot_is_png_whatever_the_name(result, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curve.pdf"
    plot_training(result, path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_missing_matplotlib(monkeypatch, result, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(DependencyError) as error:
        require_matplotlib()
    assert str(error.value) == "--plot needs matplotlib, an optional extra: pip install 'echo-theory[plot]'"
    with pytest.raises(DependencyError):
        plot_training(result, tmp_path / "curve.png")


def test_target_checks(tmp_path):
    assert check_target(tmp_path / "a.png") == tmp_path / "a.png"
    with pytest.raises(SettingError, match="does not exist"):
        check_target(tmp_path / "missing" / "a.png")
    with pytest.raises(SettingError, match="is a directory"):
        check_target(tmp_path)
