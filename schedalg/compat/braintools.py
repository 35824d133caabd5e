"""braintools' learning-rate schedulers (``braintools.optim``, 0.3) built from the algebra.

Each constructor takes braintools' arguments under its names and defaults (the base
learning rate is ``base_lr``, as in braintools; OneCycleLR derives it from ``max_lr``)
and returns a schedalg schedule whose value at step ``n`` is braintools' learning rate
after ``n`` calls of ``scheduler.step()`` (``get_last_lr()[0]``). braintools is not
imported. Where braintools differs from PyTorch, this follows braintools:

* CosineAnnealingLR holds ``eta_min`` after ``T_max`` (torch's cosine goes back up).
* OneCycleLR warms up linearly whatever ``anneal_strategy`` is, over
  ``pct_start * total_steps`` steps, and ends at ``max_lr / final_div_factor``.
* CyclicLR with unequal step sizes: the triangle climbs and falls over
  ``step_size_up`` steps each, and cycle k reads it at ``n - 2 * step_size_up * k``
  (``step_size_down`` only sets the cycle length).
* ChainedScheduler multiplies every scheduler's ratio to its own ``base_lr``.
* ReduceLROnPlateau freezes ``best`` during cooldown and ignores ``eps``.
* PiecewiseConstantSchedule's values are learning rates (``base_lr`` is unused).

``last_epoch`` must be 0 (a fresh scheduler); resume at step ``n`` with
``sa.shift(schedule, -n)``. One parameter group: ``base_lr`` is a number (or an array
of them for a batch of schedules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import schedalg as sa
from schedalg._clock import repeat
from schedalg._core import Schedule, floordiv, require
from schedalg._transforms import check_function
from schedalg.compat._named import fresh, is_sequence, named, one_group
from schedalg.compat._shared import (
    check_count,
    check_sequence,
    decay_at_milestones,
    plateau_rule,
    some_schedulers,
)
from schedalg.plateau import reduce_on_plateau

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "ExponentialDecayLR",
    "CosineAnnealingLR",
    "PolynomialLR",
    "WarmupScheduler",
    "CyclicLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "LinearLR",
    "ConstantLR",
    "ChainedScheduler",
    "SequentialLR",
    "CosineAnnealingWarmRestarts",
    "WarmupCosineSchedule",
    "PiecewiseConstantSchedule",
]

#: Representative calls (source text) for the migration page.
EXAMPLES: list[str] = [
    "StepLR(base_lr=0.1, step_size=30, gamma=0.1)",
    "MultiStepLR(base_lr=0.1, milestones=[30, 60, 90], gamma=0.1)",
    "ExponentialLR(base_lr=0.1, gamma=0.95)",
    "ExponentialDecayLR(base_lr=0.1, decay_steps=100, decay_rate=0.5, transition_begin=10)",
    "CosineAnnealingLR(base_lr=0.1, T_max=100, eta_min=1e-6)",
    "PolynomialLR(base_lr=0.1, total_iters=1000, power=2.0)",
    "WarmupScheduler(base_lr=0.001, warmup_epochs=1000, warmup_start_lr=1e-6)",
    "CyclicLR(base_lr=0.001, max_lr=0.01, step_size_up=2000, mode='triangular2')",
    "OneCycleLR(max_lr=0.01, total_steps=1000, pct_start=0.3)",
    "LinearLR(base_lr=0.1, start_factor=0.1, total_iters=10)",
    "ConstantLR(base_lr=0.1, factor=0.5, total_iters=5)",
    "CosineAnnealingWarmRestarts(base_lr=0.1, T_0=10, T_mult=2, eta_min=1e-4)",
    "WarmupCosineSchedule(base_lr=0.001, warmup_steps=1000, total_steps=10000, eta_min=1e-6)",
    "PiecewiseConstantSchedule(boundaries=[1000, 5000], values=[0.1, 0.01, 0.001])",
    "SequentialLR([ConstantLR(base_lr=0.001), ExponentialLR(base_lr=0.001, gamma=0.95)], "
    "milestones=[5])",
    "ChainedScheduler([WarmupScheduler(base_lr=0.001, warmup_epochs=10), "
    "CosineAnnealingLR(base_lr=0.001, T_max=90)])",
    "ReduceLROnPlateau(base_lr=0.01, factor=0.5, patience=10)",
]

_named = named


def _fresh(last_epoch: int) -> None:
    fresh(last_epoch, 0)  # braintools' fresh scheduler


class _PerCycle:
    """``t -> scale_fn(cycle)`` with braintools' 1-based float ``cycle``."""

    def __init__(self, scale_fn: Callable):
        self.scale_fn = scale_fn
        self.__name__ = f"per_cycle_{getattr(scale_fn, '__name__', 'scale_fn')}"

    def __call__(self, t: Any, period: Any) -> Any:
        return self.scale_fn(floordiv(t, period) * 1.0 + 1.0)


