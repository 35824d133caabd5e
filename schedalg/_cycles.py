"""Cyclic primitives: cyclic (CLR), one_cycle (1cycle) and wsd (warmup-stable-decay)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    anneal,
    before,
    clock,
    fl,
    floordiv,
    fraction,
    progress,
    require,
    require_choice,
    safe_pow,
    schedule_class,
    static,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["cyclic", "one_cycle", "wsd"]


@schedule_class
class cyclic(Schedule):
    """Cyclical learning rate: up from ``low`` to ``high`` in ``up`` steps, back in ``down``.

    With ``p = t mod (up + down)``, ``k = floor(t / (up + down))`` and
    ``r = p / up`` while ``p <= up``, else ``(up + down - p) / down``:
    ``low + (high - low) * r * a`` where ``a`` is 1 (``"triangular"``),
    ``0.5 ** k`` (``"triangular2"``) or ``gamma ** t`` (``"exp_range"``).
    ``high < low`` gives the inverted cycle used for momentum (Smith 2017).

    Example:
        >>> round(float(cyclic(0.1, 1.0, 10)(5)), 6)
        0.55
    """

    roles = {"peak": "high"}
    limits = {"up": "> 0", "down": "> 0", "gamma": "> 0"}

    low: Any
    high: Any
    up: Any
    down: Any = None
    _: dataclasses.KW_ONLY
    mode: str = static(default="triangular")
    gamma: Any = 1.0

    def _validate(self) -> None:
        require_choice("cyclic", "mode", self.mode, ("triangular", "triangular2", "exp_range"))

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        down = self.up if self.down is None else self.down
        period = self.up + down
        k = floordiv(t, period)
        pos = t - k * period  # exact when integer: subtract before converting to float
        # A float step past 2**24 has an inexact k; compiled, t - k * period is then fused
        # (no rounding of the product) and can fall outside the cycle: keep it inside.
        pos = jnp.clip(pos, 0, period)
        rising = pos <= self.up
        ramp = jnp.where(rising, fraction(pos, self.up), fl(period - pos) / fl(down))  # exact peak
        if self.mode == "triangular2":
            ramp = ramp * 0.5 ** fl(k)
        elif self.mode == "exp_range":
            ramp = ramp * safe_pow(self.gamma, fl(t))
        return fl(self.low) + (fl(self.high) - fl(self.low)) * ramp

    @property
    def duration(self) -> None:
        return None


@schedule_class
class one_cycle(Schedule):
    """1cycle: ``start -> peak`` over ``pct_up * steps``, then ``peak -> end`` at ``steps``.

    With ``three_phase=True``: ``start -> peak`` over ``u = pct_up * steps``,
    ``peak -> start`` over the next ``u``, then ``start -> end`` at ``steps``.
    Each phase follows ``shape`` ("cos" or "linear"). The values are three points, so
    ``one_cycle(0.95, 0.85, 0.95, ...)`` is the matching momentum cycle (Smith 2018).
    ``steps`` is the length of the whole piece, so ``steps = 0`` is an empty piece like
    any other zero-length ramp: every phase is empty and the value is ``end`` from step 0.

    Example:
        >>> round(float(one_cycle(0.1, 1.0, 0.0, 100, pct_up=0.5, shape="linear")(25)), 6)
        0.55
    """

    roles = {"peak": "peak", "end": "end", "steps": "steps"}
    limits = {"steps": ">= 0"}

    start: Any
    peak: Any
    end: Any
    steps: Any
    _: dataclasses.KW_ONLY
    pct_up: Any = 0.3
    shape: str = static(default="cos")
    three_phase: bool = static(default=False)

    def _validate(self) -> None:
        require_choice("one_cycle", "shape", self.shape, ("cos", "linear"))
        top = 0.5 if self.three_phase else 1.0
        rule = f"in (0, {top}]" if self.three_phase else "in (0, 1]"
        require("one_cycle", "pct_up", self.pct_up, lambda v: (v > 0) & (v <= top), rule)

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)  # kept an integer: ``steps - t`` is exact near the end
        up = fl(self.pct_up) * fl(self.steps)
        rise = anneal(self.start, self.peak, progress(t, up), self.shape)
        if not self.three_phase:
            fall = anneal(self.peak, self.end, progress(t, self.steps, up), self.shape)
            return jnp.where(before(t, up), rise, fall)
        back = anneal(self.peak, self.start, progress(t, 2 * up, up), self.shape)
        tail = anneal(self.start, self.end, progress(t, self.steps, 2 * up), self.shape)
        return jnp.where(before(t, up), rise, jnp.where(before(t, 2 * up), back, tail))

    @property
    def duration(self) -> Any:
        return self.steps


@schedule_class
class wsd(Schedule):
    """Warmup-stable-decay: ``start -> peak`` linearly, hold ``peak``, decay to ``end``.

    ``start + (peak - start) * t / warmup`` for t < warmup; ``peak`` until
    ``warmup + stable``; then ``peak -> end`` over ``decay`` steps along ``decay_shape``,
    with ``x = (t - warmup - stable) / decay``: "linear" (``peak + (end - peak) * x``),
    "cosine" (``end + (peak - end) * (1 + cos(pi * x)) / 2``), "1-sqrt"
    (``end + (peak - end) * (1 - sqrt(x))``, Hägele et al. 2024) or "exponential"
    (``peak * (end / peak) ** x``, geometric, as in MiniCPM's exponential decay; needs
    ``peak > 0`` and ``end > 0``); ``end`` after. Each phase may be empty (0 steps).
    ``start`` is the warmup's floor: Hugging Face's ``get_wsd_schedule`` with
    ``min_lr_ratio=r`` is ``wsd(lr, W, S, D, start=r * lr, end=r * lr)``; levanter's
    re-warmup starts at the previous cycle's end.

    Example:
        >>> float(wsd(1.0, 10, 80, 10)(95))
        0.5
        >>> s = wsd(1.0, 10, 80, 10, start=0.1, end=0.01, decay_shape="exponential")
        >>> round(float(s(5)), 6), round(float(s(95)), 6)
        (0.55, 0.1)
    """

    roles = {"peak": "peak", "end": "end", "steps": "decay", "warmup": "warmup"}
    limits = {"warmup": ">= 0", "stable": ">= 0", "decay": ">= 0"}

    peak: Any
    warmup: Any
    stable: Any
    decay: Any
    _: dataclasses.KW_ONLY
    end: Any = 0.0
    decay_shape: str = static(default="linear")
    start: Any = 0.0

    def _validate(self) -> None:
        shapes = ("linear", "cosine", "1-sqrt", "exponential")
        require_choice("wsd", "decay_shape", self.decay_shape, shapes)
        if self.decay_shape == "exponential":
            rule = "> 0 for decay_shape='exponential'"
            require("wsd", "peak", self.peak, lambda v: v > 0, rule)
            require("wsd", "end", self.end, lambda v: v > 0, rule)

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)  # phase edges in integers when the lengths are (exact at any step)
        warmup, plateau_end = self.warmup, self.warmup + self.stable
        rise = anneal(self.start, self.peak, progress(t, warmup))
        decay = progress(t, plateau_end + self.decay, plateau_end)
        fall = anneal(self.peak, self.end, decay, self.decay_shape)
        hold = jnp.where(before(t, plateau_end), fl(self.peak), fall)
        return jnp.where(before(t, warmup), rise, hold)

    @property
    def duration(self) -> Any:
        return self.warmup + self.stable + self.decay
