"""PyTorch's learning-rate schedulers (``torch.optim.lr_scheduler``) built from the algebra.

Every constructor takes torch's arguments under torch's names and defaults, with the
optimizer replaced by the keyword ``lr`` (the optimizer's initial learning rate), and
returns a schedalg schedule whose value at step ``n`` is the optimizer's learning rate
after ``n`` calls of ``scheduler.step()``, torch's quirks included: CosineAnnealingLR
keeps following its cosine past ``T_max`` (a cosine of period ``2 * T_max``), LinearLR,
ConstantLR and PolynomialLR with ``total_iters=0`` keep their first value, SequentialLR
restarts each scheduler at its milestone. torch is not imported.

* :func:`CyclicMomentum` and :func:`OneCycleMomentum` take the same arguments as
  :func:`CyclicLR` and :func:`OneCycleLR` and return the momentum (or Adam ``beta1``)
  schedule that torch's ``cycle_momentum=True`` writes into the optimizer.
* :func:`ReduceLROnPlateau` returns a :class:`~schedalg.plateau.reduce_on_plateau` rule;
  the learning rate is ``lr * state.scale``.
* ``last_epoch`` must be -1 (a fresh scheduler); resume at step ``n`` with
  ``sa.shift(schedule, -n)``. One parameter group: ``lr`` is a number (or an array of
  them for a batch of schedules), ``lr_lambda`` a single function.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import schedalg as sa
from schedalg._core import Schedule, concrete, float_dtype, floordiv, require
from schedalg._transforms import check_function
from schedalg.compat._named import fresh, named
from schedalg.compat._shared import (
    all_true,
    check_count,
    check_sequence,
    decay_at_milestones,
    plateau_rule,
    some_schedulers,
)
from schedalg.plateau import reduce_on_plateau

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "CyclicMomentum",
    "OneCycleLR",
    "OneCycleMomentum",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]

#: Representative calls (source text) for the migration page.
EXAMPLES: list[str] = [
    "StepLR(lr=0.1, step_size=30, gamma=0.1)",
    "MultiStepLR(lr=0.1, milestones=[30, 80], gamma=0.1)",
    "ConstantLR(lr=0.1, factor=0.5, total_iters=4)",
    "LinearLR(lr=0.1, start_factor=0.1, total_iters=10)",
    "ExponentialLR(lr=0.1, gamma=0.95)",
    "PolynomialLR(lr=0.1, total_iters=100, power=2.0)",
    "CosineAnnealingLR(lr=0.1, T_max=100, eta_min=0.001)",
    "CosineAnnealingWarmRestarts(lr=0.1, T_0=10, T_mult=2, eta_min=0.001)",
    "CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=20, mode='triangular2')",
    "CyclicMomentum(base_lr=0.001, max_lr=0.1, step_size_up=20)",
    "OneCycleLR(max_lr=0.1, total_steps=1000)",
    "OneCycleMomentum(max_lr=0.1, total_steps=1000, three_phase=True)",
    "SequentialLR([LinearLR(lr=0.1, start_factor=0.01, total_iters=10), "
    "CosineAnnealingLR(lr=0.1, T_max=90)], milestones=[10])",
    "ChainedScheduler([LinearLR(lr=0.1, start_factor=0.1, total_iters=10), "
    "ExponentialLR(lr=0.1, gamma=0.99)])",
    "LambdaLR(lr=0.1, lr_lambda=lambda epoch: 0.95 ** epoch)",
    "MultiplicativeLR(lr=0.1, lr_lambda=lambda epoch: 0.95)",
    "ReduceLROnPlateau(lr=0.1, factor=0.5, patience=5)",
]


_named = named


def _fail(param: str, rule: str, value: Any) -> ValueError:
    return ValueError(f"{param} must be {rule}, got {param}={value!r}")


def _fresh(last_epoch: int) -> None:
    fresh(last_epoch, -1)  # torch's fresh scheduler


def _one_function(name: str, lr_lambda: Any) -> None:
    if isinstance(lr_lambda, (list, tuple)) or not callable(lr_lambda):
        raise _fail("lr_lambda", "one function (one parameter group)", lr_lambda)
    check_function(name, "lr_lambda", lr_lambda)  # jax.numpy, now rather than under jit


def _fn_name(fn: Any) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


# ----------------------------------------------------------------------------
# Helpers for the custom pieces.

_BLOCK = 256  # steps per block of the cumulative product


def cumulative_product(fn: Callable, t: jax.Array, first: int) -> jax.Array:
    """``prod(fn(j) for j in first..t)`` for every entry of ``t`` (1 when t < first).

    With concrete steps this is one ``cumprod`` over ``first..max(t)``. Under ``jit``
    the steps are unknown, so a ``lax.while_loop`` runs up to ``max(t)`` over blocks of
    256 steps (a ``cumprod`` each): O(max(t)) evaluations of ``fn`` plus O(size(t)) per
    block. Either way one call at step n costs O(n); the loop is not
    reverse-differentiable.
    """
    t = jnp.asarray(t)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        t = jnp.floor(t).astype(jnp.int32)
    dtype = float_dtype()
    known = concrete(t)
    if known is not None:  # eager: the range of steps is known
        j = jnp.arange(first, max(int(np.max(known, initial=0)), first) + 1, dtype=t.dtype)
        f = jnp.broadcast_to(jnp.asarray(fn(j), dtype), j.shape)
        cum = jnp.concatenate([jnp.ones(1, dtype), jnp.cumprod(f)])
        return cum[jnp.clip(t - first + 1, 0, j.shape[0])]
    flat = t.reshape(-1)
    top = jnp.max(flat, initial=first - 1)
    offsets = jnp.arange(_BLOCK, dtype=flat.dtype)

    def body(carry):
        start, running, out = carry
        j = start + offsets
        f = jnp.broadcast_to(jnp.asarray(fn(j), dtype), j.shape)
        cum = running * jnp.cumprod(jnp.where(j <= top, f, 1.0))
        inside = (flat >= start) & (flat < start + _BLOCK)
        out = jnp.where(inside, cum[jnp.clip(flat - start, 0, _BLOCK - 1)], out)
        return start + _BLOCK, cum[-1], out

    init = (jnp.asarray(first, flat.dtype), jnp.ones((), dtype), jnp.ones(flat.shape, dtype))
    _, _, out = jax.lax.while_loop(lambda c: c[0] <= top, body, init)
    return out.reshape(t.shape)


class _Product:
    """``t -> prod(lr_lambda(j) for j in first..t)``: MultiplicativeLR's factor."""

    def __init__(self, lr_lambda: Callable, first: int):
        self.lr_lambda = lr_lambda
        self.first = first
        self.__name__ = f"cumprod_from_{first}_of_{_fn_name(lr_lambda)}"

    def __call__(self, t: jax.Array) -> jax.Array:
        return cumulative_product(self.lr_lambda, t, self.first)

    def restarted(self, previous: float) -> Schedule:
        """torch's restart at a SequentialLR milestone: it multiplies the lr it finds
        there, from factor 0 on."""
        return sa.custom(_Product(self.lr_lambda, 0)) * previous


