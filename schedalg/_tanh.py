"""tanh: the hyperbolic-tangent decay (Hsueh et al. 2019, timm's TanhLRScheduler)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import Schedule, clock, concrete, fl, fraction, require, schedule_class


@schedule_class
class tanh(Schedule):
    """Hyperbolic-tangent decay from ``start`` towards ``end`` over ``steps``.

    With ``x = t / steps`` clipped to [0, 1] and ``z = lower * (1 - x) + upper * x``:
    ``end + (start - end) * 0.5 * (1 - tanh(z))``; from ``steps`` on the value holds
    (``x = 1``). ``start`` and ``end`` are the asymptotes: the curve sweeps ``tanh``
    from ``lower`` to ``upper``, so it begins a hair under ``start``
    (``0.5 * (1 - tanh(-7)) = 0.9999992``) and ends near ``end``
    (``0.5 * (1 - tanh(3)) = 0.0025``).

    Args:
        start: value approached before the drop.
        end: value approached after the drop.
        steps: length of the sweep, in steps (>= 0; 0 holds the final value
            ``x = 1`` from step 0).
        lower: ``tanh`` argument at step 0 (default -7, as in the paper and timm).
        upper: ``tanh`` argument at ``steps`` (default 3); ``lower < upper``.

    Example:
        >>> from schedalg._tanh import tanh
        >>> s = tanh(1.0, 0.0, 100, lower=-1.0, upper=1.0)
        >>> round(float(s(0)), 6), round(float(s(50)), 6), round(float(s(100)), 6)
        (0.880797, 0.5, 0.119203)

    References:
        Hsueh, Li, Wu, "Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
        Classification", WACV 2019 (arXiv:1806.01593).
    """

    start: Any
    end: Any
    steps: Any
    _: dataclasses.KW_ONLY
    lower: Any = -7.0
    upper: Any = 3.0

    def _validate(self) -> None:
        require("tanh", "steps", self.steps, lambda v: v >= 0, ">= 0")
        upper = concrete(self.upper)
        if upper is not None:
            require("tanh", "lower", self.lower, lambda v: v < upper, f"< upper={self.upper!r}")

    def __call__(self, step: ArrayLike) -> jax.Array:
        x = fraction(clock(step), self.steps)
        z = fl(self.lower) * (1.0 - x) + fl(self.upper) * x
        return fl(self.end) + (fl(self.start) - fl(self.end)) * (0.5 * (1.0 - jnp.tanh(z)))

    @property
    def duration(self) -> Any:
        return self.steps
