"""Clock transforms: schedules of another schedule's clock (shift, stretch, per_epoch,
warp, repeat, stretch_cycles). Each maps the step, then calls the inner schedule."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    clock,
    fl,
    floordiv,
    fraction,
    is_int,
    safe_pow,
    schedule_class,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["shift", "stretch", "per_epoch", "warp", "repeat", "stretch_cycles"]


@schedule_class
class shift(Schedule):
    """Delays the clock: ``schedule(t - steps)`` (holding ``schedule(0)`` before).

    A negative ``steps`` advances the clock instead.

    Example:
        >>> float(shift(linear(0.0, 1.0, 10), 10)(15))
        0.5
    """

    roles = {"delay": "steps"}

    schedule: Schedule
    steps: Any

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        shifted = t - self.steps
        if is_int(shifted):  # t + |steps| can wrap past the int maximum: saturate there
            top = jnp.iinfo(shifted.dtype).max
            shifted = jnp.where((jnp.asarray(self.steps) < 0) & (shifted < t), top, shifted)
        return self.schedule(shifted)

    @property
    def duration(self) -> Any:
        inner = self.schedule.duration
        return None if inner is None else jnp.maximum(inner + self.steps, 0)


class _Slower(Schedule):
    """A clock transform whose child runs ``slowdown`` times slower, the field named by
    its ``slowdown`` (or ``epoch``) role: the duration grows by that factor."""

    schedule: Any  # declared by each subclass's fields

    @property
    def duration(self) -> Any:
        inner = self.schedule.duration
        slowdown = getattr(self, self.roles.get("slowdown") or self.roles["epoch"])
        return None if inner is None else inner * slowdown


@schedule_class
class stretch(_Slower):
    """Slows the clock by ``factor``: ``schedule(t / factor)``.

    Example:
        >>> float(stretch(linear(0.0, 1.0, 10), 2)(10))
        0.5
    """

    roles = {"slowdown": "factor"}
    limits = {"factor": "> 0"}

    schedule: Schedule
    factor: Any

    def __call__(self, step: ArrayLike) -> jax.Array:
        t, factor = fl(clock(step)), fl(self.factor)
        u = t / factor
        # XLA's division can miss an exact quotient by an ulp (123 / 41 < 3), which moves
        # an inner step boundary by one step: snap to the integer when it is exact.
        whole = jnp.round(u)
        exact = whole * factor == t
        return self.schedule(jnp.where(exact, u + jax.lax.stop_gradient(whole - u), u))


@schedule_class
class per_epoch(_Slower):
    """Steps the schedule once per epoch while counting updates:
    ``schedule(floor(t / steps_per_epoch))`` (PyTorch's per-epoch ``scheduler.step()``).

    Code that steps its scheduler *after* each epoch with the epoch just finished
    (DeiT's ``lr_scheduler.step(epoch)``; Swin's ``step_update`` after each update) trains
    epoch ``e`` with the value of ``e - 1``: that is ``per_epoch(shift(s, 1), n)`` (and
    ``shift(s, 1)`` per update). See docs/recipes.md.

    Example:
        >>> round(float(per_epoch(linear(0.0, 1.0, 10), 100)(250)), 6)
        0.2
    """

    roles = {"epoch": "steps_per_epoch"}
    limits = {"steps_per_epoch": "> 0"}

    schedule: Schedule
    steps_per_epoch: Any

    def __call__(self, step: ArrayLike) -> jax.Array:
        return self.schedule(floordiv(clock(step), self.steps_per_epoch))


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
        >>> s = warp(linear(0.0, 1.0, 100), 2.0)
        >>> round(float(s(50)), 6), round(float(s(100)), 6)
        (0.25, 1.0)

    References:
        Zhang, Li, "k-decay: A New Method For Learning Rate Schedule", 2020.
    """

    limits = {"power": "> 0"}

    schedule: Schedule
    power: Any

    def _validate(self) -> None:
        if self.schedule.duration is None:
            raise ValueError(
                f"warp: schedule {self.schedule.name} has no duration, so there is no clock span "
                "to bend; warp a schedule with a duration (or stretch/join it into one)"
            )

    def __call__(self, step: ArrayLike) -> jax.Array:
        t, span = clock(step), self.schedule.duration
        bent = fl(span) * safe_pow(fraction(t, span), self.power)
        # Power 1 keeps the schedule's own clock: span * exp(log(t / span)) can land an
        # ulp short of an integer knot, which would move a jump one step later. The
        # gradient in the power stays the bent clock's (the two are ulps apart: exact sum).
        exact = bent + jax.lax.stop_gradient(fl(jnp.minimum(t, span)) - bent)
        return self.schedule(jnp.where(fl(self.power) == 1, exact, bent))

    @property
    def duration(self) -> Any:
        return self.schedule.duration


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
        >>> s = repeat(linear(0.0, 1.0, 10), 5, rewind=4)
        >>> round(float(s(4)), 6), round(float(s(5)), 6), round(float(s(10)), 6)
        (0.4, 0.1, 0.2)
    """

    limits = {"every": "> 0", "rewind": ">= 0"}

    schedule: Schedule
    every: Any
    _: dataclasses.KW_ONLY
    rewind: Any = None

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        rewind = self.every if self.rewind is None else self.rewind
        return self.schedule(t - rewind * floordiv(t, self.every))

    @property
    def duration(self) -> None:
        return None


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
        >>> s = stretch_cycles(linear(1.0, 0.0, 10))
        >>> round(float(s(10)), 6), round(float(s(11)), 6), round(float(s(20)), 6)
        (0.0, 0.45, 0.0)
    """

    schedule: Schedule

    def _validate(self) -> None:
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