# ----------------------------------------------------------------------------
# Decays.


@_named
def StepLR(
    base_lr: Any = 1e-3, step_size: int = 30, gamma: float = 0.1, last_epoch: int = 0
) -> Schedule:
    """``base_lr * gamma ** floor(n / step_size)``: ``sa.step``.

    Example:
        >>> from schedalg.compat.braintools import StepLR
        >>> round(float(StepLR(base_lr=1.0, step_size=10, gamma=0.5)(25)), 6)
        0.25
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("StepLR", "step_size", step_size, lambda v: v > 0, "> 0")
    require("StepLR", "gamma", gamma, lambda v: v >= 0, ">= 0")
    return sa.step(base_lr, step_size, gamma)


@_named
def MultiStepLR(
    base_lr: Any = 1e-3,
    milestones: Sequence[int] = (30, 60, 90),
    gamma: float = 0.1,
    last_epoch: int = 0,
) -> Schedule:
    """``base_lr * gamma ** (number of milestones <= n)``: ``sa.multistep``.

    Without milestones: ``sa.piecewise_constant([], [base_lr])``.

    Example:
        >>> from schedalg.compat.braintools import MultiStepLR
        >>> round(float(MultiStepLR(base_lr=1.0, milestones=[10, 20])(15)), 6)
        0.1
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    return decay_at_milestones("MultiStepLR", base_lr, milestones, gamma)