class _PerCycle:
    """``t -> scale_fn(cycle)`` with torch's 1-based ``cycle = floor(t / period) + 1``."""

    def __init__(self, scale_fn: Callable):
        self.scale_fn = scale_fn
        self.__name__ = f"per_cycle_{_fn_name(scale_fn)}"

    def __call__(self, t: jax.Array, period: Any) -> jax.Array:
        return self.scale_fn(floordiv(t, period) + 1)


# ----------------------------------------------------------------------------
# Closed-form schedulers.


@_named
def LambdaLR(lr_lambda: Callable, last_epoch: int = -1, *, lr: Any) -> Schedule:
    """``lr * lr_lambda(n)`` (``torch.optim.lr_scheduler.LambdaLR``).

    Built as ``sa.custom(lr_lambda) * lr``, so ``lr_lambda`` must accept an integer
    array of steps and use ``jax.numpy`` (``jnp.minimum`` rather than ``min``,
    ``jnp.cos`` rather than ``math.cos``); a function that does not is refused here.

    Args:
        lr_lambda: the factor as a function of the step.
        last_epoch: must be -1.
        lr: the optimizer's initial learning rate.

    Example:
        >>> from schedalg.compat.torch import LambdaLR
        >>> s = LambdaLR(lr=0.1, lr_lambda=lambda n: 0.5 ** n)
        >>> round(float(s(2)), 6)
        0.025
    """
    _fresh(last_epoch)
    _one_function("LambdaLR", lr_lambda)
    return sa.custom(lr_lambda) * lr


