"""The sampler's former home: everything is in ``echo_theory.sampling`` (one module per path);
these names stay importable from here for existing callers."""

from .sampling import *  # noqa: F403
from .sampling import __all__  # noqa: F401
