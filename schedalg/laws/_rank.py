"""Ranking a batch of schedules by a law's predicted final loss, in memory-bounded blocks."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from schedalg._batch import batch_shape, flat_rows, take_rows
from schedalg._core import Schedule, float_dtype
from schedalg.laws._multi_power import BLOCK, MultiPowerLaw

#: Default budget of one block's working values (bytes).
MAX_BYTES = 256 * 2**20


class Ranking(NamedTuple):
    """What :func:`rank` returns.

    ``order``: flat indices into the batch, lowest predicted loss first (ties keep batch
    order); ``losses``: the predicted final losses, shape ``batch_shape``.
    """

    order: np.ndarray
    losses: np.ndarray

    @property
    def best(self) -> tuple[int, ...]:
        """The batch index (a tuple) of the schedule with the lowest predicted loss."""
        return tuple(int(i) for i in np.unravel_index(self.order[0], self.losses.shape))


def _row_bytes(law: Any, n_total: int) -> int:
    """Working bytes per schedule of one call: a few blocks of the multi-power scan, or a
    few length-T arrays for laws computed whole (the annealing law's scan)."""
    item = np.dtype(float_dtype()).itemsize
    return 16 * BLOCK * item if isinstance(law, MultiPowerLaw) else 8 * n_total * item


def rank(
    law: Any, schedules: Schedule, steps_total: int, *, max_bytes: int | None = None
) -> Ranking:
    """Predicted final losses of every schedule of a batch, and their order.

    The final loss of a run of ``steps_total`` updates is the law at step
    ``steps_total - 1`` (``law.predict(s, [steps_total - 1])``). The batch is flattened
    and cut into blocks of whole schedules, each at most ``max_bytes`` (default 256 MiB)
    of working values and padded to one shape, so all blocks share one compilation. For
    :class:`MultiPowerLaw` a schedule's working set is a few blocks of 256 steps (the
    schedule is evaluated block by block, never as a length-T array): time ``O(T)`` and
    memory ``O(256)`` per schedule, so a grid of 10,000 schedules x 24,000 steps takes one
    call and some 10 MB.

    Args:
        law: a fitted law (:class:`MultiPowerLaw` or :class:`AnnealingLaw`), unbatched.
        schedules: a batched schedule (``sa.grid``, ``sa.stack``) with concrete leaves.
        steps_total: the number of updates of each run (>= 1).
        max_bytes: budget of one block's working values.

    Returns:
        ``Ranking(order, losses)``; ``ranking.best`` is the best schedule's batch index.

    Example:
        >>> from schedalg import laws
        >>> law = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
        >>> g = sa.grid(lambda d: sa.wsd(3e-4, 500, 9500 - d, d), d=[500, 2000, 4000])
        >>> r = laws.rank(law, g, 10_000)
        >>> r.order.tolist(), r.best
        ([1, 0, 2], (1,))
    """
    if isinstance(steps_total, bool) or not isinstance(steps_total, (int, np.integer)):
        raise ValueError(f"rank: steps_total must be an integer, got steps_total={steps_total!r}")
    if steps_total < 1:
        raise ValueError(f"rank: steps_total must be >= 1, got steps_total={steps_total}")
    if not isinstance(schedules, Schedule):
        raise ValueError(f"rank: schedules must be a schedalg schedule, got {schedules!r}")
    if law.batch_shape():
        raise ValueError(
            f"rank: law must be a single law, got a batch of shape {law.batch_shape()}"
        )
    budget = MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValueError(f"rank: max_bytes must be a positive integer, got max_bytes={max_bytes!r}")
    batch = batch_shape(schedules)
    rows = math.prod(batch)
    height = max(1, min(rows, int(budget) // _row_bytes(law, int(steps_total))))
    flat = flat_rows(schedules, batch)
    losses = np.empty(rows, np.float64)
    last = [int(steps_total) - 1]
    for r0 in range(0, rows, height):
        r1 = min(r0 + height, rows)
        index = np.minimum(np.arange(r0, r0 + height), rows - 1)
        block = take_rows(flat, index)
        values = np.asarray(law.predict(block, last, max_bytes=budget))[..., 0]
        losses[r0:r1] = np.broadcast_to(values, (height,))[: r1 - r0]
    order = np.argsort(losses, kind="stable")
    return Ranking(order, losses.reshape(batch))
