"""Hugging Face transformers' schedulers (``transformers.optimization``) rebuilt from the
schedalg algebra.

Each constructor keeps Hugging Face's name, arguments and defaults, with the
``optimizer`` replaced by ``lr`` (the optimizer's learning rate); ``last_epoch`` is
accepted and has no effect on the values. The value at step ``n`` is the learning rate
after ``n`` calls of ``scheduler.step()`` on the real ``LambdaLR``. Quirks kept:

* the cosine schedules are periodic: past ``num_training_steps`` the cosine climbs back
  (``num_cycles=0.5`` is half a wave per ``num_training_steps - num_warmup_steps``), so
  they are a ``restart`` of a down-and-up ``join`` of two ``cosine`` pieces;
* when ``num_training_steps <= num_warmup_steps`` the warmup still aims at ``lr`` and
  the decay is over at once;
* ``get_wsd_schedule`` warms up from ``min_lr_ratio * lr`` and ends at it.

Example:
    >>> get_linear_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, num_training_steps=1000)
    warmup(linear(start=0.001, end=0.0, steps=900), steps=100)
"""

from __future__ import annotations

import warnings
from typing import Any

from jax.typing import ArrayLike

from schedalg._clock import shift
from schedalg._combinators import join, restart, warmup
from schedalg._core import Schedule, require
from schedalg._cycles import wsd
from schedalg._primitives import constant, cosine, inverse_sqrt, linear, polynomial
from schedalg._transforms import clip
from schedalg.compat._named import named
from schedalg.compat._shared import all_true, known, maximum, vec, where, xp_of

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_wsd_schedule",
]

#: Representative calls, evaluated with this module's names for the migration page.
EXAMPLES: list[str] = [
    "get_constant_schedule(lr=1e-3)",
    "get_constant_schedule_with_warmup(lr=1e-3, num_warmup_steps=100)",
    "get_linear_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, num_training_steps=1000)",
    "get_cosine_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, num_training_steps=1000)",
    "get_cosine_with_hard_restarts_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, "
    "num_training_steps=1000, num_cycles=3)",
    "get_polynomial_decay_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, "
    "num_training_steps=1000, lr_end=1e-5, power=2.0)",
    "get_inverse_sqrt_schedule(lr=1e-3, num_warmup_steps=100)",
    "get_cosine_with_min_lr_schedule_with_warmup(lr=1e-3, num_warmup_steps=100, "
    "num_training_steps=1000, min_lr=1e-5)",
    "get_wsd_schedule(lr=1e-3, num_warmup_steps=100, num_decay_steps=200, num_training_steps=1000)",
    "get_wsd_schedule(lr=1e-3, num_warmup_steps=100, num_decay_steps=200, num_stable_steps=700, "
    "warmup_type='cosine', decay_type='1-sqrt', min_lr_ratio=0.1)",
]

_SHAPES = ("linear", "cosine", "1-sqrt")


def _warmup_steps(fn: str, num_warmup_steps: Any) -> None:
    require(fn, "num_warmup_steps", num_warmup_steps, lambda v: v >= 0, ">= 0")


def _then(lr: Any, num_warmup_steps: Any, after: Schedule, aims_at_lr: Any) -> Schedule:
    """A linear warmup from 0 to ``lr``, then ``after`` on its own clock.

    ``warmup(after, W)`` when ``after`` starts at ``lr`` (``aims_at_lr`` concretely true);
    otherwise the ramp and ``after`` are joined at ``W``.
    """
    if all_true(aims_at_lr):
        return warmup(after, num_warmup_steps)
    ramp = warmup(constant(lr), num_warmup_steps)
    return join(ramp, after, boundaries=vec([num_warmup_steps]))


def _wave(top: Any, bottom: Any, steps: Any, num_cycles: Any) -> Schedule:
    """``bottom + (top - bottom) * 0.5 * (1 + cos(2 pi * num_cycles * u / steps))`` for all
    u >= 0: a down-and-up pair of cosines, restarted (HF's cosine never stops)."""
    if all_true(num_cycles == 0):
        return constant(top)
    cycles = abs(num_cycles)  # cos is even
    half = steps if all_true(cycles == 0.5) else steps / (2 * cycles)
    return restart(join(cosine(top, bottom, half), cosine(bottom, top, half)))


