"""The Monte Carlo validator: simulate the process, estimate H(Y | X_S), put the exact value beside it.

The run is cut into BLOCKS fixed blocks, each an independent series (its own warm-up) on the
seed's spawned child for its index. The blocks are the unit of work for the process pool and
the batches of the standard error: independent by construction, so batch means hold exactly.
Counts depend on (process, samples, seed) only, never on the chunk size or the number of jobs.

Up to MAX_COUNTED_RULES lags the blocks count every configuration of the lags with y (2^n
cells), and each subset's counts are their marginal. A block draws its inputs step by step and
counts their configurations; y = 1 is then drawn per configuration, one exact binomial each
(``sampling.masks``): given the inputs the y_t are independent, so the counts have exactly the
distribution of a step-by-step series. A forced sampler path (``method``) draws y step by step
instead, and block i is then series i of ``sample``. Past it, additive rules count, for each
learned subset S, the sum of the learned shifts with y (``sampling.sums``): H(Y | X_S) =
H(Y | V_S), so those counts estimate it with a cost per step and per subset and no 2^n table.
Interaction rules keep counting configurations. Either way the counts kept are charged against
the work budget before any is drawn (``budget.check_cells``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import render
from .budget import check_cells
from .errors import EchoTheoryError, LimitError
from .estimate import CountTable, EntropyEstimate, cell_estimate, entropy_estimate
from .results import RowsByLearned
from .rules import format_lags
from .sampling import DEFAULT_CHUNK, SamplerPlan, Seed, child_seed, count_series, root_seed
from .sampling.masks import count_masks, draw_y
from .sampling.plan import check_samplable
from .sampling.series import bits
from .sampling.sums import SumSubset, count_sums, sum_subset

if TYPE_CHECKING:
    import pandas

    from .process import EchoProcess
    from .value import ExactValue

BLOCKS = 64
MIN_SAMPLES = 1000  # about 16 steps per block; fewer make the standard error meaningless
# 1e12 steps is hours of work even on the fast path, and its standard error (~1e-6 nats) is
# far below any question the exact engine leaves open; beyond it is a typo.
MAX_SAMPLES = 10**12
AGREES, BORDERLINE = 3.0, 5.0  # |z| below 3 agrees; from 5 on disagrees
# Configurations are counted up to this many lags (BLOCKS x 2^n x 2 int64, 32 MB at 15);
# past it additive rules count the sums of the learned shifts instead.
MAX_COUNTED_RULES = 15
COUNTINGS = ("auto", "configurations", "sums")


def block_lengths(samples: int) -> list[int]:
    """The steps of each block: ``samples`` split as evenly as possible, the longer ones first."""
    base, extra = divmod(samples, BLOCKS)
    return [base + (1 if b < extra else 0) for b in range(BLOCKS)]


def check_samples(samples: int, what: str = "samples") -> int:
    """``samples`` if it is a whole number in MIN_SAMPLES .. MAX_SAMPLES."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)):
        raise EchoTheoryError(f"{what}: {samples!r} is not a whole number")
    if samples < MIN_SAMPLES:
        raise EchoTheoryError(
            f"{what}: {samples} is below the minimum of {MIN_SAMPLES} "
            f"(the run is {BLOCKS} independent blocks, which give the standard error)"
        )
    if samples > MAX_SAMPLES:
        raise LimitError(
            f"{what}: {samples} is more than the limit of 1e12 (hours of work even on the fast "
            f"path, for a standard error already below 1e-6)"
        )
    return int(samples)


_SCRATCH = threading.local()  # each thread's buffers, reused block after block


@dataclass(frozen=True, eq=False)
class _Run:
    """What every block of a run shares: sent to each worker once, not with every block (a
    summed plan holds up to a million coins). Compared by identity."""

    plan: SamplerPlan
    root: np.random.SeedSequence
    chunk_size: int
    subsets: tuple[SumSubset, ...] | None = None
    binomial: bool = False  # count the masks only: y is drawn per configuration after the blocks


def _count_block(run: _Run, index: int, length: int) -> tuple[int, np.ndarray | list[np.ndarray]]:
    if getattr(_SCRATCH, "run", None) is not run:  # keep one run's buffers at a time
        _SCRATCH.run, _SCRATCH.arrays = run, {}
    seed = child_seed(run.root, index)
    if run.subsets is None and run.binomial:
        return index, count_masks(run.plan, seed, length, run.chunk_size, _SCRATCH.arrays)
    if run.subsets is None:
        return index, count_series(run.plan, seed, length, run.chunk_size, _SCRATCH.arrays)
    return index, count_sums(run.plan, seed, length, run.subsets, run.chunk_size, _SCRATCH.arrays)


