"""Docstring examples in the library are doctests, and they pass."""

import doctest
import importlib
import pkgutil

import pytest

import echo_theory

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(echo_theory.__path__, "echo_theory.")
    if ".cli" not in name and not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_public_names_have_docstrings():
    for name in echo_theory.__all__:
        value = getattr(echo_theory, name)
        if callable(value):
            assert value.__doc__, name