@_named
def MultiplicativeLR(lr_lambda: Callable, last_epoch: int = -1, *, lr: Any) -> Schedule:
    """``lr * prod(lr_lambda(j) for j in 1..n)`` (``MultiplicativeLR``).

    A custom schedule evaluates the cumulative product exactly, by blocks of 256 steps
    (:func:`cumulative_product`): O(n) evaluations of ``lr_lambda`` per call at step n.
    ``lr_lambda`` must accept an integer array and use ``jax.numpy`` (checked here).

    Args:
        lr_lambda: the factor applied at step j, as a function of j.
        last_epoch: must be -1.
        lr: the optimizer's initial learning rate.

    Example:
        >>> from schedalg.compat.torch import MultiplicativeLR
        >>> s = MultiplicativeLR(lr=1.0, lr_lambda=lambda n: 0.5)
        >>> round(float(s(3)), 6)
        0.125
    """
    _fresh(last_epoch)
    _one_function("MultiplicativeLR", lr_lambda)
    return sa.custom(_Product(lr_lambda, 1)) * lr


@_named
def StepLR(step_size: int, gamma: float = 0.1, last_epoch: int = -1, *, lr: Any) -> Schedule:
    """``lr * gamma ** floor(n / step_size)`` (``StepLR``): ``sa.step``.

    Example:
        >>> from schedalg.compat.torch import StepLR
        >>> round(float(StepLR(lr=1.0, step_size=10, gamma=0.5)(25)), 6)
        0.25
    """
    _fresh(last_epoch)
    require("StepLR", "step_size", step_size, lambda v: v > 0, "> 0")
    require("StepLR", "gamma", gamma, lambda v: v >= 0, ">= 0")
    return sa.step(lr, step_size, gamma)


@_named
def MultiStepLR(
    milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1, *, lr: Any
) -> Schedule:
    """``lr * gamma ** (number of milestones <= n)`` (``MultiStepLR``): ``sa.multistep``.

    Milestones are sorted; a repeated milestone counts twice, as in torch. Without
    milestones: ``sa.piecewise_constant([], [lr])``.

    Example:
        >>> from schedalg.compat.torch import MultiStepLR
        >>> round(float(MultiStepLR(lr=1.0, milestones=[20, 10], gamma=0.1)(15)), 6)
        0.1
    """
    _fresh(last_epoch)
    return decay_at_milestones("MultiStepLR", lr, milestones, gamma)


@_named
def ConstantLR(
    factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1, *, lr: Any
) -> Schedule:
    """``lr * factor`` for n < total_iters, then ``lr`` (``ConstantLR``).

    ``sa.piecewise_constant([total_iters], [lr * factor, lr])``. With
    ``total_iters=0`` torch applies the factor and never removes it:
    ``sa.constant(factor) * lr``.

    Example:
        >>> from schedalg.compat.torch import ConstantLR
        >>> s = ConstantLR(lr=1.0, factor=0.5, total_iters=4)
        >>> float(s(3)), float(s(4))
        (0.5, 1.0)
    """
    _fresh(last_epoch)
    require("ConstantLR", "factor", factor, lambda v: (v >= 0) & (v <= 1), "in [0, 1]")
    require("ConstantLR", "total_iters", total_iters, lambda v: v >= 0, ">= 0")
    if total_iters == 0:  # the factor times lr: lr stays in the tree (see _read)
        return sa.constant(factor) * lr
    return sa.piecewise_constant([total_iters], [lr * factor, lr])


@_named
def LinearLR(
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
    last_epoch: int = -1,
    *,
    lr: Any,
) -> Schedule:
    """``lr * start_factor`` to ``lr * end_factor`` linearly over total_iters (``LinearLR``).

    ``sa.linear(start_factor, end_factor, total_iters) * lr``; with ``total_iters=0``
    torch stays at ``lr * start_factor`` (``end_factor`` becomes ``start_factor``).

    Example:
        >>> from schedalg.compat.torch import LinearLR
        >>> round(float(LinearLR(lr=1.0, start_factor=0.5, total_iters=10)(5)), 6)
        0.75
    """
    _fresh(last_epoch)
    fn = "LinearLR"
    require(fn, "start_factor", start_factor, lambda v: (v > 0) & (v <= 1), "in (0, 1]")
    require(fn, "end_factor", end_factor, lambda v: (v >= 0) & (v <= 1), "in [0, 1]")
    require(fn, "total_iters", total_iters, lambda v: v >= 0, ">= 0")
    if total_iters == 0:  # torch never leaves start_factor
        end_factor = start_factor
    return sa.linear(start_factor, end_factor, total_iters) * lr


