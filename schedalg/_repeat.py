"""repeat: sets a schedule's clock back by a fixed amount at regular intervals."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
from jax.typing import ArrayLike

from schedalg._core import Schedule, clock, floordiv, require, schedule_class


@schedule_class
class repeat(Schedule):
    """Every ``every`` steps, winds the schedule's clock back by ``rewind`` steps.

    ``schedule(t - rewind * floor(t / every))`` (``rewind`` defaults to ``every``).
    With ``rewind == every`` the schedule's first ``every`` steps repeat unchanged
    (unlike :func:`restart`, nothing is stretched); with a smaller ``rewind`` each
    repetition starts ``every - rewind`` steps further along than the last, with a
    larger one it starts earlier (a clock before 0 reads as 0). braintools' CyclicLR
    with unequal step sizes is ``repeat(triangle over 2 * up, up + down, rewind=2 * up)``.

    Args:
        schedule: the schedule to replay.
        every: steps between two rewinds (> 0).
        rewind: steps the clock goes back at each rewind (>= 0; default ``every``).

    Example:
        >>> from schedalg._repeat import repeat
        >>> s = repeat(linear(0.0, 1.0, 10), 5, rewind=4)
        >>> round(float(s(4)), 6), round(float(s(5)), 6), round(float(s(10)), 6)
        (0.4, 0.1, 0.2)
    """

    schedule: Schedule
    every: Any
    _: dataclasses.KW_ONLY
    rewind: Any = None

    def _validate(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"repeat: schedule must be a schedule, got {self.schedule!r}")
        require("repeat", "every", self.every, lambda v: v > 0, "> 0")
        require("repeat", "rewind", self.rewind, lambda v: v >= 0, ">= 0")

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        rewind = self.every if self.rewind is None else self.rewind
        return self.schedule(t - rewind * floordiv(t, self.every))

    @property
    def duration(self) -> None:
        return None
