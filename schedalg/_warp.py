"""warp: bends a schedule's clock with a power (k-decay, fastai's SchedPoly)."""

from __future__ import annotations

from typing import Any

import jax
from jax.typing import ArrayLike

from schedalg._core import Schedule, clock, fl, fraction, require, safe_pow, schedule_class


@schedule_class
class warp(Schedule):
    """Runs a schedule on a power-bent clock: ``schedule(T * (t / T) ** power)``.

    With ``T = schedule.duration``: ``schedule(T * (t / T) ** power)`` for t < T and
    ``schedule(T)`` from T on. ``power > 1`` lingers near the start and hurries at the
    end; ``power < 1`` does the opposite. The ends stay where they were:
    ``warp(s, k)(0) == s(0)`` and ``warp(s, k)(T) == s(T)``. ``warp(cosine(...), k)`` is
    k-decay's cosine, ``cos(pi * t**k / T**k)``; ``warp(linear(a, b, T), k)`` is
    ``a + (b - a) * (t / T) ** k`` (fastai's SchedPoly).

    Args:
        schedule: a schedule with a duration (its clock is bent over ``[0, duration]``).
        power: the exponent ``k > 0``; 1 leaves the schedule unchanged.

    Example:
        >>> from schedalg._warp import warp
        >>> s = warp(linear(0.0, 1.0, 100), 2.0)
        >>> round(float(s(50)), 6), round(float(s(100)), 6)
        (0.25, 1.0)

    References:
        Zhang, Li, "k-decay: A New Method For Learning Rate Schedule", 2020.
    """

    schedule: Schedule
    power: Any

    def _validate(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"warp: schedule must be a schedule, got {self.schedule!r}")
        if self.schedule.duration is None:
            raise ValueError(
                f"warp: schedule {self.schedule.name} has no duration, so there is no clock span "
                "to bend; warp a schedule with a duration (or stretch/join it into one)"
            )
        require("warp", "power", self.power, lambda v: v > 0, "> 0")

    def __call__(self, step: ArrayLike) -> jax.Array:
        span = self.schedule.duration
        frac = fraction(clock(step), span)
        return self.schedule(fl(span) * safe_pow(frac, self.power))

    @property
    def duration(self) -> Any:
        return self.schedule.duration