@_named
def ExponentialLR(gamma: float, last_epoch: int = -1, *, lr: Any) -> Schedule:
    """``lr * gamma ** n`` (``ExponentialLR``): ``sa.exponential(lr, gamma)``.

    Example:
        >>> from schedalg.compat.torch import ExponentialLR
        >>> round(float(ExponentialLR(lr=1.0, gamma=0.5)(3)), 6)
        0.125
    """
    _fresh(last_epoch)
    require("ExponentialLR", "gamma", gamma, lambda v: v > 0, "> 0")
    return sa.exponential(lr, gamma)


@_named
def PolynomialLR(
    total_iters: int = 5, power: float = 1.0, last_epoch: int = -1, *, lr: Any
) -> Schedule:
    """``lr * (1 - min(n, total_iters) / total_iters) ** power`` (``PolynomialLR``).

    ``sa.polynomial(lr, 0.0, total_iters, power=power)``; with ``total_iters=0`` torch
    keeps ``lr``: ``sa.polynomial(lr, lr, 0)``.

    Example:
        >>> from schedalg.compat.torch import PolynomialLR
        >>> round(float(PolynomialLR(lr=1.0, total_iters=10, power=2.0)(5)), 6)
        0.25
    """
    _fresh(last_epoch)
    require("PolynomialLR", "total_iters", total_iters, lambda v: v >= 0, ">= 0")
    if total_iters == 0:  # torch keeps lr: an empty decay from lr to lr
        return sa.polynomial(lr, lr, 0)
    return sa.polynomial(lr, 0.0, total_iters, power=power)


@_named
def CosineAnnealingLR(
    T_max: int, eta_min: float = 0.0, last_epoch: int = -1, *, lr: Any
) -> Schedule:
    """``eta_min + (lr - eta_min) * (1 + cos(pi * n / T_max)) / 2`` for every n.

    torch's recursive update keeps following the cosine past ``T_max``: down to
    ``eta_min`` at ``T_max``, back up to ``lr`` at ``2 * T_max``, and so on. Built as
    ``sa.restart(sa.join(cosine(lr, eta_min, T_max), cosine(eta_min, lr, T_max)))``.

    Example:
        >>> from schedalg.compat.torch import CosineAnnealingLR
        >>> s = CosineAnnealingLR(lr=1.0, T_max=10)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(15)), 6)
        (0.5, 0.0, 0.5)
    """
    _fresh(last_epoch)
    require("CosineAnnealingLR", "T_max", T_max, lambda v: v > 0, "> 0")
    down = sa.cosine(lr, eta_min, T_max)
    up = sa.cosine(eta_min, lr, T_max)
    return sa.restart(sa.join(down, up))


@_named
def CosineAnnealingWarmRestarts(
    T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1, *, lr: Any
) -> Schedule:
    """SGDR: a cosine from ``lr`` to ``eta_min`` restarted after ``T_0 * T_mult**k`` steps.

    ``sa.restart(sa.cosine(lr, eta_min, T_0), mult=T_mult)``.

    Example:
        >>> from schedalg.compat.torch import CosineAnnealingWarmRestarts
        >>> s = CosineAnnealingWarmRestarts(lr=1.0, T_0=10, T_mult=2)
        >>> round(float(s(5)), 6), float(s(10)), round(float(s(20)), 6)
        (0.5, 1.0, 0.5)
    """
    _fresh(last_epoch)
    if not isinstance(T_0, int) or T_0 <= 0:
        raise _fail("T_0", "a positive integer", T_0)
    if not isinstance(T_mult, int) or T_mult < 1:
        raise _fail("T_mult", "an integer >= 1", T_mult)
    return sa.restart(sa.cosine(lr, eta_min, T_0), mult=T_mult)


# ----------------------------------------------------------------------------
# Cycles: the learning rate and the momentum that torch cycles with it.


def _cycle(name, low, high, up, down, mode, gamma, scale_fn, scale_mode) -> Schedule:
    """``low -> high -> low`` cycles with torch's amplitude rules."""
    require(name, "step_size_up", up, lambda v: v > 0, "> 0")
    require(name, "step_size_down", down, lambda v: v > 0, "> 0")
    if scale_fn is None:
        return sa.cyclic(low, high, up, down, mode=mode, gamma=gamma)
    if scale_mode not in ("cycle", "iterations"):
        raise _fail("scale_mode", "'cycle' or 'iterations'", scale_mode)
    check_function(name, "scale_fn", scale_fn)  # called on the cycle or the step
    period = up + (up if down is None else down)
    if scale_mode == "cycle":
        amplitude = sa.custom(_PerCycle(scale_fn), period=period)
    else:
        amplitude = sa.custom(scale_fn)
    return sa.cyclic(0.0, high - low, up, down) * amplitude + low


