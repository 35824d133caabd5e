"""optax's schedules (``optax.schedules``) rebuilt from the schedalg algebra.

Every function keeps optax's name, keyword arguments and defaults and returns a schedalg
schedule with optax's numbers, quirks included:

* ``transition_steps <= 0`` in ``polynomial_schedule``/``linear_schedule`` (hence
  ``warmup_constant_schedule(warmup_steps=0)``) and in ``exponential_decay`` holds
  ``init_value``; a negative ``transition_begin`` counts as 0.
* ``exponential_decay``'s ``end_value`` bounds every step, the first ones included.
* ``piecewise_*_schedule`` take ``{step: scale}`` and multiply the scales up; a step equal
  to a boundary already has the new value.
* ``warmup_cosine_decay_schedule``'s ``decay_steps`` counts the warmup; ``sgdr_schedule``
  joins warmup-cosine pieces, each ``decay_steps`` long.
* the one-cycle schedules put their knots at ``int(pct * transition_steps)``, and a
  repeated knot keeps the scale given last (optax builds a dict).

Unlike optax's closures, **every numeric argument may be a traced or batched array**: the
numbers become leaves and optax's Python branches become ``where`` on the leaves, so
``jax.vmap`` over ``warmup_steps`` or ``decay_steps`` works.

Example:
    >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110)
    >>> s
    warmup(cosine(start=1.0, end=0.0, steps=100), steps=10)
    >>> round(float(s(5)), 6), round(float(s(60)), 6)
    (0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._clock import shift
from schedalg._combinators import join, warmup
from schedalg._core import Schedule, concrete, require
from schedalg._primitives import constant, cosine, exponential, linear, polynomial
from schedalg._steps import piecewise_constant, piecewise_linear
from schedalg._transforms import check_function, custom
from schedalg.compat._named import named
from schedalg.compat._shared import all_true, known, maximum, vec, where, xp_of

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]

#: Representative calls, evaluated with this module's names for the migration page.
EXAMPLES: list[str] = [
    "constant_schedule(1e-3)",
    "linear_schedule(init_value=1.0, end_value=0.01, transition_steps=100, transition_begin=5)",
    "polynomial_schedule(init_value=1.0, end_value=0.01, power=2, transition_steps=100)",
    "exponential_decay(init_value=1e-3, transition_steps=1000, decay_rate=0.5, staircase=True)",
    "cosine_decay_schedule(init_value=1e-3, decay_steps=1000, alpha=0.1)",
    "piecewise_constant_schedule(init_value=1.0, boundaries_and_scales={100: 0.1, 200: 0.1})",
    "piecewise_interpolate_schedule('cosine', 1.0, {4: 0.1, 8: 0.01})",
    "linear_onecycle_schedule(transition_steps=1000, peak_value=1e-2)",
    "cosine_onecycle_schedule(transition_steps=1000, peak_value=1e-2)",
    "warmup_constant_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100)",
    "warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100, "
    "decay_steps=1000)",
    "warmup_exponential_decay_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100, "
    "transition_steps=500, decay_rate=0.5)",
    "sgdr_schedule([dict(init_value=0.0, peak_value=1e-3, warmup_steps=10, decay_steps=100), "
    "dict(init_value=0.0, peak_value=5e-4, warmup_steps=10, decay_steps=200)])",
    "join_schedules([constant_schedule(1e-3), linear_schedule(1e-3, 0.0, 100)], [50])",
]


# ----------------------------------------------------------------------------
# Helpers (the leaf arithmetic shared with other compat modules is in _shared).


def _trunc(x: Any) -> Any:
    """Python's ``int(x)`` for x >= 0, elementwise (the knots of the one-cycle schedules)."""
    if known(x):
        return np.trunc(np.asarray(x, dtype=np.float64)).astype(np.int64)
    return jnp.trunc(x).astype(int)


def _begin(schedule: Schedule, transition_begin: Any) -> Schedule:
    """Holds the first value for ``transition_begin`` steps (negative counts as 0)."""
    begin = maximum(transition_begin, 0)
    if known(begin) and not np.any(np.asarray(begin)):
        return schedule
    return shift(schedule, begin)


def _require_scales(fn: str, scales: Iterable[Any]) -> None:
    if not all(bool(np.all(s >= 0.0)) for s in scales if known(s)):
        raise ValueError(
            f"`{fn}` expects non-negative scale factors, got "
            f"boundaries_and_scales with scales {list(scales)!r}"
        )


