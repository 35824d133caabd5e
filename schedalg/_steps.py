"""Piecewise primitives: step, multistep, piecewise_constant, piecewise_linear."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    broadcast_all,
    clock,
    concrete,
    fl,
    floordiv,
    power,
    schedule_class,
    thresholds,
    vector,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["step", "multistep", "piecewise_constant", "piecewise_linear"]

# Above this many knots a binary search beats comparing against every knot.
_SEARCH_ABOVE = 32


# Up to this many (batched) boundaries the comparisons are unrolled into one fused loop.
_UNROLL_UP_TO = 128


def count_at_or_below(t: jax.Array, boundaries: Any) -> jax.Array:
    """Number of boundaries <= t; shape broadcast(t.shape, boundaries.shape[:-1])."""
    t, b = thresholds(t, jnp.asarray(boundaries))  # exact for an integer t, float boundaries
    k = b.shape[-1]
    if b.ndim == 1 and k > _SEARCH_ABOVE:
        return jnp.searchsorted(b, t, side="right").astype(jnp.int32)
    # One comparison per boundary added up elementwise: XLA fuses the adds into one
    # loop, where a sum over a trailing boundary axis compiles to a scalar reduction
    # (50x slower for 100 milestones batched per schedule).
    count = jnp.zeros(jnp.broadcast_shapes(jnp.shape(t), b.shape[:-1]), jnp.int32)
    if k <= _UNROLL_UP_TO:
        for i in range(k):
            count = count + (t >= b[..., i]).astype(jnp.int32)
        return count
    leading = jnp.moveaxis(b, -1, 0)
    add = lambda i, c: c + (t >= leading[i]).astype(jnp.int32)  # noqa: E731
    return jax.lax.fori_loop(0, k, add, count, unroll=8)


def take(values: Any, index: jax.Array) -> jax.Array:
    """values[..., index] with the batch axes of values and index broadcast."""
    v = jnp.asarray(values)
    if v.ndim == 1:
        return v[index]
    if v.shape[-1] > _SEARCH_ABOVE:  # a broadcasting gather: no (batch, steps, K) temporary
        rank = max(v.ndim, index.ndim + 1)
        v = v.reshape((1,) * (rank - v.ndim) + v.shape)
        i = index.reshape((1,) * (rank - 1 - index.ndim) + index.shape + (1,))
        return jnp.take_along_axis(v, i, axis=-1)[..., 0]
    onehot = index[..., None] == jnp.arange(v.shape[-1])
    return jnp.sum(jnp.where(onehot, v, jnp.zeros((), v.dtype)), axis=-1)


@schedule_class
class step(Schedule):
    """Multiply by ``factor`` every ``every`` steps (PyTorch StepLR).

    ``start * factor ** floor(t / every)``.

    Example:
        >>> round(float(step(1.0, 10, 0.5)(25)), 6)
        0.25
    """

    roles = {"peak": "start", "steps": "every"}
    limits = {"every": "> 0", "factor": ">= 0"}

    start: Any
    every: Any
    factor: Any

    def __call__(self, t: ArrayLike) -> jax.Array:
        k = floordiv(clock(t), self.every)
        return fl(self.start) * power(self.factor, k)

    @property
    def duration(self) -> None:
        return None


@schedule_class
class multistep(Schedule):
    """Multiply by ``factor`` at each milestone (PyTorch MultiStepLR).

    ``start * factor ** (number of milestones <= t)``; repeated milestones count twice.

    Example:
        >>> round(float(multistep(1.0, [10, 20], 0.1)(20)), 6)
        0.01
    """

    roles = {"peak": "start"}
    limits = {"milestones": ("a non-empty sequence", ">= 0", "sorted"), "factor": ">= 0"}

    start: Any
    milestones: Any = vector()
    factor: Any = 0.1

    def __call__(self, t: ArrayLike) -> jax.Array:
        count = count_at_or_below(clock(t), self.milestones)
        return fl(self.start) * power(self.factor, count)

    @property
    def duration(self) -> Any:
        return jnp.asarray(self.milestones)[..., -1]


@schedule_class
class piecewise_constant(Schedule):
    """``values[i]`` on ``[boundaries[i-1], boundaries[i])``; one more value than boundaries.

    Example:
        >>> float(piecewise_constant([10, 20], [1.0, 0.5, 0.25])(15))
        0.5
    """

    limits = {"values": "a non-empty sequence", "boundaries": "sorted"}

    boundaries: Any = vector()
    values: Any = vector()

    def _validate(self) -> None:
        fn = "piecewise_constant"
        b, v = concrete(self.boundaries), concrete(self.values)
        if b is not None and v is not None and b.shape[-1:] != (v.shape[-1] - 1,):
            raise ValueError(
                f"{fn}: values must have one more entry than boundaries, got "
                f"{v.shape[-1]} values and {b.shape[-1] if b.ndim else 0} boundaries"
            )

    def __call__(self, t: ArrayLike) -> jax.Array:
        index = count_at_or_below(clock(t), self.boundaries)
        return broadcast_all(fl(take(self.values, index)), index)

    @property
    def duration(self) -> Any:
        b = jnp.asarray(self.boundaries)
        return b[..., -1] if b.shape[-1:] != (0,) else 0  # a single value: no boundaries


@schedule_class
class piecewise_linear(Schedule):
    """Straight lines through knots ``(boundaries[k], values[k])``, held outside.

    ``values[0]`` before the first knot, linear interpolation between knots,
    ``values[-1]`` from the last knot on. A repeated boundary makes a jump.

    Example:
        >>> float(piecewise_linear([0, 10, 20], [0.0, 1.0, 0.5])(15))
        0.75
    """

    roles = {"knots": "values"}
    limits = {"boundaries": ("a non-empty sequence", "sorted")}

    boundaries: Any = vector()
    values: Any = vector()

    def _validate(self) -> None:
        fn = "piecewise_linear"
        b, v = concrete(self.boundaries), concrete(self.values)
        if b is not None and v is not None and b.shape[-1:] != v.shape[-1:]:
            raise ValueError(
                f"{fn}: boundaries and values must have the same length, got "
                f"{b.shape[-1]} and {v.shape[-1] if v.ndim else 0}"
            )

    def __call__(self, t: ArrayLike) -> jax.Array:
        t = clock(t)
        b = fl(self.boundaries)
        k = b.shape[-1]
        index = count_at_or_below(t, self.boundaries)
        lo, hi = jnp.clip(index - 1, 0, k - 1), jnp.clip(index, 0, k - 1)
        b_lo, b_hi = take(b, lo), take(b, hi)
        v_lo, v_hi = take(fl(self.values), lo), take(fl(self.values), hi)
        span = b_hi - b_lo
        frac = jnp.where(span > 0, (fl(t) - b_lo) / jnp.where(span > 0, span, 1.0), 0.0)
        return v_lo + (v_hi - v_lo) * frac

    @property
    def duration(self) -> Any:
        return jnp.asarray(self.boundaries)[..., -1]
