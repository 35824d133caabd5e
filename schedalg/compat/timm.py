"""timm's schedulers (``timm.scheduler``) rebuilt from the schedalg algebra.

Each constructor takes timm's own arguments, with the optimizer replaced by its base
learning rate ``lr``, and returns a schedule ``s`` with ``s(t) == scheduler._get_lr(t)``:
the value timm sets after ``scheduler.step(t)`` (``t_in_epochs=True``) or
``scheduler.step_update(t)``. ``t`` is whatever timm's scheduler is stepped with; to index a
per-epoch schedule by update, wrap it: ``sa.per_epoch(s, steps_per_epoch)``. Noise
(``noise_range_t``) is random by design and is not reproduced: it must stay ``None``.

timm's cycles decay the peak but not the floor (cycle i anneals from
``lr * cycle_decay**i`` to ``lr_min``): ``restart(..., decay=cycle_decay, floor=lr_min)``.
The tanh curve starts a hair under ``lr``, so its cycles are a sum of two restarts
instead: the decaying part towards 0 plus the floor's share.

Example:
    >>> from schedalg.compat.timm import CosineLRScheduler
    >>> CosineLRScheduler(lr=0.1, t_initial=100, warmup_t=5, warmup_lr_init=1e-4)
    warmup(restart(cosine(start=0.1, end=0.0, steps=100), limit=1), steps=5, start=0.0001,
           prefix=False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

import schedalg as sa
from schedalg._clock import warp
from schedalg._core import Schedule, concrete, fl, require, sorted_last
from schedalg._primitives import tanh
from schedalg.compat._named import is_sequence, named
from schedalg.plateau import PlateauState, reduce_on_plateau

__all__ = [
    "CosineLRScheduler",
    "TanhLRScheduler",
    "StepLRScheduler",
    "MultiStepLRScheduler",
    "PolyLRScheduler",
    "PlateauLRScheduler",
    "PlateauLR",
]

#: Representative calls, rendered in docs/migrating.md.
EXAMPLES: list[str] = [
    "CosineLRScheduler(lr=0.1, t_initial=100)",
    "CosineLRScheduler(lr=0.1, t_initial=100, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-4)",
    "CosineLRScheduler(lr=0.1, t_initial=50, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3,"
    " warmup_t=5, warmup_prefix=True)",
    "CosineLRScheduler(lr=0.1, t_initial=100, lr_min=1e-4, cycle_decay=0.5, cycle_limit=2)",
    "CosineLRScheduler(lr=0.1, t_initial=100, k_decay=2.0)",
    "TanhLRScheduler(lr=0.1, t_initial=100, warmup_t=5)",
    "TanhLRScheduler(lr=0.1, t_initial=100, warmup_t=5, warmup_prefix=True)",
    "StepLRScheduler(lr=0.1, decay_t=30, decay_rate=0.1, warmup_t=3, warmup_lr_init=1e-4)",
    "MultiStepLRScheduler(lr=0.1, decay_t=[30, 60, 90], decay_rate=0.1)",
    "PolyLRScheduler(lr=0.1, t_initial=100, power=0.5, lr_min=1e-5, warmup_t=5)",
    "PlateauLRScheduler(lr=0.1, decay_rate=0.5, patience_t=5, warmup_t=3, lr_min=1e-5)",
]


def _is(value: Any, number: float) -> bool:
    """True when ``value`` is a concrete scalar equal to ``number`` (structure choice)."""
    v = concrete(value)
    return v is not None and v.ndim == 0 and bool(v == number)


def _no_noise(name: str, noise_range_t: Any) -> None:
    if noise_range_t is not None:
        raise ValueError(
            f"{name}: noise_range_t must be None (schedalg schedules are deterministic; add "
            f"noise in the training loop), got noise_range_t={noise_range_t!r}"
        )


def _check_cycles(
    name: str, t_initial: Any, lr_min: Any, cycle_mul: Any, decay: Any, limit: Any
) -> None:
    require(name, "t_initial", t_initial, lambda v: v > 0, "> 0")
    require(name, "cycle_decay", decay, lambda v: v >= 0, ">= 0")
    require(name, "lr_min", lr_min, lambda v: v >= 0, ">= 0")
    require(
        name, "cycle_mul", cycle_mul, lambda v: v >= 1, ">= 1 (shrinking cycles are not supported)"
    )
    require(name, "cycle_limit", limit, lambda v: (v >= 1) & (v == v // 1), "an integer >= 1")


def _cycles(
    shape: Callable[[Any, Any], Schedule],
    lr: Any,
    lr_min: Any,
    cycle_mul: Any,
    cycle_decay: Any,
    cycle_limit: Any,
    starts_at_lr: bool = True,
) -> Schedule:
    """timm's cycles: cycle i runs ``shape`` from ``lr * cycle_decay**i`` to ``lr_min``.

    ``starts_at_lr`` says that ``shape(lr, lr_min)(0) == lr``, so the restart's ``floor``
    gives timm's formula exactly; otherwise (tanh) the cycles are a sum of two restarts.
    """
    cycles = {"mult": cycle_mul, "limit": cycle_limit}
    if _is(cycle_decay, 1.0) or _is(lr_min, 0.0):
        return sa.restart(shape(lr, lr_min), decay=cycle_decay, **cycles)
    if starts_at_lr:
        return sa.restart(shape(lr, lr_min), decay=cycle_decay, floor=lr_min, **cycles)
    # lr_min + (lr * d**i - lr_min) * w  ==  lr * d**i * w  +  lr_min * (1 - w)
    decaying = sa.restart(shape(lr, 0.0), decay=cycle_decay, **cycles)
    return decaying + sa.restart(shape(0.0, lr_min), **cycles)


def _warmup(
    name: str,
    main: Schedule,
    lr: Any,
    warmup_t: Any,
    warmup_lr_init: Any,
    prefix: bool,
    to_start: bool,
) -> Schedule:
    """timm's linear warmup from ``warmup_lr_init`` to ``lr`` over ``warmup_t``.

    ``to_start`` says that ``main(0) == lr``, so the algebra's ``warmup`` (which ramps to
    ``main(0)``) is exact; otherwise the ramp is an explicit ``linear`` piece.
    """
    require(name, "warmup_t", warmup_t, lambda v: v >= 0, ">= 0")
    if _is(warmup_t, 0):
        return main
    if to_start:
        return sa.warmup(main, warmup_t, start=warmup_lr_init, prefix=prefix)
    ramp = sa.linear(warmup_lr_init, lr, warmup_t)
    return sa.join(ramp, main if prefix else sa.shift(main, -warmup_t))


@named
def CosineLRScheduler(
    lr: Any,
    t_initial: Any,
    lr_min: Any = 0.0,
    cycle_mul: Any = 1.0,
    cycle_decay: Any = 1.0,
    cycle_limit: Any = 1,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: Any = 1.0,
    initialize: bool = True,
) -> Schedule:
    """timm's CosineLRScheduler: cosine cycles (SGDR) with warmup and k-decay.

    After the warmup (``t`` counted from its end when ``warmup_prefix``), cycle i lasts
    ``t_initial * cycle_mul**i`` and gives
    ``lr_min + 0.5 * (lr * cycle_decay**i - lr_min) * (1 + cos(pi * (tc / ti)**k_decay))``;
    after ``cycle_limit`` cycles, ``lr_min``. The warmup ramps linearly from
    ``warmup_lr_init`` to ``lr`` over ``warmup_t``.

    Args:
        lr: the optimizer's base learning rate (timm reads it from the optimizer).
        t_initial: length of the first cycle, in epochs or updates.
        Other arguments: as timm's (``noise_range_t`` must be None; ``t_in_epochs``
        and ``initialize`` do not change the values).

    Example:
        >>> from schedalg.compat.timm import CosineLRScheduler
        >>> s = CosineLRScheduler(lr=1.0, t_initial=10, cycle_limit=2)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(25)), 6)
        (0.5, 1.0, 0.0)
    """
    name = "CosineLRScheduler"
    _no_noise(name, noise_range_t)
    _check_cycles(name, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    require(name, "k_decay", k_decay, lambda v: v > 0, "> 0")

    def shape(start: Any, end: Any) -> Schedule:
        cos = sa.cosine(start, end, t_initial)
        return cos if _is(k_decay, 1.0) else warp(cos, k_decay)

    main = _cycles(shape, lr, lr_min, cycle_mul, cycle_decay, cycle_limit)
    return _warmup(name, main, lr, warmup_t, warmup_lr_init, warmup_prefix, to_start=True)


@named
def TanhLRScheduler(
    lr: Any,
    t_initial: Any,
    lb: Any = -7.0,
    ub: Any = 3.0,
    lr_min: Any = 0.0,
    cycle_mul: Any = 1.0,
    cycle_decay: Any = 1.0,
    cycle_limit: Any = 1,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's TanhLRScheduler: hyperbolic-tangent cycles with warmup.

    Cycle i (length ``t_initial * cycle_mul**i``, ``x = tc / ti``) gives
    ``lr_min + 0.5 * (lr * cycle_decay**i - lr_min) * (1 - tanh(lb * (1 - x) + ub * x))``;
    after ``cycle_limit`` cycles, exactly ``lr_min`` (a jump from the tanh tail). The
    warmup ramps to ``lr`` when ``warmup_prefix`` and otherwise to the curve's value at
    ``warmup_t``, as timm does.

    Example:
        >>> from schedalg.compat.timm import TanhLRScheduler
        >>> s = TanhLRScheduler(lr=1.0, t_initial=10, lb=-1.0, ub=1.0)
        >>> round(float(s(5)), 6), round(float(s(10)), 6)
        (0.5, 0.0)
    """
    name = "TanhLRScheduler"
    _no_noise(name, noise_range_t)
    _check_cycles(name, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    upper = concrete(ub)  # a traced bound cannot be compared now
    if upper is not None:
        require(name, "lb", lb, lambda v: v < upper, f"< ub={ub!r}")

    def shape(start: Any, end: Any) -> Schedule:
        return tanh(start, end, t_initial, lower=lb, upper=ub)

    # The tanh never reaches its end; timm drops to lr_min once the cycles are spent.
    cycles = _cycles(shape, lr, lr_min, cycle_mul, cycle_decay, cycle_limit, starts_at_lr=False)
    main = sa.join(cycles, sa.constant(lr_min))
    if warmup_prefix or _is(warmup_t, 0):
        return _warmup(name, main, lr, warmup_t, warmup_lr_init, warmup_prefix, to_start=False)
    # Without the prefix timm ramps to main(warmup_t): the curve advanced by warmup_t.
    require(name, "warmup_t", warmup_t, lambda v: v >= 0, ">= 0")
    return sa.warmup(sa.shift(main, -warmup_t), warmup_t, start=warmup_lr_init)


@named
def StepLRScheduler(
    lr: Any,
    decay_t: Any,
    decay_rate: Any = 1.0,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's StepLRScheduler: ``lr * decay_rate ** floor(t / decay_t)`` after a warmup.

    Example:
        >>> from schedalg.compat.timm import StepLRScheduler
        >>> s = StepLRScheduler(lr=1.0, decay_t=10, decay_rate=0.5, warmup_t=2)
        >>> round(float(s(1)), 6), round(float(s(12)), 6)
        (0.5, 0.5)
    """
    name = "StepLRScheduler"
    _no_noise(name, noise_range_t)
    require(name, "decay_t", decay_t, lambda v: v > 0, "> 0")
    require(name, "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
    main = sa.step(lr, decay_t, decay_rate)
    return _warmup(name, main, lr, warmup_t, warmup_lr_init, warmup_prefix, to_start=True)


@named
def MultiStepLRScheduler(
    lr: Any,
    decay_t: Sequence[int] | Any,
    decay_rate: Any = 1.0,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's MultiStepLRScheduler: ``lr * decay_rate ** (number of milestones <= t + 1)``.

    timm counts milestones against ``t + 1`` (a milestone m applies from ``t = m - 1``,
    one step before PyTorch's MultiStepLR), so the schedule is a ``multistep`` whose
    clock runs one step ahead: ``shift(multistep(...), -1)``.

    Example:
        >>> from schedalg.compat.timm import MultiStepLRScheduler
        >>> s = MultiStepLRScheduler(lr=1.0, decay_t=[10], decay_rate=0.1)
        >>> round(float(s(8)), 6), round(float(s(9)), 6)
        (1.0, 0.1)
    """
    name = "MultiStepLRScheduler"
    _no_noise(name, noise_range_t)
    if not is_sequence(decay_t):
        raise ValueError(f"{name}: decay_t must be a sequence of steps, got {decay_t=!r}")
    require(name, "decay_t", decay_t, lambda v: v >= 0, ">= 0")
    require(name, "decay_t", decay_t, sorted_last, "sorted")
    require(name, "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
    milestones = concrete(decay_t)
    main: sa.Schedule
    if milestones is not None and milestones.size == 0:
        main = sa.constant(lr)
    else:
        main = sa.shift(sa.multistep(lr, decay_t, decay_rate), -1)
    # A milestone at 0 or 1 already applies at t = 0, where timm's warmup aims at lr.
    to_start = milestones is not None and bool(np.all(milestones > 1))
    return _warmup(name, main, lr, warmup_t, warmup_lr_init, warmup_prefix, to_start=to_start)


@named
def PolyLRScheduler(
    lr: Any,
    t_initial: Any,
    power: Any = 0.5,
    lr_min: Any = 0.0,
    cycle_mul: Any = 1.0,
    cycle_decay: Any = 1.0,
    cycle_limit: Any = 1,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: Any = 1.0,
    initialize: bool = True,
) -> Schedule:
    """timm's PolyLRScheduler: polynomial cycles with warmup and k-decay.

    Cycle i gives ``lr_min + (lr * cycle_decay**i - lr_min) * (1 - (tc / ti)**k_decay)**power``;
    after ``cycle_limit`` cycles, ``lr_min``.

    Example:
        >>> from schedalg.compat.timm import PolyLRScheduler
        >>> s = PolyLRScheduler(lr=1.0, t_initial=10, power=2.0)
        >>> round(float(s(5)), 6), round(float(s(20)), 6)
        (0.25, 0.0)
    """
    name = "PolyLRScheduler"
    _no_noise(name, noise_range_t)
    _check_cycles(name, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    require(name, "k_decay", k_decay, lambda v: v > 0, "> 0")

    def shape(start: Any, end: Any) -> Schedule:
        poly = sa.polynomial(start, end, t_initial, power=power)
        return poly if _is(k_decay, 1.0) else warp(poly, k_decay)

    main = _cycles(shape, lr, lr_min, cycle_mul, cycle_decay, cycle_limit)
    return _warmup(name, main, lr, warmup_t, warmup_lr_init, warmup_prefix, to_start=True)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PlateauLR:
    """timm's PlateauLRScheduler as data: a warmup schedule times a plateau scale.

    ``lr(state, epoch) = schedule(epoch) * state.scale``; ``step`` feeds the metric to
    the plateau rule only after the warmup (``epoch > warmup_t``), as timm does. All
    three methods are pure and jittable; the state is a :class:`PlateauState`.
    """

    schedule: Schedule
    plateau: reduce_on_plateau
    warmup_t: Any

    def init(self) -> PlateauState:
        """The plateau state before any metric (scale 1)."""
        return self.plateau.init()

    def step(self, state: PlateauState, epoch: ArrayLike, metric: ArrayLike | None = None):
        """timm's ``scheduler.step(epoch, metric)``: the state after it (pure)."""
        if metric is None:
            return state
        updated = self.plateau.update(state, metric)
        after_warmup = jnp.asarray(epoch) > jnp.asarray(self.warmup_t)
        return jax.tree.map(lambda new, old: jnp.where(after_warmup, new, old), updated, state)

    def lr(self, state: PlateauState, epoch: ArrayLike) -> jax.Array:
        """The learning rate timm sets at ``epoch`` given the plateau state."""
        return self.schedule(epoch) * fl(state.scale)


def _ratio(a: Any, b: Any) -> Any:
    """a / b in float64 (a plain float for scalars) or traced."""
    if concrete(a) is None or concrete(b) is None:
        return fl(a) / fl(b)
    r = np.asarray(a, dtype=np.float64) / np.asarray(b, dtype=np.float64)
    return float(r) if r.ndim == 0 else r


@named
def PlateauLRScheduler(
    lr: Any,
    decay_rate: Any = 0.1,
    patience_t: Any = 10,
    threshold: Any = 1e-4,
    cooldown_t: Any = 0,
    warmup_t: Any = 0,
    warmup_lr_init: Any = 0.0,
    lr_min: Any = 0.0,
    mode: str = "max",
    noise_range_t: Any = None,
    noise_type: str = "normal",
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int | None = None,
    initialize: bool = True,
) -> PlateauLR:
    """timm's PlateauLRScheduler: a linear warmup, then PyTorch's ReduceLROnPlateau.

    For ``epoch <= warmup_t`` the learning rate ramps from ``warmup_lr_init`` to ``lr``
    (metrics are ignored); afterwards each metric updates a :func:`reduce_on_plateau`
    rule (timm's defaults: ``mode="max"``, PyTorch's ``eps=1e-8`` and
    ``threshold_mode="rel"``) and the learning rate is ``lr * scale``, never below
    ``lr_min``. timm's ``step(0)`` without warmup sets ``warmup_lr_init``; here epoch 0
    gives ``lr`` (timm's training loop starts stepping at epoch 1).

    Example:
        >>> from schedalg.compat.timm import PlateauLRScheduler
        >>> p = PlateauLRScheduler(lr=1.0, decay_rate=0.5, patience_t=1, warmup_t=2)
        >>> state, lrs = p.init(), []
        >>> for epoch, accuracy in enumerate([0.5, 0.5, 0.6, 0.6, 0.6], start=1):
        ...     state = p.step(state, epoch, accuracy)
        ...     lrs.append(round(float(p.lr(state, epoch)), 6))
        >>> lrs
        [0.5, 1.0, 1.0, 1.0, 0.5]
    """
    name = "PlateauLRScheduler"
    _no_noise(name, noise_range_t)
    require(name, "lr", lr, lambda v: v > 0, "> 0")
    require(name, "warmup_t", warmup_t, lambda v: v >= 0, ">= 0")
    require(name, "decay_rate", decay_rate, lambda v: (v >= 0) & (v < 1), "in [0, 1)")
    for param, value in (("patience_t", patience_t), ("cooldown_t", cooldown_t)):
        require(name, param, value, lambda v: (v >= 0) & (v == v // 1), "an integer >= 0")
    require(name, "lr_min", lr_min, lambda v: v >= 0, ">= 0")
    plateau = reduce_on_plateau(
        factor=decay_rate,
        patience=patience_t,
        threshold=threshold,
        cooldown=cooldown_t,
        min_scale=_ratio(lr_min, lr),  # PyTorch's min_lr and eps are in lr units
        eps=_ratio(1e-8, lr),
        mode=mode,
    )
    schedule = _warmup(name, sa.constant(lr), lr, warmup_t, warmup_lr_init, True, to_start=True)
    return PlateauLR(schedule=schedule, plateau=plateau, warmup_t=warmup_t)