def _require_mapping(boundaries_and_scales: Any) -> None:
    if boundaries_and_scales is not None and not isinstance(boundaries_and_scales, Mapping):
        raise ValueError(
            "boundaries_and_scales must be a mapping {step: scale}, got "
            f"boundaries_and_scales={boundaries_and_scales!r}"
        )


# ----------------------------------------------------------------------------
# The schedules


@named
def constant_schedule(value: ArrayLike) -> Schedule:
    """optax's ``constant_schedule``: ``value`` at every step; ``constant(value)``.

    Args:
        value: the value held throughout.

    Example:
        >>> float(constant_schedule(5.0)(100))
        5.0
    """
    return constant(value)


@named
def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: ArrayLike,
    transition_steps: ArrayLike,
    transition_begin: ArrayLike = 0,
) -> Schedule:
    """optax's ``polynomial_schedule``: ``shift(polynomial(init, end, T, power=P), B)``.

    ``I`` for t < B; ``(I - E) * (1 - (t - B) / T) ** P + E`` for B <= t < B + T; ``E``
    after. ``T <= 0`` holds ``I`` (optax's quirk); ``B < 0`` counts as 0.

    Args:
        init_value: ``I``, the value before and at the start of the transition.
        end_value: ``E``, the value from ``B + T`` on.
        power: ``P``, the exponent of the polynomial (> 0).
        transition_steps: ``T``, the length of the transition in steps.
        transition_begin: ``B``, the steps to hold ``I`` before the transition.

    Example:
        >>> s = polynomial_schedule(1.0, 0.01, power=2, transition_steps=100, transition_begin=5)
        >>> round(float(s(6)), 4), round(float(s(105)), 4)
        (0.9803, 0.01)
    """
    active = transition_steps > 0
    if known(active) and not np.any(active):
        return constant(init_value)
    end = where(active, end_value, init_value)
    steps = where(active, transition_steps, 1)
    return _begin(polynomial(init_value, end, steps, power=power), transition_begin)


@named
def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: ArrayLike,
    transition_begin: ArrayLike = 0,
) -> Schedule:
    """optax's ``linear_schedule``: ``shift(linear(init, end, T), B)``.

    ``I`` for t < B; ``I + (t - B) / T * (E - I)`` for B <= t < B + T; ``E`` after.
    ``T <= 0`` holds ``I`` (optax's quirk); ``B < 0`` counts as 0.

    Args:
        init_value: ``I``, the starting value.
        end_value: ``E``, the value from ``B + T`` on.
        transition_steps: ``T``, the length of the ramp in steps.
        transition_begin: ``B``, the steps to hold ``I`` before the ramp.

    Example:
        >>> round(float(linear_schedule(1.0, 0.0, transition_steps=100)(25)), 6)
        0.75
    """
    active = transition_steps > 0
    if known(active) and not np.any(active):
        return constant(init_value)
    end = where(active, end_value, init_value)
    steps = where(active, transition_steps, 1)
    return _begin(linear(init_value, end, steps), transition_begin)


@named
def piecewise_constant_schedule(
    init_value: ArrayLike, boundaries_and_scales: Mapping[int, ArrayLike] | None = None
) -> Schedule:
    """optax's ``piecewise_constant_schedule``: ``piecewise_constant`` with multiplied-up values.

    ``I * prod(s_i for b_i <= t)`` for ``{b_i: s_i}`` in ``boundaries_and_scales``.

    Args:
        init_value: ``I``, the value before the first boundary.
        boundaries_and_scales: ``{step: scale}``; from ``step`` on the value is multiplied
            by ``scale`` (>= 0).

    Example:
        >>> s = piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.01})
        >>> round(float(s(99)), 6), round(float(s(100)), 6), round(float(s(250)), 6)
        (1.0, 0.1, 0.001)
    """
    _require_mapping(boundaries_and_scales)
    if not boundaries_and_scales:
        return constant(init_value)
    bounds, scales = zip(*sorted(boundaries_and_scales.items()))
    _require_scales("piecewise_constant_schedule", scales)
    return piecewise_constant(vec(bounds), _values(init_value, scales))