@_named
def ExponentialLR(base_lr: Any = 1e-3, gamma: float = 0.95, last_epoch: int = 0) -> Schedule:
    """``base_lr * gamma ** n``: ``sa.exponential``.

    Example:
        >>> from schedalg.compat.braintools import ExponentialLR
        >>> round(float(ExponentialLR(base_lr=1.0, gamma=0.5)(3)), 6)
        0.125
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("ExponentialLR", "gamma", gamma, lambda v: v > 0, "> 0")
    return sa.exponential(base_lr, gamma)


@_named
def ExponentialDecayLR(
    base_lr: Any = 1e-3,
    decay_steps: int = 1000,
    decay_rate: float = 0.96,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
    last_epoch: int = 0,
) -> Schedule:
    """optax-style ``base_lr * decay_rate ** (max(n - transition_begin, 0) / decay_steps)``.

    The exponent is floored with ``staircase``; ``end_value`` bounds the value.
    ``sa.shift(sa.exponential(base_lr, decay_rate, decay_steps, ...), transition_begin)``.

    Example:
        >>> from schedalg.compat.braintools import ExponentialDecayLR
        >>> s = ExponentialDecayLR(base_lr=1.0, decay_steps=10, decay_rate=0.5,
        ...                        transition_begin=5)
        >>> round(float(s(5)), 6), round(float(s(25)), 6)
        (1.0, 0.25)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("ExponentialDecayLR", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    require("ExponentialDecayLR", "decay_rate", decay_rate, lambda v: v > 0, "> 0")
    require("ExponentialDecayLR", "transition_begin", transition_begin, lambda v: v >= 0, ">= 0")
    schedule = sa.exponential(base_lr, decay_rate, decay_steps, staircase=staircase, end=end_value)
    return schedule if transition_begin == 0 else sa.shift(schedule, transition_begin)


@_named
def CosineAnnealingLR(
    base_lr: Any = 1e-3, T_max: int = 50, eta_min: float = 0, last_epoch: int = 0
) -> Schedule:
    """Half a cosine from ``base_lr`` to ``eta_min`` over ``T_max``, then ``eta_min``.

    ``sa.cosine(base_lr, eta_min, T_max)`` (braintools clamps at ``T_max``).

    Example:
        >>> from schedalg.compat.braintools import CosineAnnealingLR
        >>> s = CosineAnnealingLR(base_lr=1.0, T_max=10)
        >>> round(float(s(5)), 6), round(float(s(15)), 6)
        (0.5, 0.0)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("CosineAnnealingLR", "T_max", T_max, lambda v: v > 0, "> 0")
    return sa.cosine(base_lr, eta_min, T_max)


@_named
def PolynomialLR(
    base_lr: Any = 1e-3, total_iters: int = 5, power: float = 1.0, last_epoch: int = 0
) -> Schedule:
    """``base_lr * (1 - min(n, total_iters) / total_iters) ** power``: ``sa.polynomial``.

    Example:
        >>> from schedalg.compat.braintools import PolynomialLR
        >>> round(float(PolynomialLR(base_lr=1.0, total_iters=10, power=2.0)(5)), 6)
        0.25
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("PolynomialLR", "total_iters", total_iters, lambda v: v > 0, "> 0")
    return sa.polynomial(base_lr, 0.0, total_iters, power=power)


@_named
def CosineAnnealingWarmRestarts(
    base_lr: Any = 1e-3, T_0: int = 10, T_mult: int = 1, eta_min: float = 0, last_epoch: int = 0
) -> Schedule:
    """SGDR: a cosine from ``base_lr`` to ``eta_min`` restarted after ``T_0 * T_mult**k``.

    ``sa.restart(sa.cosine(base_lr, eta_min, T_0), mult=T_mult)``.

    Example:
        >>> from schedalg.compat.braintools import CosineAnnealingWarmRestarts
        >>> s = CosineAnnealingWarmRestarts(base_lr=1.0, T_0=10, T_mult=2)
        >>> round(float(s(5)), 6), float(s(10)), round(float(s(20)), 6)
        (0.5, 1.0, 0.5)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("CosineAnnealingWarmRestarts", "T_0", T_0, lambda v: v > 0, "> 0")
    require("CosineAnnealingWarmRestarts", "T_mult", T_mult, lambda v: v >= 1, ">= 1")
    return sa.restart(sa.cosine(base_lr, eta_min, T_0), mult=T_mult)


@_named
def PiecewiseConstantSchedule(
    base_lr: Any = 1e-3,
    boundaries: Sequence[int] | None = None,
    values: Sequence[float] | None = None,
    last_epoch: int = 0,
) -> Schedule:
    """``values[i]`` from ``boundaries[i - 1]`` on: ``sa.piecewise_constant``.

    The values are learning rates; ``base_lr`` shows at no step (as in braintools), but
    a ChainedScheduler divides by it, so the schedule keeps it as the start of an empty
    warmup: ``sa.warmup(sa.piecewise_constant(boundaries, values), 0, start=base_lr)``.
    Defaults: ``boundaries=[1000, 2000]``, ``values=[1.0, 0.1, 0.01]``.

    Example:
        >>> from schedalg.compat.braintools import PiecewiseConstantSchedule
        >>> s = PiecewiseConstantSchedule(boundaries=[10], values=[0.1, 0.01])
        >>> round(float(s(9)), 6), round(float(s(10)), 6)
        (0.1, 0.01)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    for param, value in (("boundaries", boundaries), ("values", values)):
        if value is not None and not is_sequence(value):
            raise ValueError(f"{param} must be a sequence, got {param}={value!r}")
    boundaries = [1000, 2000] if boundaries is None else list(boundaries)
    values = [1.0, 0.1, 0.01] if values is None else list(values)
    # An empty warmup holds base_lr before step 0, where no step reads it.
    return sa.warmup(sa.piecewise_constant(boundaries, values), 0, start=base_lr)


# ----------------------------------------------------------------------------
# Warmups and ramps.


@_named
def WarmupScheduler(
    base_lr: Any = 1e-3, warmup_epochs: int = 5, warmup_start_lr: float = 0.0, last_epoch: int = 0
) -> Schedule:
    """``warmup_start_lr -> base_lr`` linearly over ``warmup_epochs``, then ``base_lr``.

    ``sa.warmup(sa.constant(base_lr), warmup_epochs, start=warmup_start_lr)``.

    Example:
        >>> from schedalg.compat.braintools import WarmupScheduler
        >>> round(float(WarmupScheduler(base_lr=1.0, warmup_epochs=10)(5)), 6)
        0.5
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("WarmupScheduler", "warmup_epochs", warmup_epochs, lambda v: v >= 0, ">= 0")
    return sa.warmup(sa.constant(base_lr), warmup_epochs, start=warmup_start_lr)


@_named
def LinearLR(
    base_lr: Any = 1e-3,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
    last_epoch: int = 0,
) -> Schedule:
    """``base_lr * start_factor -> base_lr * end_factor`` linearly over ``total_iters``.

    ``sa.linear(start_factor, end_factor, total_iters) * base_lr``; with
    ``total_iters=0``, ``base_lr * end_factor`` throughout.

    Example:
        >>> from schedalg.compat.braintools import LinearLR
        >>> round(float(LinearLR(base_lr=1.0, start_factor=0.5, total_iters=10)(5)), 6)
        0.75
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("LinearLR", "total_iters", total_iters, lambda v: v >= 0, ">= 0")
    # The factors times base_lr keep base_lr in the tree (ChainedScheduler divides by it).
    return sa.linear(start_factor, end_factor, total_iters) * base_lr


@_named
def ConstantLR(
    base_lr: Any = 1e-3, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = 0
) -> Schedule:
    """``base_lr * factor`` for n < total_iters, then ``base_lr``: ``sa.piecewise_constant``.

    Example:
        >>> from schedalg.compat.braintools import ConstantLR
        >>> s = ConstantLR(base_lr=1.0, factor=0.5, total_iters=4)
        >>> float(s(3)), float(s(4))
        (0.5, 1.0)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    return sa.piecewise_constant([total_iters], [base_lr * factor, base_lr])


@_named
def WarmupCosineSchedule(
    base_lr: Any = 1e-3,
    warmup_steps: int = 1000,
    total_steps: int = 10000,
    warmup_start_lr: float = 0.0,
    eta_min: float = 0.0,
    last_epoch: int = 0,
) -> Schedule:
    """Linear warmup to ``base_lr``, then a cosine to ``eta_min`` at ``total_steps``.

    ``sa.warmup(sa.cosine(base_lr, eta_min, max(total_steps - warmup_steps, 1)),
    warmup_steps, start=warmup_start_lr)``.

    Example:
        >>> from schedalg.compat.braintools import WarmupCosineSchedule
        >>> s = WarmupCosineSchedule(base_lr=1.0, warmup_steps=10, total_steps=30)
        >>> round(float(s(5)), 6), round(float(s(20)), 6), round(float(s(40)), 6)
        (0.5, 0.5, 0.0)
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    require("WarmupCosineSchedule", "warmup_steps", warmup_steps, lambda v: v >= 0, ">= 0")
    decay = sa.cosine(base_lr, eta_min, max(total_steps - warmup_steps, 1))
    return sa.warmup(decay, warmup_steps, start=warmup_start_lr)


# ----------------------------------------------------------------------------
# Cycles.


def _triangle(up: Any, down: Any) -> Schedule:
    """braintools' cycles: ``max(0, 1 - |n / up - 2 * cycle + 1|)`` as a clock rewind.

    Cycle k (of length ``up + down``) replays a 0 -> 1 -> 0 triangle over ``2 * up``
    from the clock ``n - 2 * up * k``.
    """
    knots = sa.piecewise_linear([0, up, 2 * up], [0.0, 1.0, 0.0])
    return repeat(knots, up + down, rewind=2 * up)


@_named
def CyclicLR(
    base_lr: Any = 1e-3,
    max_lr: Any = 1e-2,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable | None = None,
    scale_mode: str = "cycle",
    last_epoch: int = 0,
) -> Schedule:
    """Cyclical learning rate between ``base_lr`` and ``max_lr`` (braintools' form).

    With ``x = |n / step_size_up - 2 * cycle + 1|`` and
    ``cycle = floor(1 + n / (step_size_up + step_size_down))``:
    ``base_lr + (max_lr - base_lr) * scale * max(0, 1 - x)``, where ``scale`` is 1
    ("triangular"), ``0.5 ** (cycle - 1)`` ("triangular2"), ``gamma ** n``
    ("exp_range") or ``scale_fn(cycle)`` / ``scale_fn(n)`` (``scale_mode``
    "cycle" / "iterations"; jnp-friendly). With equal step sizes this is
    ``sa.cyclic(base_lr, max_lr, step_size_up, mode=mode, gamma=gamma)``; otherwise a
    ``repeat`` (clock rewind, ``schedalg.repeat``) of a ``sa.piecewise_linear``
    triangle times ``sa.step(1.0, up + down, 0.5)`` ("triangular2"),
    ``sa.exponential(1.0, gamma)`` ("exp_range") or a ``sa.custom`` factor.

    Example:
        >>> from schedalg.compat.braintools import CyclicLR
        >>> s = CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=10, step_size_down=20)
        >>> round(float(s(5)), 6), round(float(s(25)), 6), round(float(s(35)), 6)
        (0.5, 0.0, 0.5)
    """
    fn = "CyclicLR"
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    one_group("max_lr", max_lr)
    require(fn, "step_size_up", step_size_up, lambda v: v > 0, "> 0")
    require(fn, "step_size_down", step_size_down, lambda v: v > 0, "> 0")
    require(fn, "gamma", gamma, lambda v: v > 0, "> 0")
    modes = ("triangular", "triangular2", "exp_range")
    if mode not in modes:
        raise ValueError(f"mode must be one of {modes}, got mode={mode!r}")
    if scale_mode not in ("cycle", "iterations"):
        raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode=!r}")
    if scale_fn is not None:  # called on the cycle or the step: jax.numpy only
        check_function(fn, "scale_fn", scale_fn)
    up = step_size_up
    down = step_size_up if step_size_down is None else step_size_down
    standard = scale_fn is None
    shape: sa.Schedule
    if bool(np.all(np.asarray(down) == np.asarray(up))):
        if standard:
            return sa.cyclic(base_lr, max_lr, up, mode=mode, gamma=gamma)
        shape = sa.cyclic(0.0, 1.0, up)
    else:
        shape = _triangle(up, down)
        if standard and mode == "triangular2":
            shape = shape * sa.step(1.0, up + down, 0.5)
    if scale_fn is not None:
        if scale_mode == "cycle":
            shape = shape * sa.custom(_PerCycle(scale_fn), period=up + down)
        else:
            shape = shape * sa.custom(scale_fn)
    elif mode == "exp_range":
        shape = shape * sa.exponential(1.0, gamma)
    return shape * (max_lr - base_lr) + base_lr


