import os

import pytest

from echo_theory.atomic import atomic_output, check_output_path
from echo_theory.errors import EchoTheoryError


def test_written_whole(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as handle:
        handle.write(b"abc")
    assert target.read_bytes() == b"abc"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_interrupt_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_output(target, "w") as handle:
        handle.write("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_permissions_follow_the_umask(tmp_path):
    target = tmp_path / "out.txt"
    umask = os.umask(0o022)
    try:
        with atomic_output(target, "w") as handle:
            handle.write("x")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing/out.png", "does not exist"),
        ("a" * 300 + ".png", "too long"),
        (".", "is not a file name"),
    ],
)
def test_check_output_path(tmp_path, name, message):
    with pytest.raises(EchoTheoryError, match=message):
        check_output_path(tmp_path / name if name != "." else ".")


def test_check_output_path_refuses_a_folder(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(EchoTheoryError, match="is a folder"):
        check_output_path(tmp_path / "d")