def _values(init_value: Any, scales: Sequence[Any]) -> Any:
    """``[I, I*s_1, I*s_1*s_2, ...]`` along the last axis (optax multiplies in this order)."""
    factors = vec([init_value, *scales])
    return xp_of(factors).cumprod(factors, axis=-1)


def _interpolate(kind: str, init_value: Any, bounds: Sequence[Any], scales: Sequence[Any]):
    """Knots at ``[0, *bounds]`` with multiplied-up values, joined by ``kind`` segments."""
    if not bounds:
        return constant(init_value)
    values = _values(init_value, scales)
    knots = vec([0, *bounds])
    if kind == "linear":
        return piecewise_linear(knots, values)
    # A cosine half-wave per segment, each on its own clock; optax measures an empty
    # segment as 1 step long (it is never active).
    pieces = [
        cosine(values[..., i], values[..., i + 1], maximum(knots[..., i + 1] - knots[..., i], 1))
        for i in range(len(bounds))
    ]
    return join(*pieces, constant(values[..., -1]), boundaries=knots[..., 1:])


@named
def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: ArrayLike,
    boundaries_and_scales: Mapping[int, ArrayLike] | None = None,
) -> Schedule:
    """optax's ``piecewise_interpolate_schedule``: knots with multiplied-up values.

    Knots at ``0, b_1, b_2, ...`` with values ``I, I*s_1, I*s_1*s_2, ...``; between knots
    a straight line (``piecewise_linear``) or a cosine half-wave (a ``join`` of
    ``cosine`` pieces); the last value from the last knot on.

    Args:
        interpolate_type: ``"linear"`` or ``"cosine"``.
        init_value: ``I``, the value at step 0.
        boundaries_and_scales: ``{step: scale}``; the value reaches the previous value
            times ``scale`` (>= 0) at ``step``.

    Example:
        >>> s = piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
        >>> round(float(s(2)), 6), round(float(s(6)), 6)
        (0.55, 0.0505)
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(
            f"`interpolate_type` must be either 'cosine' or 'linear', got {interpolate_type=!r}"
        )
    _require_mapping(boundaries_and_scales)
    if not boundaries_and_scales:
        return constant(init_value)
    bounds, scales = zip(*sorted(boundaries_and_scales.items()))
    _require_scales("piecewise_interpolate_schedule", scales)
    if known(*bounds) and min(np.min(b) for b in bounds) < 0:  # knots start at step 0
        raise ValueError(
            "boundaries_and_scales must have steps >= 0 as keys, got "
            f"boundaries_and_scales={boundaries_and_scales!r}"
        )
    return _interpolate(interpolate_type, init_value, bounds, scales)


def _dict_knots(keys: Sequence[Any], scales: Sequence[Any]) -> tuple[list, list]:
    """optax's ``sorted({k: s, ...}.items())`` for keys that may be traced.

    A repeated key keeps the scale given last (dict semantics); here it stays as a run of
    equal knots whose first carries that scale and the others 1 (empty segments).
    """
    k, s = vec(keys), vec(scales)
    xp = xp_of(k, s)
    k, s = xp.broadcast_arrays(k, s)
    order = xp.argsort(k, axis=-1, stable=True)  # stable: equal keys keep their order
    k = xp.take_along_axis(k, order, axis=-1)
    s = xp.take_along_axis(s, order, axis=-1)
    n = len(keys)
    last = [s[..., n - 1]]  # the scale of the last key of each run of equal keys
    for i in range(n - 2, -1, -1):
        last.insert(0, xp.where(k[..., i] == k[..., i + 1], last[0], s[..., i]))
    eff = [last[0]] + [xp.where(k[..., i] == k[..., i - 1], 1.0, last[i]) for i in range(1, n)]
    return [k[..., i] for i in range(n)], eff


def _onecycle_checks(
    fn: str, transition_steps: Any, pct_start: Any, div_factor: Any, final_div_factor: Any
) -> None:
    if known(transition_steps) and np.any(np.asarray(transition_steps) <= 0):
        raise ValueError(
            f"{fn}: transition_steps must be > 0, got transition_steps={transition_steps!r}"
        )
    require(fn, "pct_start", pct_start, lambda v: v >= 0, ">= 0")
    require(fn, "div_factor", div_factor, lambda v: v > 0, "> 0")
    require(fn, "final_div_factor", final_div_factor, lambda v: v > 0, "> 0")


def _onecycle(kind: str, start: Any, keys: Sequence[Any], scales: Sequence[Any]) -> Schedule:
    """Knots from ``{keys[i]: scales[i]}`` (a dict, as optax builds it), from ``start``."""
    bounds, scales = _dict_knots(keys, scales)
    return _interpolate(kind, start, bounds, scales)


@named
def linear_onecycle_schedule(
    transition_steps: ArrayLike,
    peak_value: ArrayLike,
    pct_start: ArrayLike = 0.3,
    pct_final: ArrayLike = 0.85,
    div_factor: ArrayLike = 25.0,
    final_div_factor: ArrayLike = 1e4,
) -> Schedule:
    """optax's ``linear_onecycle_schedule``: three straight lines through four knots.

    Knots ``(0, P/d)``, ``(int(a*T), P)``, ``(int(b*T), P/d)``, ``(T, P/(d*f))`` with
    ``a = pct_start``, ``b = pct_final``, ``d = div_factor``, ``f = final_div_factor``:
    ``piecewise_interpolate_schedule("linear", ...)``.

    Args:
        transition_steps: ``T`` (> 0), the length of the cycle in steps.
        peak_value: ``P``, the value at the top of the cycle.
        pct_start: fraction of ``T`` spent rising.
        pct_final: fraction of ``T`` at which the fall back to ``P/d`` ends.
        div_factor: ``d``, the start value is ``P/d``.
        final_div_factor: ``f``, the final value is ``P/(d*f)``.

    Example:
        >>> s = linear_onecycle_schedule(100, 1.0, div_factor=10.0)
        >>> round(float(s(0)), 6), round(float(s(30)), 6), round(float(s(85)), 6)
        (0.1, 1.0, 0.1)
    """
    fn = "linear_onecycle_schedule"
    _onecycle_checks(fn, transition_steps, pct_start, div_factor, final_div_factor)
    require(fn, "pct_final", pct_final, lambda v: v >= 0, ">= 0")
    keys = [_trunc(pct_start * transition_steps), _trunc(pct_final * transition_steps)]
    keys.append(transition_steps)
    scales = [div_factor, 1.0 / div_factor, 1.0 / final_div_factor]
    return _onecycle("linear", peak_value / div_factor, keys, scales)


@named
def cosine_onecycle_schedule(
    transition_steps: ArrayLike,
    peak_value: ArrayLike,
    pct_start: ArrayLike = 0.3,
    div_factor: ArrayLike = 25.0,
    final_div_factor: ArrayLike = 1e4,
) -> Schedule:
    """optax's ``cosine_onecycle_schedule``: two cosine half-waves through three knots.

    Knots ``(0, P/d)``, ``(int(a*T), P)``, ``(int(T), P/(d*f))``:
    ``piecewise_interpolate_schedule("cosine", ...)``.

    Args:
        transition_steps: ``T`` (> 0), the length of the cycle in steps.
        peak_value: ``P``, the value at the top of the cycle.
        pct_start: fraction of ``T`` spent rising.
        div_factor: ``d``, the start value is ``P/d``.
        final_div_factor: ``f``, the final value is ``P/(d*f)``.

    Example:
        >>> s = cosine_onecycle_schedule(100, 1.0, div_factor=10.0)
        >>> round(float(s(0)), 6), round(float(s(30)), 6), round(float(s(100)), 6)
        (0.1, 1.0, 1e-05)
    """
    fn = "cosine_onecycle_schedule"
    _onecycle_checks(fn, transition_steps, pct_start, div_factor, final_div_factor)
    keys = [_trunc(pct_start * transition_steps), _trunc(transition_steps)]
    scales = [div_factor, 1.0 / (div_factor * final_div_factor)]
    return _onecycle("cosine", peak_value / div_factor, keys, scales)


@named
def exponential_decay(
    init_value: ArrayLike,
    transition_steps: ArrayLike,
    decay_rate: ArrayLike,
    transition_begin: ArrayLike = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """optax's ``exponential_decay``: ``shift(exponential(I, r, T, end=E), B)``.

    ``I`` for t <= B, then ``I * r ** ((t - B) / T)`` (``floor`` of the exponent with
    ``staircase``); with ``end_value`` every value is bounded by ``E`` (below when
    ``r < 1``, above otherwise), the first ones included. ``T <= 0`` or ``r == 0`` holds
    ``I`` and ignores ``E`` (optax's quirk); ``B < 0`` counts as 0.

    Args:
        init_value: ``I``, the value up to ``transition_begin``.
        transition_steps: ``T``, steps per factor ``r``.
        decay_rate: ``r`` (> 0), the factor per ``T`` steps.
        transition_begin: ``B``, the steps to hold ``I`` first.
        staircase: multiply by ``r`` in whole jumps every ``T`` steps.
        end_value: ``E``, the bound (``None``: unbounded).

    Example:
        >>> s = exponential_decay(1.0, transition_steps=10, decay_rate=0.5, end_value=0.2)
        >>> round(float(s(10)), 6), round(float(s(100)), 6)
        (0.5, 0.2)
    """
    require("exponential_decay", "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
    off = (transition_steps <= 0) | (decay_rate == 0)
    if all_true(off):
        return constant(init_value)
    rate = where(off, 1.0, decay_rate)
    steps = where(off, 1, transition_steps)
    end = None if end_value is None else where(off, init_value, end_value)
    decay = exponential(init_value, rate, steps, staircase=staircase, end=end)
    return _begin(decay, transition_begin)


@named
def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: ArrayLike,
    alpha: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """optax's ``cosine_decay_schedule``: ``cosine(I, alpha * I, T, exponent=p)``.

    ``I * ((1 - alpha) * (0.5 * (1 + cos(pi * t / T))) ** p + alpha)`` for t <= T, then
    ``alpha * I``.

    Args:
        init_value: ``I``, the value at step 0.
        decay_steps: ``T`` (> 0), the length of the decay in steps.
        alpha: the end value as a fraction of ``I``.
        exponent: ``p`` (> 0), bends the cosine.

    Example:
        >>> round(float(cosine_decay_schedule(1.0, 100, alpha=0.1)(50)), 6)
        0.55
    """
    require("cosine_decay_schedule", "decay_steps", decay_steps, lambda v: v > 0, "> 0")
    return cosine(init_value, alpha * init_value, decay_steps, exponent=exponent)


@named
def warmup_constant_schedule(
    init_value: ArrayLike, peak_value: ArrayLike, warmup_steps: ArrayLike
) -> Schedule:
    """optax's ``warmup_constant_schedule``: ``linear_schedule(init, peak, warmup_steps)``.

    A linear ramp from ``init_value`` to ``peak_value``, then ``peak_value``. As in optax,
    ``warmup_steps=0`` holds ``init_value``.

    Args:
        init_value: the value at step 0.
        peak_value: the value from ``warmup_steps`` on.
        warmup_steps: the length of the ramp in steps.

    Example:
        >>> round(float(warmup_constant_schedule(0.0, 1.0, 10)(5)), 6)
        0.5
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


@named
def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: ArrayLike,
    decay_steps: ArrayLike,
    end_value: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """optax's ``warmup_cosine_decay_schedule``: ``warmup(cosine(P, E, D - W), W, start=I)``.

    ``I + (P - I) * t / W`` for t < W; then a cosine from ``P`` to ``E`` over the
    remaining ``D - W`` steps (``decay_steps`` counts the warmup); ``E`` after ``D``. With
    ``peak_value == 0`` the decay is 0 throughout, as in optax.

    Args:
        init_value: ``I``, the value at step 0.
        peak_value: ``P``, the value at the end of the warmup.
        warmup_steps: ``W`` (>= 0), the length of the linear warmup.
        decay_steps: ``D`` (> W), the total length, warmup included.
        end_value: ``E``, the final value.
        exponent: bends the cosine as in :func:`cosine_decay_schedule`.

    Example:
        >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110)
        >>> round(float(s(5)), 6), round(float(s(10)), 6), round(float(s(110)), 6)
        (0.5, 1.0, 0.0)
    """
    fn = "warmup_cosine_decay_schedule"
    require(fn, "warmup_steps", warmup_steps, lambda v: v >= 0, ">= 0")
    w = concrete(warmup_steps)  # a traced warmup cannot be compared now
    if w is not None:
        require(fn, "decay_steps", decay_steps, lambda v: v > w, f"> warmup_steps={warmup_steps!r}")
    end = where(peak_value == 0.0, 0.0, end_value)
    decay = cosine(peak_value, end, decay_steps - warmup_steps, exponent=exponent)
    return warmup(decay, warmup_steps, start=init_value)


@named
def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: ArrayLike,
    transition_steps: ArrayLike,
    decay_rate: ArrayLike,
    transition_begin: ArrayLike = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """optax's ``warmup_exponential_decay_schedule``: a linear warmup to ``peak_value``,
    then :func:`exponential_decay` from ``peak_value`` on its own clock.

    ``warmup(exponential_decay(P, ...), W, start=I)``; with ``end_value`` the ramp still
    aims at ``P`` (optax joins the two at ``W``), so the form is
    ``join(warmup(constant(P), W, start=I), exponential_decay(P, ...), boundaries=[W])``.

    Args:
        init_value: ``I``, the value at step 0.
        peak_value: ``P``, the value at the end of the warmup.
        warmup_steps: ``W`` (>= 0), the length of the linear warmup.
        transition_steps: as in :func:`exponential_decay`.
        decay_rate: as in :func:`exponential_decay`.
        transition_begin: as in :func:`exponential_decay`, counted from ``W``.
        staircase: as in :func:`exponential_decay`.
        end_value: as in :func:`exponential_decay`.

    Example:
        >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5)
        >>> round(float(s(5)), 6), round(float(s(20)), 6)
        (0.5, 0.5)
    """
    fn = "warmup_exponential_decay_schedule"
    require(fn, "warmup_steps", warmup_steps, lambda v: v >= 0, ">= 0")
    require(fn, "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
    decay = exponential_decay(
        peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
    )
    if end_value is None:
        return warmup(decay, warmup_steps, start=init_value)
    ramp = warmup(constant(peak_value), warmup_steps, start=init_value)
    return join(ramp, decay, boundaries=vec([warmup_steps]))


@named
def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, ArrayLike]]) -> Schedule:
    """optax's ``sgdr_schedule``: ``join`` of :func:`warmup_cosine_decay_schedule` pieces.

    Piece i is ``warmup_cosine_decay_schedule(**cosine_kwargs[i])`` on its own clock and
    lasts its ``decay_steps`` (its duration in schedalg).

    Args:
        cosine_kwargs: one dict of :func:`warmup_cosine_decay_schedule` arguments per cycle.

    Example:
        >>> s = sgdr_schedule([dict(init_value=0.0, peak_value=1.0, warmup_steps=10,
        ...                         decay_steps=50)] * 2)
        >>> round(float(s(55)), 6), s.duration
        (0.5, 100)
    """
    pieces = []
    for i, kwargs in enumerate(cosine_kwargs):
        try:
            pieces.append(warmup_cosine_decay_schedule(**kwargs))
        except ValueError as err:  # say which cycle
            raise ValueError(f"cosine_kwargs[{i}]: {err}") from None
    if not pieces:
        raise ValueError("cosine_kwargs must hold at least one cycle, got none")
    return join(*pieces)