_WORKER_RUN: _Run | None = None


def _start_worker(run: _Run) -> None:
    global _WORKER_RUN
    _WORKER_RUN = run
    _ignore_interrupts()


def _count_in_worker(task: tuple[int, int]) -> tuple[int, np.ndarray | list[np.ndarray]]:
    return _count_block(_WORKER_RUN, *task)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends the workers
    # A forked worker inherits the parent's handlers; the CLI's turns SIGTERM into an exception,
    # which in a worker would be a traceback. pool.terminate() sends SIGTERM: let it just end.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _check_jobs(jobs: int) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= BLOCKS:
        raise EchoTheoryError(f"jobs: {jobs!r} is not a whole number in 1..{BLOCKS}")
    return jobs


def _counting_plan(process: EchoProcess, method: str) -> SamplerPlan:
    """The plan that counts configurations: the summed path has no configuration masks, so its
    processes are drawn by the general path (the same draws)."""
    plan = SamplerPlan.of(process, method)
    return plan if plan.sums is None else SamplerPlan.of(process, "general")


def simulate_counts(
    process: EchoProcess,
    samples: int,
    seed: Seed = 0,
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> CountTable:
    """Counts of (configuration of the rule lags, y) in each of the BLOCKS blocks of a run.

    ``progress`` is called with the steps of each block as it finishes. ``jobs`` > 1 counts the
    blocks in a process pool; Ctrl-C (KeyboardInterrupt), or any exception raised meanwhile (the
    CLI raises one on SIGTERM and SIGHUP), ends the workers before it propagates. The counts,
    BLOCKS x 2^n x 2, are charged against the work budget first.

    With ``method`` "auto" each block's inputs are drawn and their configurations counted, and
    then y = 1 per block and configuration as one exact binomial (``sampling.masks``), all from
    the seed's child BLOCKS (the blocks are children 0 .. BLOCKS - 1): the counts have the
    distribution of step-by-step series, for a fraction of the cost. A sampler path
    (``bitsliced``, ``general``, ``summed``) draws y step by step on that path instead: block i
    is then exactly series i of ``sample`` (block 0 is ``sample_series``).
    """
    _check_configuration_cells(process)
    plan = _counting_plan(process, method)
    binomial = method == "auto"
    counts = np.zeros((BLOCKS, 2 ** len(plan.lags), 2), dtype=np.int64)
    for index, block in _blocks(plan, samples, seed, jobs, chunk_size, progress, binomial=binomial):
        if binomial:
            counts[index, :, 0] = block  # the steps of each configuration, y not drawn yet
        else:
            counts[index] = block
    if binomial:  # y for every block at once, from the run's child after the blocks' own
        draw_y(plan, counts, bits(root_seed(seed), BLOCKS))
    return CountTable(plan.lags, counts, independent=True)


@dataclass(frozen=True)
class SumCountTable:
    """Counts of (sum index k_S, y) per block for each learned subset S of an additive process:
    ``counts[i][b, k, y]`` for ``subsets[i]`` (see ``sampling.sums.SumSubset``)."""

    lags: tuple[int, ...]
    subsets: tuple[SumSubset, ...]
    counts: tuple[np.ndarray, ...]
    independent: bool = True

    @property
    def batches(self) -> int:
        return BLOCKS

    @property
    def samples(self) -> int:
        return int(self.counts[0].sum()) if self.counts else 0

    def table(self, learned: Iterable[int]) -> np.ndarray:
        """The (BLOCKS, size, 2) counts of one learned subset."""
        learned = tuple(sorted(set(learned)))
        for subset, counts in zip(self.subsets, self.counts, strict=True):
            if subset.learned == learned:
                return counts
        raise EchoTheoryError(f"the subset {format_lags(learned)} was not counted")


def _check_configuration_cells(process: EchoProcess) -> None:
    n = len(process.lags)
    check_cells(
        BLOCKS << (n + 1),
        f"simulate's counts of every configuration of {n} rule lags ({BLOCKS} blocks)",
        "or count the sums of the learned shifts (counting='sums')" if process.is_additive else "",
    )


def _sum_subsets(process: EchoProcess, learned: Iterable[Iterable[int] | str]) -> tuple[SumSubset, ...]:
    """Each learned subset's sum index, checked against the budget for the counts it keeps."""
    subsets = tuple(dict.fromkeys(sum_subset(process, lags) for lags in process.learned_subsets(learned)))
    check_cells(
        sum_cells(subsets),
        f"simulate's counts of the learned sums for {len(subsets)} subsets of {len(process.lags)} rules "
        f"({BLOCKS} blocks)",
    )
    return subsets


def sum_cells(subsets: Iterable[SumSubset]) -> int:
    """The counts a run of sum counting keeps: BLOCKS x (size x 2) per subset."""
    return BLOCKS * sum(subset.cells for subset in subsets)


def simulate_sum_counts(
    process: EchoProcess,
    samples: int,
    learned: Iterable[Iterable[int] | str],
    seed: Seed = 0,
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> SumCountTable:
    """Counts of (sum of the learned shifts, y) in each block, for each ``learned`` subset of an
    additive process. y is drawn step by step: the series are those ``simulate_counts`` counts
    with a forced path (the general and summed paths make the same draws), so the counts are
    its configuration counts grouped by the sum, wherever both can be made."""
    subsets = _sum_subsets(process, learned)
    plan = SamplerPlan.of(process, method)
    counts = [np.zeros((BLOCKS, s.size, 2), dtype=np.int64) for s in subsets]
    for index, block in _blocks(plan, samples, seed, jobs, chunk_size, progress, subsets):
        for i, table in enumerate(block):
            counts[i][index] = table
    return SumCountTable(process.lags, subsets, tuple(counts))


def _blocks(plan, samples, seed, jobs, chunk_size, progress, subsets=None, binomial=False):
    """(index, counts) of every block of a run, checked first; ``progress`` told of each."""
    samples, jobs = check_samples(samples), _check_jobs(jobs)
    lengths = block_lengths(samples)
    run = _Run(plan, root_seed(seed), chunk_size, subsets, binomial)
    for index, block in _run(run, lengths, jobs):
        yield index, block
        if progress is not None:
            progress(lengths[index])


def _run(run: _Run, lengths: list[int], jobs: int):
    """(index, counts) of every block, in any order: the parent counts every jobs-th block
    itself and a pool of jobs - 1 workers counts the rest, so J jobs use J processes."""
    tasks = list(enumerate(lengths))
    if jobs == 1:
        for task in tasks:
            yield _count_block(run, *task)
        return
    import multiprocessing

    # Workers ignore SIGINT from birth (the terminal sends it to the whole process group);
    # the parent turns Ctrl-C into terminate(), so no worker prints a traceback.
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: no handler to juggle
        previous = None
    try:
        pool = multiprocessing.get_context().Pool(jobs - 1, initializer=_start_worker, initargs=(run,))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    mine, theirs = tasks[::jobs], [task for b, task in enumerate(tasks) if b % jobs]
    try:
        results = pool.imap_unordered(_count_in_worker, theirs)
        waiting = len(theirs)
        for task in mine:
            yield _count_block(run, *task)
            while waiting:  # pass on what the workers have finished meanwhile
                try:
                    block = results.next(timeout=0)
                except multiprocessing.TimeoutError:
                    break
                waiting -= 1
                yield block
        for _ in range(waiting):
            yield results.next()
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


@dataclass(frozen=True)
class SimulationRow:
    """One learned subset: the estimate from the simulation and the exact value."""

    learned: tuple[int, ...]
    estimate: EntropyEstimate
    exact: ExactValue

    @property
    def z(self) -> float | None:
        """(estimate - exact) / stderr; 0 when both agree exactly with no spread, else None."""
        difference = self.estimate.plugin - float(self.exact)
        stderr = self.estimate.stderr
        if stderr:
            return difference / stderr
        return 0.0 if abs(difference) <= 1e-12 else None

    @property
    def verdict(self) -> str:
        """agrees (|z| < 3), borderline (3 <= |z| < 5) or disagrees (|z| >= 5)."""
        z = self.z
        if z is None or abs(z) >= BORDERLINE:
            return "disagrees"
        return "agrees" if abs(z) < AGREES else "borderline"

    def to_dict(self) -> dict:
        return {
            "learned": list(self.learned),
            "estimate": self.estimate.plugin,
            "stderr": self.estimate.stderr,
            "exact": self.exact.value,
            "z": self.z,
            "miller_madow": self.estimate.miller_madow,
            "verdict": self.verdict,
            "exact_text": self.exact.text,
        }


@dataclass(frozen=True, repr=False)
class SimulationTable(RowsByLearned):
    """A simulation's estimates beside the exact values, one row per learned subset."""

    process: EchoProcess
    samples: int
    seed: Seed
    units: str
    counts: CountTable | SumCountTable
    rows: tuple[SimulationRow, ...]

    @property
    def seed_value(self) -> int | str:
        return int(self.seed) if not isinstance(self.seed, np.random.SeedSequence) else repr(self.seed)

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory simulate --format json``."""
        return {
            "process": self.process.to_dict(),
            "samples": self.samples,
            "seed": self.seed_value,
            "units": self.units,
            "blocks": self.counts.batches,
            "rows": [row.to_dict() for row in self.rows],
        }

    def to_frame(self) -> pandas.DataFrame:
        """A DataFrame: learned, estimate, miller_madow, stderr, exact, z, verdict, exact_text."""
        import pandas

        frame = pandas.DataFrame([{**row.to_dict(), "learned": row.learned} for row in self.rows])
        frame.attrs.update(units=self.units, samples=self.samples, process=self.process.describe())
        return frame

    def describe(self) -> str:
        return (
            f"{self.process.describe()}\n"
            f"{self.samples} samples in {self.counts.batches} independent blocks, seed {self.seed_value}"
        )

    _RIGHT = (False, True, True, True, True, False)

    def _headers(self) -> list[str]:
        return ["learned", f"estimate ({self.units})", "stderr", f"exact ({self.units})", "z", "verdict"]

    def _cells(self, learned, number) -> list[list[str]]:
        return [
            [
                learned(r.learned),
                number(r.estimate.plugin),
                number(r.estimate.stderr),
                number(r.exact.value),
                "" if r.z is None else f"{r.z:+.2f}",
                r.verdict,
            ]
            for r in self.rows
        ]

    def to_text(self) -> str:
        rows = self._cells(format_lags, render.decimal)
        return self.describe() + "\n\n" + render.text_table(self._headers(), rows, self._RIGHT)

    def to_markdown(self) -> str:
        rows = self._cells(render.set_markdown, render.decimal)
        lines = self.describe().splitlines()
        head = f"`{lines[0]}`  \n{lines[1]}\n\n"
        return head + render.markdown_table(self._headers(), rows, self._RIGHT)

    def to_csv(self) -> str:
        headers = ["learned", "estimate", "stderr", "exact", "z", "miller_madow", "verdict", "exact_text"]
        rows = [
            [
                format_lags(r.learned),
                render.full(r.estimate.plugin),
                render.full(r.estimate.stderr),
                render.full(r.exact.value),
                render.full(r.z),
                render.full(r.estimate.miller_madow),
                r.verdict,
                r.exact.text,
            ]
            for r in self.rows
        ]
        return render.csv_table(headers, rows)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def simulate(
    process: EchoProcess,
    samples: int,
    seed: Seed = 0,
    learned: Iterable[Iterable[int] | str] | None = None,
    units: str = "nats",
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
    counting: str = "auto",
) -> SimulationTable:
    """Simulate ``samples`` steps and estimate H(Y | X_S) beside the exact value, for every subset
    (or each ``learned`` one, as ``process.subset_table`` reads it).

    ``counting`` is how the blocks are counted: ``configurations`` of all the lags, or ``sums``
    of each subset's learned shifts (additive rules); ``auto`` counts configurations up to
    MAX_COUNTED_RULES lags and, past them, sums for additive rules.

    >>> from echo_theory import EchoProcess
    >>> table = simulate(EchoProcess(["3:+0.5", "8:-0.25"]), 1_000_000, seed=0, learned=["3"])
    >>> row = table.row([3])
    >>> abs(row.estimate.plugin - row.exact.value) < 5 * row.estimate.stderr, row.verdict
    (True, 'agrees')
    """
    check_samplable(process, method)  # symbols are an error before any exact work
    check_samples(samples)
    learned = None if learned is None else list(learned)
    if counting not in COUNTINGS:
        raise EchoTheoryError(f"counting {counting!r} is not one of {', '.join(COUNTINGS)}")
    if counting == "auto":
        many = len(process.lags) > MAX_COUNTED_RULES
        counting = "sums" if many and process.is_additive else "configurations"
    # the counts are refused, where they would be, before the exact values are worked out
    if counting == "configurations":
        _check_configuration_cells(process)
    elif learned is not None:
        _sum_subsets(process, learned)
    exact = process.subset_table(learned, units)
    subsets = [row.learned for row in exact.rows]
    if counting == "sums":
        counts = simulate_sum_counts(process, samples, subsets, seed, jobs, chunk_size, method, progress)
        estimates = [cell_estimate(counts.table(s), s, units) for s in subsets]
    else:
        counts = simulate_counts(process, samples, seed, jobs, chunk_size, method, progress)
        estimates = [entropy_estimate(counts, s, units) for s in subsets]
    rows = tuple(
        SimulationRow(row.learned, estimate, row.cross_entropy)
        for row, estimate in zip(exact.rows, estimates, strict=True)
    )
    return SimulationTable(process, samples, seed, units, counts, rows)
