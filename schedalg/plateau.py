"""Functional ReduceLROnPlateau: PyTorch's state machine as a pure, jittable update.

A plateau rule is state (it reacts to a metric), so it is explicit here:
``plateau.init()`` gives a :class:`PlateauState`, ``plateau.update(state, metric)``
returns the next one, and ``state.scale`` multiplies the base learning rate. Both the
rule and the state are frozen dataclass pytrees whose numbers are leaves, so a
population of models keeps one state per member under ``jax.vmap`` (or by plain
broadcasting when the rule's numbers are arrays).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import fl, frozen_pytree, require, require_choice, require_finite, static


@frozen_pytree
class PlateauState:
    """The state of a plateau rule after ``count`` updates.

    Attributes:
        scale: multiplier of the base learning rate (starts at 1).
        best: best metric seen so far (``+inf`` in mode "min", ``-inf`` in "max").
        bad_steps: consecutive updates without a significant improvement.
        cooldown_left: updates left before bad steps are counted again.
        count: number of updates made.

    Example:
        >>> state = reduce_on_plateau(factor=0.5, patience=0).init()
        >>> state = reduce_on_plateau(factor=0.5, patience=0).update(state, 1.0)
        >>> round(float(state.scale), 6), round(float(state.best), 6), int(state.count)
        (1.0, 1.0, 1)
    """

    scale: Any
    best: Any
    bad_steps: Any
    cooldown_left: Any
    count: Any


_FIELDS = ("factor", "patience", "threshold", "cooldown", "min_scale", "eps")


@frozen_pytree
class reduce_on_plateau:
    """Reduce the scale by ``factor`` when a metric stops improving (ReduceLROnPlateau).

    Each ``update(state, metric)`` does, in PyTorch's order:

    * ``metric`` is better when ``metric < best * (1 - threshold)`` (mode "min",
      threshold_mode "rel"), ``metric < best - threshold`` ("min", "abs"),
      ``metric > best * (1 + threshold)`` ("max", "rel") or
      ``metric > best + threshold`` ("max", "abs"). Better: ``best = metric`` and
      ``bad_steps = 0``; otherwise ``bad_steps += 1``.
    * In cooldown (``cooldown_left > 0``): ``cooldown_left -= 1`` and ``bad_steps = 0``.
    * If ``bad_steps > patience``: ``new = max(scale * factor, min_scale)``, applied
      only when ``scale - new > eps``; then ``cooldown_left = cooldown`` and
      ``bad_steps = 0``.

    The learning rate is ``base_lr * state.scale``; ``min_scale`` and ``eps`` are in
    scale units (PyTorch's ``min_lr / base_lr`` and ``eps / base_lr``).

    Args:
        factor: multiplier applied on a plateau, in [0, 1).
        patience: updates without improvement tolerated before reducing (>= 0).
        threshold: size of a significant improvement (>= 0), relative or absolute.
        threshold_mode: "rel" or "abs".
        cooldown: updates after a reduction during which bad steps are not counted.
        min_scale: lower bound of the scale (>= 0).
        eps: reductions of the scale by ``eps`` or less are ignored (>= 0).
        mode: "min" (lower metric is better) or "max".
        best_in_cooldown: whether ``best`` keeps improving during cooldown (PyTorch:
            True; braintools freezes it: False).

    Example:
        >>> p = reduce_on_plateau(factor=0.5, patience=1)
        >>> s = p.init()
        >>> for loss in [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]:
        ...     s = p.update(s, loss)
        >>> round(float(s.scale), 6), int(s.count)
        (0.25, 6)
    """

    factor: Any = 0.1
    patience: Any = 10
    threshold: Any = 1e-4
    threshold_mode: str = static(default="rel")
    cooldown: Any = 0
    min_scale: Any = 0.0
    eps: Any = 0.0
    mode: str = static(default="min")
    best_in_cooldown: bool = static(default=True)

    def __post_init__(self) -> None:
        fn = "reduce_on_plateau"
        require_choice(fn, "mode", self.mode, ("min", "max"))
        require_choice(fn, "threshold_mode", self.threshold_mode, ("rel", "abs"))
        for name in _FIELDS:
            require_finite(fn, name, getattr(self, name))
        require(fn, "factor", self.factor, lambda v: (v >= 0) & (v < 1), "in [0, 1)")
        for name in ("patience", "cooldown"):
            require(
                fn, name, getattr(self, name), lambda v: (v >= 0) & (v == v // 1), "an integer >= 0"
            )
        for name in ("threshold", "min_scale", "eps"):
            require(fn, name, getattr(self, name), lambda v: v >= 0, ">= 0")

    def _batch_shape(self) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(*(np.shape(getattr(self, n)) for n in _FIELDS)))

    def init(self) -> PlateauState:
        """The state before any update: scale 1, no best yet, no bad steps.

        Its shape is the broadcast of the rule's leaves (one state per member of a
        batched rule).
        """
        shape = self._batch_shape()
        worst = jnp.inf if self.mode == "min" else -jnp.inf
        zero = jnp.zeros(shape, jnp.int32)
        return PlateauState(
            scale=jnp.ones(shape, fl(1.0).dtype),
            best=jnp.full(shape, worst, fl(1.0).dtype),
            bad_steps=zero,
            cooldown_left=zero,
            count=zero,
        )

    def _better(self, metric: jax.Array, best: jax.Array) -> jax.Array:
        threshold = fl(self.threshold)
        if self.mode == "min":
            bar = best * (1.0 - threshold) if self.threshold_mode == "rel" else best - threshold
            return metric < bar
        bar = best * (1.0 + threshold) if self.threshold_mode == "rel" else best + threshold
        return metric > bar

    def update(self, state: PlateauState, metric: ArrayLike) -> PlateauState:
        """The state after observing ``metric`` (pure; jit- and vmap-able)."""
        metric = fl(metric)
        best = fl(state.best)
        bad, left = state.bad_steps, state.cooldown_left
        int_dtype = jnp.result_type(bad)
        in_cooldown = left > 0
        better = self._better(metric, best)
        if not self.best_in_cooldown:  # braintools: best is frozen during cooldown
            better = better & ~in_cooldown
        best = jnp.where(better, metric, best)
        bad = jnp.where(better, 0, bad + 1)
        left = jnp.where(in_cooldown, left - 1, left)
        bad = jnp.where(in_cooldown, 0, bad)  # bad steps in cooldown are ignored
        reduce = bad > jnp.asarray(self.patience)
        scale = fl(state.scale)
        reduced = jnp.maximum(scale * fl(self.factor), fl(self.min_scale))
        # Like PyTorch, a reduction of eps or less is skipped, but the cooldown starts.
        scale = jnp.where(reduce & (scale - reduced > fl(self.eps)), reduced, scale)
        left = jnp.where(reduce, jnp.asarray(self.cooldown), left)
        bad = jnp.where(reduce, 0, bad)
        shape = jnp.broadcast_shapes(scale.shape, best.shape, bad.shape, left.shape)
        return PlateauState(
            scale=jnp.broadcast_to(scale, shape),
            best=jnp.broadcast_to(best, shape),
            bad_steps=jnp.broadcast_to(bad.astype(int_dtype), shape),
            cooldown_left=jnp.broadcast_to(left.astype(int_dtype), shape),
            count=jnp.broadcast_to((state.count + 1).astype(int_dtype), shape),
        )