@_named
def OneCycleLR(
    max_lr: Any = 1e-2,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    last_epoch: int = 0,
) -> Schedule:
    """1cycle as braintools computes it: linear warmup, then ``anneal_strategy``.

    ``max_lr / div_factor -> max_lr`` linearly over ``u = pct_start * total_steps``
    steps, then ``max_lr -> max_lr / final_div_factor`` over ``(1 - pct_start) *
    total_steps`` steps by cosine (``sa.join(sa.linear(...), sa.cosine(...))``) or
    linearly (``sa.one_cycle(..., shape="linear")``), then held.

    Example:
        >>> from schedalg.compat.braintools import OneCycleLR
        >>> s = OneCycleLR(max_lr=1.0, total_steps=100, pct_start=0.5, div_factor=10.0)
        >>> round(float(s(0)), 6), round(float(s(50)), 6), round(float(s(100)), 6)
        (0.1, 1.0, 0.0001)
    """
    _fresh(last_epoch)
    one_group("max_lr", max_lr)
    require("OneCycleLR", "div_factor", div_factor, lambda v: v > 0, "> 0")
    require("OneCycleLR", "final_div_factor", final_div_factor, lambda v: v > 0, "> 0")
    if total_steps is not None:
        require("OneCycleLR", "total_steps", total_steps, lambda v: v > 0, "> 0")
        total = total_steps
    elif epochs is None or steps_per_epoch is None:
        raise ValueError("define either total_steps or both epochs and steps_per_epoch")
    else:
        require("OneCycleLR", "epochs", epochs, lambda v: v > 0, "> 0")
        require("OneCycleLR", "steps_per_epoch", steps_per_epoch, lambda v: v > 0, "> 0")
        total = epochs * steps_per_epoch
    if not 0.0 < pct_start < 1.0:
        raise ValueError(f"pct_start must be in (0, 1), got pct_start={pct_start!r}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy=!r}")
    initial, end = max_lr / div_factor, max_lr / final_div_factor
    if anneal_strategy == "linear":
        return sa.one_cycle(initial, max_lr, end, total, pct_up=pct_start, shape="linear")
    rise = sa.linear(initial, max_lr, pct_start * total)
    return sa.join(rise, sa.cosine(max_lr, end, (1 - pct_start) * total))