@named
def get_constant_schedule(lr: ArrayLike, last_epoch: int = -1) -> Schedule:
    """Hugging Face ``get_constant_schedule``: ``constant(lr)``.

    Args:
        lr: the optimizer's learning rate.
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> float(get_constant_schedule(lr=0.5)(10))
        0.5
    """
    return constant(lr)


@named
def get_constant_schedule_with_warmup(
    lr: ArrayLike, num_warmup_steps: ArrayLike, last_epoch: int = -1
) -> Schedule:
    """Hugging Face ``get_constant_schedule_with_warmup``: ``warmup(constant(lr), W)``.

    ``lr * t / W`` for t < W, then ``lr``.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> round(float(get_constant_schedule_with_warmup(1.0, 10)(5)), 6)
        0.5
    """
    _warmup_steps("get_constant_schedule_with_warmup", num_warmup_steps)
    return warmup(constant(lr), num_warmup_steps)


@named
def get_linear_schedule_with_warmup(
    lr: ArrayLike, num_warmup_steps: ArrayLike, num_training_steps: ArrayLike, last_epoch: int = -1
) -> Schedule:
    """Hugging Face ``get_linear_schedule_with_warmup``: ``warmup(linear(lr, 0, N - W), W)``.

    ``lr * t / W`` for t < W; ``lr * max(0, (N - t) / max(1, N - W))`` after.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the step at which the value reaches 0.
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_linear_schedule_with_warmup(1.0, 10, 110)
        >>> round(float(s(5)), 6), round(float(s(60)), 6), round(float(s(200)), 6)
        (0.5, 0.5, 0.0)
    """
    _warmup_steps("get_linear_schedule_with_warmup", num_warmup_steps)
    decays = num_training_steps > num_warmup_steps
    start = where(decays, lr, 0.0)
    after = linear(start, 0.0, maximum(num_training_steps - num_warmup_steps, 1))
    return _then(lr, num_warmup_steps, after, decays)


@named
def get_cosine_schedule_with_warmup(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    last_epoch: int = -1,
) -> Schedule:
    """Hugging Face ``get_cosine_schedule_with_warmup``: a warmup, then a periodic cosine.

    ``lr * t / W`` for t < W; then with ``p = (t - W) / max(1, N - W)`` (not clipped):
    ``lr * 0.5 * (1 + cos(2 pi * num_cycles * p))``. With the default ``num_cycles=0.5``
    the value reaches 0 at ``N`` and climbs back after it, as in Hugging Face.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the total number of steps.
        num_cycles: the number of cosine waves over ``N - W`` steps.
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_cosine_schedule_with_warmup(1.0, 10, 110)
        >>> round(float(s(60)), 6), round(float(s(110)), 6), round(float(s(160)), 6)
        (0.5, 0.0, 0.5)
    """
    _warmup_steps("get_cosine_schedule_with_warmup", num_warmup_steps)
    span = maximum(num_training_steps - num_warmup_steps, 1)
    return warmup(_wave(lr, 0.0, span, num_cycles), num_warmup_steps)


@named
def get_cosine_with_hard_restarts_schedule_with_warmup(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 1,
    last_epoch: int = -1,
) -> Schedule:
    """Hugging Face ``get_cosine_with_hard_restarts_schedule_with_warmup``.

    ``lr * t / W`` for t < W; then with ``p = (t - W) / max(1, N - W)``:
    ``lr * 0.5 * (1 + cos(pi * ((num_cycles * p) mod 1)))`` for p < 1 and 0 from p = 1:
    ``warmup(join(restart(cosine(lr, 0, S / num_cycles)), constant(0), boundaries=[S]), W)``
    with ``S = max(1, N - W)`` (a single ``cosine(lr, 0, S)`` when ``num_cycles == 1``).

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the step from which the value is 0.
        num_cycles: the number of cosine cycles in ``N - W`` steps.
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 0, 100, num_cycles=2)
        >>> round(float(s(25)), 6), round(float(s(50)), 6), round(float(s(100)), 6)
        (0.5, 1.0, 0.0)
    """
    fn = "get_cosine_with_hard_restarts_schedule_with_warmup"
    _warmup_steps(fn, num_warmup_steps)
    require(fn, "num_cycles", num_cycles, lambda v: v >= 0, ">= 0")
    span = maximum(num_training_steps - num_warmup_steps, 1)
    if all_true(num_cycles == 1):
        return warmup(cosine(lr, 0.0, span), num_warmup_steps)
    cycles: Schedule
    if all_true(num_cycles == 0):
        cycles = constant(lr)
    else:
        cycles = restart(cosine(lr, 0.0, span / num_cycles))
    after = join(cycles, constant(0.0), boundaries=vec([span]))
    return warmup(after, num_warmup_steps)


