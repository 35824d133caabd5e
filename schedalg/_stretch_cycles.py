"""stretch_cycles: replays a finished schedule stretched to the next multiple of its length
(TensorFlow / Keras ``PolynomialDecay(cycle=True)``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import Schedule, clock, fl, is_int, schedule_class


def _ceil_div(t: Any, d: Any) -> jax.Array:
    """ceil(t / d) for t >= 0, d > 0: exact integer division when both are integers."""
    if is_int(t) and is_int(d):
        d = jnp.maximum(d, 1)
        return jnp.floor_divide(t + d - 1, d)
    return jnp.ceil(fl(t) / fl(d))


@schedule_class
class stretch_cycles(Schedule):
    """Stretches the schedule over the first multiple of its duration that reaches t.

    With ``T = schedule.duration`` and ``m = max(1, ceil(t / T))``:
    ``schedule(t / m)``. On ``[0, T]`` this is the schedule itself; on
    ``((m - 1) * T, m * T]`` the schedule is replayed m times slower, so it climbs back
    part of the way at ``(m - 1) * T + 1`` and reaches its end again at ``m * T``.
    ``stretch_cycles(polynomial(a, b, T, power=p))`` is Keras's (and TensorFlow's)
    ``PolynomialDecay(a, T, b, power=p, cycle=True)``.

    Args:
        schedule: a schedule with a duration.

    Example:
        >>> from schedalg._stretch_cycles import stretch_cycles
        >>> s = stretch_cycles(linear(1.0, 0.0, 10))
        >>> round(float(s(10)), 6), round(float(s(11)), 6), round(float(s(20)), 6)
        (0.0, 0.45, 0.0)
    """

    schedule: Schedule

    def _validate(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"stretch_cycles: schedule must be a schedule, got {self.schedule!r}")
        if self.schedule.duration is None:
            raise ValueError(
                f"stretch_cycles: schedule {self.schedule.name} has no duration, so there is "
                "no cycle length to stretch; use a schedule with a duration (or join it into one)"
            )

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        m = jnp.maximum(_ceil_div(t, self.schedule.duration), 1)
        return self.schedule(fl(t) / fl(m))

    @property
    def duration(self) -> None:
        return None