# ----------------------------------------------------------------------------
# The base lr a scheduler was built with (braintools' ``base_lrs[0]``), which
# SequentialLR and ChainedScheduler need, read from the schedule itself: the tree is
# the only record, so a copy (``jax.tree.map``, ``parse(repr(s))``,
# ``from_dict(to_dict(s))``) reads as the original. Each reader knows the form its
# constructor builds and where that form keeps base_lr.


def _base(schedule: Schedule) -> Any | None:
    """The base lr of the scheduler ``schedule`` is the form of; None for a form not
    built here."""
    reader = _READERS.get(type(schedule))
    return None if reader is None else reader(schedule)


def _read_piecewise(s: sa.piecewise_constant) -> Any | None:
    # ConstantLR's [base_lr * factor, base_lr], or MultiStepLR's [base_lr] without milestones.
    return s.values[..., -1] if np.shape(s.values)[-1] <= 2 else None


def _read_warmup(s: sa.warmup) -> Any | None:
    if isinstance(s.schedule, sa.constant):  # WarmupScheduler
        return s.schedule.value
    if isinstance(s.schedule, sa.piecewise_constant):  # PiecewiseConstantSchedule
        return s.start
    return _base(s.schedule)  # WarmupCosineSchedule: the cosine from base_lr


def _read_scale(s: sa.scale) -> Any | None:
    inner = s.schedule
    if isinstance(inner, sa.linear) and not isinstance(s.factor, Schedule):  # LinearLR
        return s.factor
    if isinstance(inner, sa.scale) and isinstance(inner.factor, Schedule):
        return _base(inner.schedule)  # ChainedScheduler: (chain * s_i) / base_i
    return None