_CYCLIC_DOC = """
    Args follow torch: the learning rate runs ``base_lr -> max_lr`` over
    ``step_size_up`` steps and back over ``step_size_down`` (default: the same); the
    amplitude is 1 (``mode="triangular"``), halved each cycle (``"triangular2"``) or
    ``gamma ** n`` (``"exp_range"``); a custom ``scale_fn`` (jnp-friendly) replaces the
    mode and is called with the 1-based cycle (``scale_mode="cycle"``) or the step
    (``"iterations"``). ``lr`` is ignored: torch overwrites the optimizer's lr with
    ``base_lr``.
"""


@_named
def CyclicLR(
    base_lr: Any,
    max_lr: Any,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable | None = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
    *,
    lr: Any = None,
) -> Schedule:
    """Cyclical learning rate (``CyclicLR``): ``sa.cyclic(base_lr, max_lr, ...)``.

    The momentum schedule is :func:`CyclicMomentum` with the same arguments.

    Example:
        >>> from schedalg.compat.torch import CyclicLR
        >>> s = CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=10, mode="triangular2")
        >>> round(float(s(10)), 6), round(float(s(30)), 6)
        (1.0, 0.5)
    """
    _fresh(last_epoch)
    return _cycle(
        "CyclicLR", base_lr, max_lr, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode
    )


@_named
def CyclicMomentum(
    base_lr: Any,
    max_lr: Any,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable | None = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
    *,
    lr: Any = None,
) -> Schedule:
    """The momentum (or Adam ``beta1``) that ``CyclicLR(cycle_momentum=True)`` sets.

    It mirrors the learning rate: ``max_momentum`` when the lr is ``base_lr``,
    ``base_momentum`` at ``max_lr``, with the same amplitude rule:
    ``sa.cyclic(max_momentum, base_momentum, ...)``.

    Example:
        >>> from schedalg.compat.torch import CyclicLR, CyclicMomentum
        >>> kw = dict(base_lr=0.1, max_lr=1.0, step_size_up=10)
        >>> round(float(CyclicLR(**kw)(5)), 6), round(float(CyclicMomentum(**kw)(5)), 6)
        (0.55, 0.85)
    """
    _fresh(last_epoch)
    if not cycle_momentum:
        raise _fail("cycle_momentum", "True (otherwise torch leaves momentum alone)", False)
    return _cycle(
        "CyclicMomentum",
        max_momentum,
        base_momentum,
        step_size_up,
        step_size_down,
        mode,
        gamma,
        scale_fn,
        scale_mode,
    )


CyclicLR.__doc__ += _CYCLIC_DOC
CyclicMomentum.__doc__ += _CYCLIC_DOC


def _one_cycle(
    start, peak, end, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase
) -> Schedule:
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise _fail("total_steps", "a positive integer", total_steps)
        total = total_steps
    elif epochs is not None and steps_per_epoch is not None:
        if not isinstance(epochs, int) or epochs <= 0:
            raise _fail("epochs", "a positive integer", epochs)
        if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
            raise _fail("steps_per_epoch", "a positive integer", steps_per_epoch)
        total = epochs * steps_per_epoch
    else:
        raise ValueError("define either total_steps or (epochs and steps_per_epoch)")
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        raise _fail("pct_start", "a float in [0, 1]", pct_start)
    if anneal_strategy not in ("cos", "linear"):
        raise _fail("anneal_strategy", "'cos' or 'linear'", anneal_strategy)
    # torch's phases end at steps pct_start * total - 1 (and 2x that) and total - 1.
    up = pct_start * total - 1
    if not up > 0:
        raise _fail(
            "pct_start * total_steps", "> 1 (torch's first phase ends at that step - 1)", up + 1
        )
    steps = total - 1
    return sa.one_cycle(
        start,
        peak,
        end,
        steps,
        pct_up=up / steps,
        shape=anneal_strategy,
        three_phase=three_phase,
    )


_ONE_CYCLE_DOC = """
    torch's phases end at steps ``pct_start * total_steps - 1`` (and twice that with
    ``three_phase=True``) and ``total_steps - 1``, so this is ``sa.one_cycle`` over
    ``total_steps - 1`` steps with ``pct_up = (pct_start * total_steps - 1) /
    (total_steps - 1)``. The value holds its end from step ``total_steps - 1`` on
    (torch raises past ``total_steps``). ``lr`` is ignored: torch sets the lr from
    ``max_lr / div_factor``.
"""