@named
def get_polynomial_decay_schedule_with_warmup(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    lr_end: ArrayLike = 1e-7,
    power: ArrayLike = 1.0,
    last_epoch: int = -1,
) -> Schedule:
    """Hugging Face ``get_polynomial_decay_schedule_with_warmup``:
    ``warmup(polynomial(lr, lr_end, N - W, power=power), W)``.

    ``lr * t / W`` for t < W; ``lr_end + (lr - lr_end) * (1 - (t - W) / (N - W)) ** power``
    up to ``N``; ``lr_end`` after. ``N < W`` gives ``lr_end`` right after the warmup;
    ``N == W`` raises (Hugging Face divides by zero at step ``W``).

    Args:
        lr: the optimizer's learning rate (> ``lr_end``).
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the step at which ``lr_end`` is reached.
        lr_end: the final learning rate.
        power: the exponent of the polynomial (> 0).
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_polynomial_decay_schedule_with_warmup(1.0, 10, 110, lr_end=0.0, power=2.0)
        >>> round(float(s(60)), 6), round(float(s(200)), 6)
        (0.25, 0.0)
    """
    _warmup_steps("get_polynomial_decay_schedule_with_warmup", num_warmup_steps)
    if known(lr, lr_end) and not all_true(lr > lr_end):
        raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr})")
    if known(num_training_steps, num_warmup_steps) and not all_true(
        num_training_steps != num_warmup_steps
    ):
        raise ValueError(
            "num_training_steps must differ from num_warmup_steps (Hugging Face divides by "
            f"their difference), got num_training_steps={num_training_steps!r} and "
            f"num_warmup_steps={num_warmup_steps!r}"
        )
    decays = num_training_steps > num_warmup_steps
    start = where(decays, lr, lr_end)
    span = maximum(num_training_steps - num_warmup_steps, 1)
    return _then(lr, num_warmup_steps, polynomial(start, lr_end, span, power=power), decays)


@named
def get_inverse_sqrt_schedule(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    timescale: ArrayLike | None = None,
    last_epoch: int = -1,
) -> Schedule:
    """Hugging Face ``get_inverse_sqrt_schedule``:
    ``warmup(shift(inverse_sqrt(lr, s), -s), W)``.

    ``lr * t / W`` for t < W; then ``lr / sqrt((t - W + s) / s)`` with ``s = timescale``
    (default ``W``, or 10000 when ``W`` is 0).

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        timescale: ``s`` (> 0), the time unit of the decay (``lr / sqrt(2)`` at ``W + s``).
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_inverse_sqrt_schedule(1.0, 10)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(40)), 6)
        (0.5, 1.0, 0.5)
    """
    _warmup_steps("get_inverse_sqrt_schedule", num_warmup_steps)
    if timescale is None:
        timescale = where(num_warmup_steps == 0, 10_000, num_warmup_steps)
    return warmup(shift(inverse_sqrt(lr, timescale), -timescale), num_warmup_steps)


