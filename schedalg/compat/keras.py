"""Keras 3's learning-rate schedules (``keras.optimizers.schedules``) rebuilt from the
schedalg algebra.

Each constructor keeps the Keras class name, keyword arguments and defaults (``name``
included, and ignored) and returns a schedalg schedule whose value at step ``n`` is
``schedule(n)`` of the Keras object. Quirks kept:

* ``PiecewiseConstantDecay``: the value at a boundary still belongs to the earlier
  interval (``step <= boundary``), so schedalg's boundaries sit one step later.
* ``PolynomialDecay(cycle=True)`` stretches the decay over the next multiple of
  ``decay_steps`` (:func:`schedalg.stretch_cycles`).
* ``CosineDecayRestarts``' floor ``alpha * initial_learning_rate`` does not shrink with
  ``m_mul``: the restarts carry ``(1 - alpha) * lr`` and the floor is added.

Keras 3's ``ops.cos`` rounds its argument and result to float32 even for float64 input,
so Keras's cosine schedules differ from these (computed in float64 under x64) by up to
about ``2e-7 * lr``; every other value agrees to float64 rounding.

Example:
    >>> CosineDecay(0.0, 900, warmup_target=1e-3, warmup_steps=100)
    warmup(cosine(start=0.001, end=0.0, steps=900), steps=100)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from jax.typing import ArrayLike

import schedalg as sa
from schedalg._core import Schedule, concrete, require, sorted_last
from schedalg.compat._named import is_sequence, named
from schedalg.compat._shared import vec, xp_of

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]

#: Representative calls, evaluated with this module's names for the migration page.
EXAMPLES: list[str] = [
    "ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)",
    "PiecewiseConstantDecay(boundaries=[1000, 2000], values=[1.0, 0.5, 0.1])",
    "PolynomialDecay(0.1, decay_steps=1000, end_learning_rate=0.01, power=0.5)",
    "PolynomialDecay(0.1, decay_steps=1000, cycle=True)",
    "InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)",
    "CosineDecay(0.1, decay_steps=1000, alpha=0.01)",
    "CosineDecay(0.0, decay_steps=900, warmup_target=1e-3, warmup_steps=100)",
    "CosineDecayRestarts(0.1, first_decay_steps=1000, t_mul=2.0, m_mul=0.9, alpha=0.01)",
]


def _is_zero(x: Any) -> bool:
    v = concrete(x)
    return v is not None and not np.any(v)


@named
def ExponentialDecay(
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    decay_rate: ArrayLike,
    staircase: bool = False,
    name: str = "ExponentialDecay",
) -> Schedule:
    """Keras ``ExponentialDecay``: ``exponential(lr, decay_rate, decay_steps)``.

    ``lr * decay_rate ** (t / decay_steps)`` (``floor`` of the exponent with
    ``staircase``).

    Args:
        initial_learning_rate: the value at step 0.
        decay_steps: steps per factor ``decay_rate`` (> 0).
        decay_rate: the factor per ``decay_steps`` steps (> 0).
        staircase: decay in whole jumps.
        name: Keras's op name; ignored.

    Example:
        >>> round(float(ExponentialDecay(1.0, 10, 0.5)(20)), 6)
        0.25
    """
    require("ExponentialDecay", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    require("ExponentialDecay", "decay_rate", decay_rate, lambda v: v > 0, "> 0")
    return sa.exponential(initial_learning_rate, decay_rate, decay_steps, staircase=staircase)


@named
def PiecewiseConstantDecay(
    boundaries: Sequence[ArrayLike], values: Sequence[ArrayLike], name: str = "PiecewiseConstant"
) -> Schedule:
    """Keras ``PiecewiseConstantDecay``: ``values[i]`` for ``boundaries[i-1] < t <= boundaries[i]``.

    Keras gives a boundary step to the earlier interval, so for integer steps this is
    ``piecewise_constant(floor(boundaries) + 1, values)``.

    Args:
        boundaries: increasing steps, one fewer than ``values``.
        values: the value on each interval.
        name: Keras's op name; ignored.

    Example:
        >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> float(s(10)), float(s(11)), float(s(21))
        (1.0, 0.5, 0.10000000149011612)
    """
    for param, value in (("boundaries", boundaries), ("values", values)):
        if not is_sequence(value):
            raise ValueError(f"{param} must be a sequence, got {param}={value!r}")
    if len(boundaries) != len(values) - 1:
        raise ValueError(
            "The length of boundaries should be 1 less than the length of values. Received: "
            f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
            f"length {len(values)}."
        )
    b = vec(list(boundaries))
    require("PiecewiseConstantDecay", "boundaries", b, sorted_last, "sorted")
    xp = xp_of(b)
    if not np.issubdtype(b.dtype, np.integer):
        b = xp.floor(b)
    return sa.piecewise_constant(b + 1, vec(list(values)))


@named
def PolynomialDecay(
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    end_learning_rate: ArrayLike = 0.0001,
    power: ArrayLike = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    """Keras ``PolynomialDecay``: ``polynomial(lr, end, decay_steps, power=power)``.

    ``(lr - end) * (1 - min(t, T) / T) ** power + end``. With ``cycle=True``, ``T`` becomes
    the first multiple of ``decay_steps`` not below t: ``stretch_cycles(polynomial(...))``.

    Args:
        initial_learning_rate: the value at step 0.
        decay_steps: ``T`` (> 0), the length of the decay.
        end_learning_rate: the value at ``T``.
        power: the exponent of the polynomial (> 0).
        cycle: replay the decay, stretched, after each ``T`` steps.
        name: Keras's op name; ignored.

    Example:
        >>> s = PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(15)), 6)
        (0.5, 0.0, 0.25)
    """
    require("PolynomialDecay", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    decay = sa.polynomial(initial_learning_rate, end_learning_rate, decay_steps, power=power)
    return sa.stretch_cycles(decay) if cycle else decay


@named
def InverseTimeDecay(
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    decay_rate: ArrayLike,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    """Keras ``InverseTimeDecay``: ``inverse_time(lr, decay_rate, decay_steps)``.

    ``lr / (1 + decay_rate * t / decay_steps)`` (``floor(t / decay_steps)`` with
    ``staircase``).

    Args:
        initial_learning_rate: the value at step 0.
        decay_steps: the time unit of the decay (> 0).
        decay_rate: the rate (>= 0).
        staircase: decay in whole jumps.
        name: Keras's op name; ignored.

    Example:
        >>> round(float(InverseTimeDecay(1.0, 10, 1.0)(10)), 6)
        0.5
    """
    require("InverseTimeDecay", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    require("InverseTimeDecay", "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
    return sa.inverse_time(initial_learning_rate, decay_rate, decay_steps, staircase=staircase)


@named
def CosineDecay(
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    alpha: ArrayLike = 0.0,
    name: str = "CosineDecay",
    warmup_target: ArrayLike | None = None,
    warmup_steps: ArrayLike = 0,
) -> Schedule:
    """Keras ``CosineDecay``: ``cosine(lr, alpha * lr, decay_steps)``, with an optional warmup.

    Without ``warmup_target``: ``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * t / T)) + alpha)``
    for t <= T, then ``alpha * lr``. With it: a linear ramp from ``lr`` to
    ``warmup_target`` over ``warmup_steps``, then the same cosine from ``warmup_target``:
    ``warmup(cosine(target, alpha * target, T), warmup_steps, start=lr)``.

    Args:
        initial_learning_rate: the value at step 0.
        decay_steps: ``T`` (> 0), the length of the cosine (after the warmup).
        alpha: the end value as a fraction of the cosine's start.
        name: Keras's op name; ignored.
        warmup_target: the value at the end of the warmup (``None``: no warmup).
        warmup_steps: the length of the warmup.

    Example:
        >>> s = CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10)
        >>> round(float(s(5)), 6), round(float(s(60)), 6)
        (0.5, 0.5)
    """
    require("CosineDecay", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    require("CosineDecay", "warmup_steps", warmup_steps, lambda v: v >= 0, ">= 0")
    if warmup_target is None:
        return sa.cosine(initial_learning_rate, alpha * initial_learning_rate, decay_steps)
    decay = sa.cosine(warmup_target, alpha * warmup_target, decay_steps)
    return sa.warmup(decay, warmup_steps, start=initial_learning_rate)


@named
def CosineDecayRestarts(
    initial_learning_rate: ArrayLike,
    first_decay_steps: ArrayLike,
    t_mul: ArrayLike = 2.0,
    m_mul: ArrayLike = 1.0,
    alpha: ArrayLike = 0.0,
    name: str = "SGDRDecay",
) -> Schedule:
    """Keras ``CosineDecayRestarts`` (SGDR): cosine cycles growing by ``t_mul``.

    Cycle k lasts ``T * t_mul ** k``; in it, with x its elapsed fraction,
    ``lr * ((1 - alpha) * m_mul ** k * 0.5 * (1 + cos(pi * x)) + alpha)``:
    ``restart(cosine((1 - alpha) * lr, 0, T), mult=t_mul, decay=m_mul) + alpha * lr``.

    Args:
        initial_learning_rate: the value at step 0.
        first_decay_steps: ``T`` (> 0), the length of the first cycle.
        t_mul: growth of each cycle's length (>= 1).
        m_mul: factor on each cycle's height above the floor.
        alpha: the floor as a fraction of ``initial_learning_rate``.
        name: Keras's op name; ignored.

    Example:
        >>> s = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(20)), 6)
        (0.5, 0.5, 0.25)
    """
    fn = "CosineDecayRestarts"
    require(fn, "first_decay_steps", first_decay_steps, lambda v: v > 0, "> 0")
    require(fn, "t_mul", t_mul, lambda v: v >= 1, ">= 1 (shrinking cycles are not supported)")
    require(fn, "m_mul", m_mul, lambda v: v >= 0, ">= 0")
    cycles = sa.restart(
        sa.cosine((1 - alpha) * initial_learning_rate, 0.0, first_decay_steps),
        mult=t_mul,
        decay=m_mul,
    )
    return cycles if _is_zero(alpha) else cycles + alpha * initial_learning_rate