@_named
def OneCycleLR(
    max_lr: Any,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
    *,
    lr: Any = None,
) -> Schedule:
    """1cycle (``OneCycleLR``): ``max_lr / div_factor -> max_lr -> that / final_div_factor``.

    The momentum schedule is :func:`OneCycleMomentum` with the same arguments.

    Example:
        >>> from schedalg.compat.torch import OneCycleLR
        >>> s = OneCycleLR(max_lr=1.0, total_steps=100, pct_start=0.5, div_factor=10.0)
        >>> round(float(s(0)), 6), round(float(s(49)), 6), round(float(s(99)), 6)
        (0.1, 1.0, 1e-05)
    """
    _fresh(last_epoch)
    require("OneCycleLR", "div_factor", div_factor, lambda v: v > 0, "> 0")
    require("OneCycleLR", "final_div_factor", final_div_factor, lambda v: v > 0, "> 0")
    initial = max_lr / div_factor
    return _one_cycle(
        initial,
        max_lr,
        initial / final_div_factor,
        total_steps,
        epochs,
        steps_per_epoch,
        pct_start,
        anneal_strategy,
        three_phase,
    )


@_named
def OneCycleMomentum(
    max_lr: Any,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
    *,
    lr: Any = None,
) -> Schedule:
    """The momentum (or Adam ``beta1``) that ``OneCycleLR(cycle_momentum=True)`` sets.

    ``max_momentum -> base_momentum -> max_momentum`` on the learning rate's phases:
    ``sa.one_cycle(max_momentum, base_momentum, max_momentum, ...)``.

    Example:
        >>> from schedalg.compat.torch import OneCycleMomentum
        >>> s = OneCycleMomentum(max_lr=1.0, total_steps=100, pct_start=0.5)
        >>> round(float(s(0)), 6), round(float(s(49)), 6), round(float(s(99)), 6)
        (0.95, 0.85, 0.95)
    """
    _fresh(last_epoch)
    if not cycle_momentum:
        raise _fail("cycle_momentum", "True (otherwise torch leaves momentum alone)", False)
    return _one_cycle(
        max_momentum,
        base_momentum,
        max_momentum,
        total_steps,
        epochs,
        steps_per_epoch,
        pct_start,
        anneal_strategy,
        three_phase,
    )


OneCycleLR.__doc__ += _ONE_CYCLE_DOC
OneCycleMomentum.__doc__ += _ONE_CYCLE_DOC


# ----------------------------------------------------------------------------
# What SequentialLR and ChainedScheduler need to know of a scheduler, read from the
# schedule itself: the tree is the only record, so a copy (``jax.tree.map``,
# ``parse(repr(s))``, ``from_dict(to_dict(s))``) reads as the original. Each reader
# knows the form its constructor builds, with the lr where the tree keeps it.


@dataclasses.dataclass(frozen=True)
class _Scheduler:
    name: str
    lr: Any
    # torch multiplies the current lr on each step (so chains are products).
    chainable: bool
    # The piece torch runs when SequentialLR switches to this scheduler at a
    # milestone, given the lr just before; None when it is the schedule itself.
    at_milestone: Callable[[float], Schedule] | None = None


def _read(schedule: Schedule) -> _Scheduler | None:
    """The scheduler ``schedule`` is the form of, or None for a form not built here."""
    reader = _READERS.get(type(schedule))
    return None if reader is None else reader(schedule)


def _no_restart(name: str) -> Callable[[float], Schedule]:
    def at_milestone(previous: float) -> Schedule:
        raise ValueError(
            f"{name} with total_iters=0 cannot follow a milestone (torch divides by zero)"
        )

    return at_milestone


def _product(*parts: _Scheduler | None, factor: Any = 1.0) -> _Scheduler | None:
    """Chained schedulers multiplied (times ``factor``): a ChainedScheduler whose lr is the
    product of theirs, or None unless every part chains."""
    if not all(part is not None and part.chainable for part in parts):
        return None
    lrs = [p.lr for p in parts if p is not None]
    return _Scheduler("ChainedScheduler", math.prod(lrs, start=factor), True)