def _read_add(s: sa.add) -> Any | None:
    # CyclicLR's (custom) triangle times (max_lr - base_lr), plus base_lr.
    return None if isinstance(s.other, Schedule) else s.other


def _read_join(s: sa.join) -> Any | None:
    if s.boundaries is None:  # OneCycleLR: a linear rise from max_lr / div_factor
        rise = s.pieces[0]
        return rise.start if isinstance(rise, sa.linear) else None
    first = _base(s.pieces[0])  # SequentialLR: the first scheduler's, as braintools
    return 1e-3 if first is None else first


_READERS: dict[type, Callable[[Any], Any]] = {
    sa.step: lambda s: s.start,
    sa.multistep: lambda s: s.start,
    sa.exponential: lambda s: s.start,
    sa.cosine: lambda s: s.start,
    sa.polynomial: lambda s: s.start,
    sa.one_cycle: lambda s: s.start,
    sa.cyclic: lambda s: s.low,
    sa.piecewise_constant: _read_piecewise,
    sa.shift: lambda s: _base(s.schedule),  # ExponentialDecayLR's transition_begin
    sa.restart: lambda s: _base(s.schedule),  # CosineAnnealingWarmRestarts
    sa.warmup: _read_warmup,
    sa.scale: _read_scale,
    sa.add: _read_add,
    sa.join: _read_join,
}


