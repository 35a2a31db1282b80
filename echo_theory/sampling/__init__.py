"""The sampler: series of the process, streamed in chunks of bounded size, exactly and reproducibly.

x_t ~ Bernoulli(p_x) and y_t ~ Bernoulli(P(y=1 | x[t-lag] for the rule lags)), honouring the
process's base, p_x and clip (``process.table`` is already clipped). One series is:

- **warmed up**: max-lag inputs are drawn before the first step, so every returned y_t has its
  full history; nothing wraps around.
- **streamed**: x lives in a packed bit buffer (64 steps per uint64 word) of one chunk plus the
  last max-lag inputs, carried across chunk borders; memory stays flat for any length.
- **exact**: every Bernoulli draw compares random bits with the probability's exact binary
  digits, finishing the rare ties with integer rejection (see ``bernoulli``); no probability is
  ever turned into a float.
- **reproducible**: randomness comes only from PCG64 streams of ``numpy.random.SeedSequence``
  children. Each kind of draw has its own stream, read in step order, so the chunk size never
  changes a series, and a shorter series is a prefix of a longer one.

Series number i of a seed is built on the seed's i-th spawned child, ``SeedSequence(seed).spawn``.
Inside a series, the streams are children of that child: x's digit planes (0, i), x's tie
redraws (1, d), y's digit planes or bytes (2, i), y's tie redraws (3, d).

Three paths draw y, chosen by the process alone (so a seed always gives the same series), one
module each beside the shared loop (``series``, ``chunks``) and the plan (``plan``):

- ``bitsliced``: y's random digits are bit planes too, 64 steps per word operation; the fast
  path for few rules.
- ``general``: one random byte per step, compared with the threshold byte of the step's
  configuration (8 digits, ties 1 step in 256); its cost hardly grows with n.
- ``summed`` (past SUMMED_FROM additive rules): the general path's bytes and ties, but each
  step's threshold is found by the sum of the fired shifts, so no 2^n table exists. The
  probabilities, and so the draws, are the table's.

The validator counts without drawing y per step: ``masks`` draws x alone, counts each
configuration's steps, and draws y = 1 per configuration as one exact binomial.

"""

from ..bernoulli import WORD_BITS
from .chunks import (
    _check_chunk,
    _check_length,
    _series,
    count_series,
    iter_chunks,
    make_series,
    sample_series,
)
from .general import histogram
from .plan import (
    DEFAULT_CHUNK,
    GENERAL_BITS,
    LAZY_BITS,
    MAX_SUMS,
    METHODS,
    SUMMED_FROM,
    SamplerPlan,
    SumLayout,
)
from .series import Seed, Series, child_seed, root_seed

__all__ = [
    "DEFAULT_CHUNK",
    "GENERAL_BITS",
    "LAZY_BITS",
    "MAX_SUMS",
    "METHODS",
    "SUMMED_FROM",
    "WORD_BITS",
    "SamplerPlan",
    "Seed",
    "Series",
    "SumLayout",
    "_check_chunk",
    "_check_length",
    "_series",
    "child_seed",
    "count_series",
    "histogram",
    "iter_chunks",
    "make_series",
    "root_seed",
    "sample_series",
]