def _read_scale(s: sa.scale) -> _Scheduler | None:
    if isinstance(s.factor, Schedule):  # ChainedScheduler's product of two schedulers
        return _product(_read(s.schedule), _read(s.factor))
    inner, lr = s.schedule, s.factor  # a factor schedule times lr
    if isinstance(inner, sa.custom) and isinstance(inner.fn, _Product):
        return _Scheduler("MultiplicativeLR", lr, True, inner.fn.restarted)
    if isinstance(inner, sa.custom):
        return _Scheduler("LambdaLR", lr, False)
    if isinstance(inner, sa.linear):
        restart = _no_restart("LinearLR") if all_true(inner.steps == 0) else None
        return _Scheduler("LinearLR", lr, True, restart)
    if isinstance(inner, sa.constant):  # ConstantLR(total_iters=0): restarted, no factor
        return _Scheduler("ConstantLR", lr, True, lambda previous: sa.constant(lr))
    return _product(_read(inner), factor=lr)  # a chain times lr / (lr_0 * lr_1 * ...)


def _read_polynomial(s: sa.polynomial) -> _Scheduler:
    restart = _no_restart("PolynomialLR") if all_true(s.steps == 0) else None
    return _Scheduler("PolynomialLR", s.start, True, restart)


def _read_piecewise(s: sa.piecewise_constant) -> _Scheduler | None:
    # ConstantLR's [lr * factor, lr], or MultiStepLR's [lr] without milestones.
    if np.shape(s.values)[-1] > 2:
        return None
    return _Scheduler("ConstantLR", s.values[..., -1], True)


def _read_restart(s: sa.restart) -> _Scheduler | None:
    inner = s.schedule
    if isinstance(inner, sa.cosine):
        return _Scheduler("CosineAnnealingWarmRestarts", inner.start, False)
    pieces = inner.pieces if isinstance(inner, sa.join) else ()
    if not (len(pieces) == 2 and all(isinstance(p, sa.cosine) for p in pieces)):
        return None
    down = pieces[0]  # CosineAnnealingLR's cosine from lr to eta_min
    # With eta_min = 0 torch's step multiplies the lr, so the scheduler chains.
    return _Scheduler("CosineAnnealingLR", down.start, all_true(down.end == 0))


def _read_add(s: sa.add) -> _Scheduler | None:
    # CyclicLR with a scale_fn: the cycles times the amplitude, plus base_lr.
    cycles = s.schedule.schedule if isinstance(s.schedule, sa.scale) else None
    return _Scheduler("CyclicLR", s.other, False) if isinstance(cycles, sa.cyclic) else None


def _read_join(s: sa.join) -> _Scheduler | None:
    return None if s.boundaries is None else _Scheduler("SequentialLR", None, False)


_READERS: dict[type, Callable[[Any], _Scheduler | None]] = {
    sa.scale: _read_scale,
    sa.step: lambda s: _Scheduler("StepLR", s.start, True),
    sa.multistep: lambda s: _Scheduler("MultiStepLR", s.start, True),
    sa.piecewise_constant: _read_piecewise,
    sa.exponential: lambda s: _Scheduler("ExponentialLR", s.start, True),
    sa.polynomial: _read_polynomial,
    sa.restart: _read_restart,
    sa.cyclic: lambda s: _Scheduler("CyclicLR", s.low, False),
    sa.add: _read_add,
    sa.one_cycle: lambda s: _Scheduler("OneCycleLR", s.start, False),
    sa.join: _read_join,
}


# ----------------------------------------------------------------------------
# Combinations.


@_named
def SequentialLR(
    schedulers: Sequence[Schedule],
    milestones: Sequence[int],
    last_epoch: int = -1,
    *,
    lr: Any = None,
) -> Schedule:
    """Scheduler i from ``milestones[i - 1]`` on, on its own clock (``SequentialLR``).

    ``sa.join(*schedulers, boundaries=milestones)``: at a milestone torch restarts the
    next scheduler at its epoch 0, so the value at a milestone belongs to the next
    scheduler. A MultiplicativeLR that starts at a milestone multiplies the lr it
    finds there (from its factor at epoch 0), as torch does.

    Args:
        schedulers: schedules made by this module's constructors, or copies of them
            (any schedule works when no quirk applies).
        milestones: the steps where the next scheduler starts (sorted).
        last_epoch: must be -1.
        lr: accepted for torch's signature; unused.

    Example:
        >>> from schedalg.compat.torch import ConstantLR, ExponentialLR, SequentialLR
        >>> s = SequentialLR([ConstantLR(lr=1.0, factor=0.1, total_iters=2),
        ...                   ExponentialLR(lr=1.0, gamma=0.5)], milestones=[2])
        >>> [round(float(s(n)), 6) for n in range(5)]
        [0.1, 0.1, 1.0, 0.5, 0.25]
    """
    _fresh(last_epoch)
    pieces, milestones = some_schedulers(schedulers), list(milestones)
    check_sequence("SequentialLR", pieces, milestones)
    check_count(pieces, milestones)
    # The scheduler torch starts with; the later ones start at their milestone.
    first = bisect_right(milestones, 0)
    for i in range(first + 1, len(pieces)):
        made = _read(pieces[i])
        if made is not None and made.at_milestone is not None:
            start = milestones[i - 1]
            before = sa.join(*pieces[:i], boundaries=milestones[: i - 1]) if i > 1 else pieces[0]
            pieces[i] = made.at_milestone(float(before(start - 1)))
    return pieces[0] if len(pieces) == 1 else sa.join(*pieces, boundaries=milestones)