# ----------------------------------------------------------------------------
# Combinations and the plateau rule.


@_named
def SequentialLR(
    schedulers: Sequence[Schedule], milestones: Sequence[int], last_epoch: int = 0
) -> Schedule:
    """Scheduler i from ``milestones[i - 1]`` on, on its own clock: ``sa.join``.

    Example:
        >>> from schedalg.compat.braintools import ConstantLR, ExponentialLR, SequentialLR
        >>> s = SequentialLR([ConstantLR(base_lr=1.0, factor=0.1, total_iters=9),
        ...                   ExponentialLR(base_lr=1.0, gamma=0.5)], milestones=[2])
        >>> [round(float(s(n)), 6) for n in range(5)]
        [0.1, 0.1, 1.0, 0.5, 0.25]
    """
    _fresh(last_epoch)
    schedulers, milestones = list(schedulers), list(milestones)
    check_count(schedulers, milestones)
    check_sequence("SequentialLR", schedulers, milestones)
    if len(schedulers) == 1:
        return schedulers[0]
    return sa.join(*schedulers, boundaries=milestones)


@_named
def ChainedScheduler(schedulers: Sequence[Schedule]) -> Schedule:
    """The first base lr times every scheduler's ratio to its own base lr.

    ``base_0 * prod(s_i(n) / base_i)`` (a ratio is 0 when ``base_i`` is 0), built from
    ``sa.scale`` nodes; ``base_i`` is the base lr scheduler i was built with, read from
    its schedule (so a copy by ``jax.tree.map``, ``sa.parse(repr(s))`` or
    ``sa.from_dict(sa.to_dict(s))`` serves as the original).

    Example:
        >>> from schedalg.compat.braintools import ChainedScheduler, ConstantLR, StepLR
        >>> s = ChainedScheduler([ConstantLR(base_lr=1.0, factor=0.1, total_iters=2),
        ...                       StepLR(base_lr=2.0, step_size=1, gamma=0.5)])
        >>> [round(float(s(n)), 6) for n in range(4)]
        [0.1, 0.05, 0.25, 0.125]
    """
    schedulers = some_schedulers(schedulers)
    bases = []
    for i, s in enumerate(schedulers):
        base = _base(s)
        if base is None:
            raise ValueError(
                f"scheduler {i + 1} of {len(schedulers)} was not made by "
                "schedalg.compat.braintools, so its base_lr is unknown; build it with "
                "this module, or multiply schedules with sa.scale"
            )
        bases.append(base)
    schedule = schedulers[0]
    for s, base in zip(schedulers[1:], bases[1:]):
        schedule = schedule * s * (1.0 / base if base != 0 else 0.0)
    return schedule


@_named
def ReduceLROnPlateau(
    base_lr: Any = 1e-3,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0,
    eps: float = 1e-8,
    last_epoch: int = 0,
) -> reduce_on_plateau:
    """braintools' ReduceLROnPlateau as a pure rule: the lr is ``base_lr * state.scale``.

    braintools keeps ``best`` frozen during cooldown and never skips a small
    reduction (``eps`` is unused), so this is ``reduce_on_plateau(...,
    min_scale=min_lr / base_lr, eps=0.0, best_in_cooldown=False)``.

    Example:
        >>> from schedalg.compat.braintools import ReduceLROnPlateau
        >>> rule = ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=0)
        >>> state = rule.init()
        >>> for loss in [1.0, 2.0]:
        ...     state = rule.update(state, loss)
        >>> round(0.1 * float(state.scale), 6)
        0.05
    """
    _fresh(last_epoch)
    one_group("base_lr", base_lr)
    # eps=0: braintools never skips a small reduction.
    torch_args = (mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, 0.0)
    return plateau_rule(
        "ReduceLROnPlateau", "base_lr", base_lr, *torch_args, best_in_cooldown=False
    )