@named
def get_cosine_with_min_lr_schedule_with_warmup(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    last_epoch: int = -1,
    min_lr: ArrayLike | None = None,
    min_lr_rate: ArrayLike | None = None,
) -> Schedule:
    """Hugging Face ``get_cosine_with_min_lr_schedule_with_warmup``: the periodic cosine of
    :func:`get_cosine_schedule_with_warmup` between ``lr`` and a floor.

    ``lr * t / W`` for t < W; then with ``p = (t - W) / max(1, N - W)`` and floor
    ``m = min_lr`` (or ``min_lr_rate * lr``):
    ``max(0, m + (lr - m) * 0.5 * (1 + cos(2 pi * num_cycles * p)))``.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the total number of steps.
        num_cycles: the number of cosine waves over ``N - W`` steps.
        last_epoch: accepted for compatibility; no effect on the values.
        min_lr: the floor ``m`` (give this or ``min_lr_rate``).
        min_lr_rate: the floor as a fraction of ``lr``.

    Example:
        >>> s = get_cosine_with_min_lr_schedule_with_warmup(1.0, 10, 110, min_lr=0.2)
        >>> round(float(s(60)), 6), round(float(s(110)), 6)
        (0.6, 0.2)
    """
    _warmup_steps("get_cosine_with_min_lr_schedule_with_warmup", num_warmup_steps)
    floor = _floor(lr, min_lr, min_lr_rate)
    span = maximum(num_training_steps - num_warmup_steps, 1)
    s = warmup(_wave(lr, floor, span, num_cycles), num_warmup_steps)
    return s if all_true(floor >= 0) else clip(s, low=0.0)  # HF's max(0, ...)


def _floor(lr: Any, min_lr: Any, min_lr_rate: Any) -> Any:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is None and min_lr_rate is None:
        raise ValueError(
            "One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`"
        )
    return min_lr if min_lr is not None else min_lr_rate * lr


@named
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    last_epoch: int = -1,
    min_lr: ArrayLike | None = None,
    min_lr_rate: ArrayLike | None = None,
    warmup_lr_rate: ArrayLike | None = None,
) -> Schedule:
    """Hugging Face ``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``: the schedule of
    :func:`get_cosine_with_min_lr_schedule_with_warmup` one step ahead.

    Hugging Face counts this one from 1: without ``warmup_lr_rate``, ``lr * (t + 1) / W``
    for t < W, then the periodic cosine at ``p = (t - W + 1) / max(1, N - W)``:
    ``shift(warmup(wave, W), -1)``. With ``warmup_lr_rate = a`` the ramp is
    ``lr * (a + (1 - a) * t / max(1, W - 1))``, joined to ``shift(wave, -1)`` at ``W``.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the linear warmup.
        num_training_steps: ``N``, the total number of steps.
        num_cycles: the number of cosine waves over ``N - W`` steps.
        last_epoch: accepted for compatibility; no effect on the values.
        min_lr: the floor (give this or ``min_lr_rate``).
        min_lr_rate: the floor as a fraction of ``lr``.
        warmup_lr_rate: the value at step 0 as a fraction of ``lr``.

    Example:
        >>> s = get_cosine_with_min_lr_schedule_with_warmup_lr_rate(1.0, 10, 110, min_lr=0.2)
        >>> round(float(s(0)), 6), round(float(s(59)), 6), round(float(s(109)), 6)
        (0.1, 0.6, 0.2)
    """
    _warmup_steps("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", num_warmup_steps)
    floor = _floor(lr, min_lr, min_lr_rate)
    span = maximum(num_training_steps - num_warmup_steps, 1)
    wave = _wave(lr, floor, span, num_cycles)
    s: Schedule
    if warmup_lr_rate is None:
        s = shift(warmup(wave, num_warmup_steps), -1)
        low = floor
    else:
        start = warmup_lr_rate * lr
        ramp = linear(start, lr, maximum(num_warmup_steps - 1, 1))
        s = join(ramp, shift(wave, -1), boundaries=vec([num_warmup_steps]))
        low = xp_of(floor, start).minimum(floor, start)
    return s if all_true(low >= 0) else clip(s, low=0.0)  # HF's max(0, ...)


def _wsd_warmup(kind: str, low: Any, lr: Any, steps: Any) -> Schedule:
    if kind == "linear":
        return linear(low, lr, steps)
    if kind == "cosine":  # low + (lr - low) * 0.5 * (1 - cos(pi * x))
        return cosine(low, lr, steps)
    return polynomial(low, lr, steps, power=0.5)  # lr - (lr - low) * sqrt(1 - x)


def _wsd_decay(kind: str, lr: Any, low: Any, steps: Any, num_cycles: Any) -> Schedule:
    if kind == "linear":
        return linear(lr, low, steps)
    if kind == "1-sqrt":  # lr - (lr - low) * sqrt(x)
        return wsd(lr, 0, 0, steps, end=low, decay_shape="1-sqrt")
    cycles = abs(num_cycles)  # cos is even
    if all_true(cycles <= 0.5) and all_true(cycles != 0):  # never past the bottom: one cosine
        return cosine(lr, low, steps if all_true(cycles == 0.5) else steps / (2 * cycles))
    return _wave(lr, low, steps, num_cycles)