@named
def join_schedules(
    schedules: Sequence[Schedule | Callable[[Any], Any]], boundaries: Sequence[ArrayLike]
) -> Schedule:
    """optax's ``join_schedules``: ``join(*schedules, boundaries=boundaries)``.

    Schedule i runs from ``boundaries[i-1]`` on, on its own clock ``t - boundaries[i-1]``.
    A plain callable (a pure ``jax.numpy`` function of the step, checked here) is
    wrapped in ``custom``.

    Args:
        schedules: the pieces, in order.
        boundaries: the absolute start step of each piece after the first.

    Example:
        >>> s = join_schedules([constant_schedule(1.0), linear_schedule(1.0, 0.0, 10)], [5])
        >>> round(float(s(4)), 6), round(float(s(10)), 6)
        (1.0, 0.5)
    """
    schedules = list(schedules)
    if not schedules:
        raise ValueError("schedules must hold at least one schedule, got schedules=[]")
    for i, s in enumerate(schedules):
        if not callable(s):
            raise ValueError(f"schedules[{i}] must be a schedule or a function, got {s!r}")
        if not isinstance(s, Schedule):  # a plain function: jax.numpy only, say which
            check_function("join_schedules", f"schedules[{i}]", s)
    pieces = [s if isinstance(s, Schedule) else custom(s) for s in schedules]
    return join(*pieces, boundaries=vec(list(boundaries)))
