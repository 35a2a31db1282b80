"""The learners: recurrent cells (rnn, gru, lstm) with hand-written forward and backward steps,
both styles of truncated backprop, the optimizers, and the training loop ``train`` runs.

``CELLS`` maps a cell's name to the cell; ``unroll_for`` gives the window unroll for any
cell's parameters, the forward pass that evaluation (and any prediction) runs.
"""

from __future__ import annotations

from ..settings import CELLS as CELL_NAMES
from . import gru, lstm, rnn
from .cell import Cell, Parameters, Unroll, probability, step_states

CELLS: dict[str, Cell] = {"rnn": rnn.CELL, "gru": gru.CELL, "lstm": lstm.CELL}
assert tuple(CELLS) == CELL_NAMES


def get_cell(name: str) -> Cell:
    """The cell called ``name``, or an error naming the choices."""
    from ..errors import SettingError

    if name not in CELLS:
        raise SettingError(f"--cell: {name!r} is not one of {', '.join(CELLS)}")
    return CELLS[name]


def unroll_for(params: Parameters, batch_size: int, num_steps: int, windows: int = 1) -> Unroll:
    """The unroll of ``params``' cell, for M = params.models models."""
    return params.cell.Unroll(params.models, params.state_size, batch_size, num_steps, windows)


__all__ = ["CELLS", "Cell", "Parameters", "Unroll", "get_cell", "probability", "step_states", "unroll_for"]