@named
def get_wsd_schedule(
    lr: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_decay_steps: ArrayLike,
    num_training_steps: ArrayLike | None = None,
    num_stable_steps: ArrayLike | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: ArrayLike = 0,
    num_cycles: ArrayLike = 0.5,
    last_epoch: int = -1,
) -> Schedule:
    """Hugging Face ``get_wsd_schedule``: warmup, stable, decay, then ``min_lr_ratio * lr``.

    With ``r = min_lr_ratio``, ``W``, ``S``, ``D`` the three lengths (``S = N - W - D``
    when only ``num_training_steps`` is given): a ``warmup_type`` ramp from ``r * lr`` to
    ``lr`` over ``W`` steps; ``lr`` for ``S`` steps; a ``decay_type`` decay from ``lr``
    towards ``r * lr`` over ``D`` steps (``cosine``: ``0.5 * (1 + cos(2 pi * num_cycles *
    x))``); then ``r * lr``. The common case (linear warmup, ``num_cycles=0.5``) is
    ``wsd(lr * (1 - r), W, S, D, decay_shape=...) + r * lr``; the others ``join`` the four
    phases.

    Args:
        lr: the optimizer's learning rate.
        num_warmup_steps: ``W``, the length of the warmup.
        num_decay_steps: ``D``, the length of the decay.
        num_training_steps: ``N``, the total (used when ``num_stable_steps`` is not given).
        num_stable_steps: ``S``, the length of the stable phase.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        min_lr_ratio: ``r``, the start and end value as a fraction of ``lr``.
        num_cycles: the number of cosine waves over the decay (``"cosine"`` only).
        last_epoch: accepted for compatibility; no effect on the values.

    Example:
        >>> s = get_wsd_schedule(1.0, 10, 10, num_training_steps=100, decay_type="linear")
        >>> round(float(s(5)), 6), round(float(s(50)), 6), round(float(s(95)), 6)
        (0.5, 1.0, 0.5)
    """
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_training_steps is not None and num_stable_steps is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. num_stable_steps "
            "will be used.",
            stacklevel=2,
        )
    if warmup_type not in _SHAPES:
        raise ValueError(
            f"Unknown warmup type: {warmup_type}, expected 'linear', 'cosine' or '1-sqrt' "
            f"({warmup_type=!r})"
        )
    if decay_type not in _SHAPES:
        raise ValueError(
            f"Unknown decay type: {decay_type}, expected 'linear', 'cosine' or '1-sqrt' "
            f"({decay_type=!r})"
        )
    _warmup_steps("get_wsd_schedule", num_warmup_steps)
    require("get_wsd_schedule", "num_decay_steps", num_decay_steps, lambda v: v >= 0, ">= 0")
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    r, w, s, d = min_lr_ratio, num_warmup_steps, num_stable_steps, num_decay_steps
    low = r * lr
    plain = (
        warmup_type == "linear"
        and (decay_type != "cosine" or all_true(num_cycles == 0.5))
        and all_true(s >= 0)
        and all_true(r >= 0)
    )
    if plain:
        if all_true(r == 0):
            return wsd(lr, w, s, d, decay_shape=decay_type)
        return wsd(lr - low, w, s, d, decay_shape=decay_type) + low
    # HF measures the progress of each phase over max(1, length) steps.
    rise = _wsd_warmup(warmup_type, low, lr, maximum(w, 1))
    fall = _wsd_decay(decay_type, lr, low, maximum(d, 1), num_cycles)
    if not all_true(r >= 0):  # HF's max(0, ...) on both ramps
        rise, fall = clip(rise, low=0.0), clip(fall, low=0.0)
    stable = maximum(s, 0)
    if not all_true(s >= 0):  # a negative stable phase starts the decay part-way through
        fall = shift(fall, xp_of(s).minimum(s, 0))
    ends = [w, w + stable, w + maximum(s + d, stable)]
    return join(rise, constant(lr), fall, constant(low), boundaries=vec(ends))