@_named
def ChainedScheduler(schedulers: Sequence[Schedule], *, lr: Any = None) -> Schedule:
    """All schedulers stepped together (``ChainedScheduler``): the product of their factors.

    ``lr * prod(s_i(n) / lr_i)`` as ``sa.scale`` nodes, where ``lr_i`` is the ``lr``
    scheduler i was built with, read from its schedule (so a copy by ``jax.tree.map``,
    ``sa.parse(repr(s))`` or ``sa.from_dict(sa.to_dict(s))`` serves as the original).
    torch's chain is a product only when every scheduler multiplies the current lr on
    each step: ConstantLR, LinearLR, StepLR, MultiStepLR, ExponentialLR, PolynomialLR,
    MultiplicativeLR and CosineAnnealingLR with ``eta_min=0`` (whose recursion passes
    through lr = 0 at ``T_max``; torch's chain then loses the other factors, schedalg
    keeps the product). Other schedulers set the lr instead, and are refused.

    Args:
        schedulers: schedules made by this module's constructors, or copies of them.
        lr: the optimizer's initial lr (default: the ``lr`` of the first scheduler).

    Example:
        >>> from schedalg.compat.torch import ChainedScheduler, ConstantLR, ExponentialLR
        >>> s = ChainedScheduler([ConstantLR(lr=1.0, factor=0.1, total_iters=2),
        ...                       ExponentialLR(lr=1.0, gamma=0.5)])
        >>> [round(float(s(n)), 6) for n in range(4)]
        [0.1, 0.05, 0.25, 0.125]
    """
    schedulers = some_schedulers(schedulers)
    made = []
    for i, s in enumerate(schedulers):
        where = f"scheduler {i + 1} of {len(schedulers)}"
        info = _read(s)
        if info is None:
            raise ValueError(
                f"{where} was not made by schedalg.compat.torch, so its lr is unknown; "
                "build it with this module, or multiply schedules with sa.scale"
            )
        if not info.chainable:
            raise ValueError(
                f"{where} ({info.name}) sets the lr on each step instead of multiplying "
                "it, so torch's chain is not a product; multiply schedules with sa.scale"
            )
        made.append(info)
    schedule = functools.reduce(lambda a, b: a * b, schedulers)
    # lr * prod(s_i / lr_i) = s_0 * s_1 * ... * (lr / lr_0) / (lr_1 * lr_2 * ...)
    factor = math.prod(1.0 / info.lr for info in made[1:])
    if lr is not None:
        factor = factor * lr / made[0].lr
    if len(schedulers) == 1 and lr is None:
        return schedule
    return schedule * factor


@_named
def ReduceLROnPlateau(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0,
    eps: float = 1e-8,
    *,
    lr: Any,
) -> reduce_on_plateau:
    """torch's ReduceLROnPlateau as a pure rule: the lr is ``lr * state.scale``.

    Returns ``reduce_on_plateau(..., min_scale=min_lr / lr, eps=eps / lr)``; after
    ``state = rule.update(state, metric)`` for each ``scheduler.step(metric)``,
    ``lr * state.scale`` is torch's learning rate.

    Example:
        >>> from schedalg.compat.torch import ReduceLROnPlateau
        >>> rule = ReduceLROnPlateau(lr=0.1, factor=0.5, patience=0)
        >>> state = rule.init()
        >>> for loss in [1.0, 2.0]:
        ...     state = rule.update(state, loss)
        >>> round(0.1 * float(state.scale), 6)
        0.05
    """
    torch_args = (mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps)
    return plateau_rule("ReduceLROnPlateau", "lr", lr, *torch_args)
