"""Closed-form primitives: constant, linear, cosine, polynomial, exponential,
inverse_sqrt, inverse_time, tanh."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    anneal,
    broadcast_all,
    clock,
    concrete,
    fl,
    floordiv,
    fraction,
    half_cosine,
    lerp,
    progress,
    require,
    safe_pow,
    schedule_class,
    static,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = [
    "constant",
    "linear",
    "cosine",
    "polynomial",
    "exponential",
    "inverse_sqrt",
    "inverse_time",
    "power",
    "tanh",
]


def _empty(steps: Any) -> jax.Array:
    """1.0 where a ramp of ``steps`` is done at step 0 (``steps <= 0``), else 0.0: step 0
    of :func:`progress` without its arithmetic (see ``Schedule._initial``)."""
    return jnp.where(fl(steps) <= 0, 1.0, 0.0)


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class _Ramp(Schedule):
    """A shape from ``start`` to ``end`` over ``steps`` that holds ``end`` after."""

    limits = {"steps": ">= 0"}

    start: Any
    end: Any
    steps: Any

    @property
    def duration(self) -> Any:
        return self.steps


class _Shaped(_Ramp):
    """A ramp ``lerp(end, start, w ** exponent)``, the exponent in its role's field."""

    def _initial(self) -> jax.Array:
        # w is exactly 1 at step 0, or 0 when the ramp is empty; the exponent broadcasts.
        exponent = getattr(self, self.roles["exponent"])
        return broadcast_all(lerp(self.end, self.start, 1.0 - _empty(self.steps)), exponent)


@schedule_class
class constant(Schedule):
    """The same value at every step.

    ``value`` for all t.

    Example:
        >>> float(constant(0.1)(1000))
        0.10000000149011612
    """

    roles = {"peak": "value"}

    value: Any

    def __call__(self, step: ArrayLike) -> jax.Array:
        return broadcast_all(fl(self.value), clock(step))

    @property
    def duration(self) -> None:
        return None


@schedule_class
class linear(_Ramp):
    """Straight line from ``start`` to ``end`` over ``steps``, then ``end``.

    ``start + (end - start) * t / steps`` for t < steps; ``end`` for t >= steps.
    ``steps = 0`` is an empty ramp: ``end`` from step 0.

    Example:
        >>> float(linear(0.0, 1.0, 100)(25))
        0.25
    """

    roles = {"peak": "start", "end": "end", "steps": "steps"}

    def __call__(self, step: ArrayLike) -> jax.Array:
        return anneal(self.start, self.end, progress(clock(step), self.steps))

    def _initial(self) -> jax.Array:
        done = _empty(self.steps)  # progress(0, steps): (0, 1), or (1, 0) when done
        return lerp(self.start, self.end, (done, 1.0 - done))


@schedule_class
class cosine(_Shaped):
    """Half a cosine from ``start`` to ``end`` over ``steps``, then ``end``.

    ``end + (start - end) * (0.5 * (1 + cos(pi * t / steps))) ** exponent`` for
    t < steps; ``end`` for t >= steps (SGDR, Loshchilov & Hutter 2017). ``steps = 0``
    is an empty ramp: ``end`` from step 0.

    Example:
        >>> round(float(cosine(1.0, 0.0, 100)(50)), 6)
        0.5
    """

    roles = {"peak": "start", "end": "end", "steps": "steps", "exponent": "exponent"}
    limits = {"steps": ">= 0", "exponent": "> 0"}

    _: dataclasses.KW_ONLY
    exponent: Any = 1.0

    def __call__(self, step: ArrayLike) -> jax.Array:
        w = safe_pow(half_cosine(progress(clock(step), self.steps)), self.exponent)
        return lerp(self.end, self.start, w)  # exact start at t = 0, exact end at T


@schedule_class
class polynomial(_Shaped):
    """Polynomial decay from ``start`` to ``end`` over ``steps``, then ``end``.

    ``end + (start - end) * (1 - t / steps) ** power`` for t < steps; ``end`` after.
    ``steps = 0`` is an empty ramp: ``end`` from step 0.

    Example:
        >>> float(polynomial(1.0, 0.0, 100, power=2.0)(50))
        0.25
    """

    roles = {"peak": "start", "end": "end", "steps": "steps", "exponent": "power"}
    limits = {"steps": ">= 0", "power": "> 0"}

    _: dataclasses.KW_ONLY
    power: Any = 1.0

    def __call__(self, step: ArrayLike) -> jax.Array:
        _, rest = progress(clock(step), self.steps)  # rest = 1 - t / steps, exact near the end
        return lerp(self.end, self.start, safe_pow(rest, self.power))


@schedule_class
class exponential(Schedule):
    """Exponential decay (or growth): ``start * rate ** (t / steps)``.

    With ``staircase=True`` the exponent is ``floor(t / steps)``. With ``end`` the
    value never passes ``end`` (a floor when rate < 1, a ceiling when rate > 1).

    Example:
        >>> round(float(exponential(1.0, 0.5, steps=10)(20)), 6)
        0.25
    """

    roles = {"peak": "start", "end": "end", "steps": "steps"}
    limits = {"rate": "> 0", "steps": "> 0"}

    start: Any
    rate: Any
    steps: Any = 1
    _: dataclasses.KW_ONLY
    staircase: bool = static(default=False)
    end: Any = None

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        power = floordiv(t, self.steps) if self.staircase else fl(t) / fl(self.steps)
        value = fl(self.start) * safe_pow(self.rate, power)
        if self.end is None:
            return value
        end, rate = fl(self.end), fl(self.rate)
        return jnp.where(rate < 1, jnp.maximum(value, end), jnp.minimum(value, end))

    @property
    def duration(self) -> None:
        return None


@schedule_class
class inverse_sqrt(Schedule):
    """Reciprocal square-root decay after a plateau of ``timescale`` steps.

    ``peak / sqrt(max(1, t / timescale))``: ``peak`` until ``timescale``, then
    ``peak * sqrt(timescale / t)`` (T5's form). Hugging Face's form,
    ``peak / sqrt((t + timescale) / timescale)``, is ``shift(inverse_sqrt(...), -timescale)``.
    fairseq's ``inverse_sqrt`` (a linear warmup from ``warmup_init_lr`` to ``lr`` over
    ``W`` updates, then ``lr * sqrt(W / t)`` on the update count itself) keeps the decay's
    clock running under the warmup:
    ``warmup(inverse_sqrt(lr, W), W, start=warmup_init_lr, prefix=False)``.

    Example:
        >>> float(inverse_sqrt(1.0, 100)(400))
        0.5
    """

    roles = {"peak": "peak"}
    limits = {"timescale": "> 0"}

    peak: Any
    timescale: Any

    def __call__(self, step: ArrayLike) -> jax.Array:
        ratio = jnp.maximum(fl(clock(step)) / fl(self.timescale), 1.0)
        return fl(self.peak) / jnp.sqrt(ratio)

    @property
    def duration(self) -> None:
        return None


@schedule_class
class inverse_time(Schedule):
    """Inverse-time decay: ``start / (1 + rate * t / steps)`` (Keras InverseTimeDecay).

    With ``staircase=True``, ``t / steps`` becomes ``floor(t / steps)``.

    Example:
        >>> float(inverse_time(1.0, 1.0, 10)(10))
        0.5
    """

    roles = {"peak": "start", "steps": "steps"}
    limits = {"rate": ">= 0", "steps": "> 0"}

    start: Any
    rate: Any
    steps: Any
    _: dataclasses.KW_ONLY
    staircase: bool = static(default=False)

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        p = fl(floordiv(t, self.steps)) if self.staircase else fl(t) / fl(self.steps)
        return fl(self.start) / (1.0 + fl(self.rate) * p)

    @property
    def duration(self) -> None:
        return None


@schedule_class
class power(Schedule):
    """The power scheduler: ``min(peak, a * n ** b)`` with ``n = t * tokens_per_step``.

    A power law in the tokens (or steps) seen so far, capped at ``peak``: with ``b < 0``
    it holds ``peak`` until ``a * n ** b`` falls below it, then decays as ``n ** b``
    (``n = 0`` gives ``peak``). Shen et al. fit ``a`` and ``b`` once (``b = -0.51``) and
    reuse them across batch sizes and token counts, since ``n`` counts tokens; with the
    default ``tokens_per_step = 1``, ``n`` is the step. Their full schedule adds a
    warmup and a final decay: ``warmup(join(power(...), ...), ...)``.

    Args:
        peak: the cap (the largest value).
        a: the power law's coefficient (> 0).
        b: its exponent (negative decays; 0 is the constant ``min(peak, a)``).
        tokens_per_step: tokens per step, so that ``n`` counts tokens (> 0; 1: steps).

    Example:
        >>> s = power(0.02, 4.0, -0.51, tokens_per_step=2**20)
        >>> round(float(s(0)), 6), round(float(s(1000)), 7)
        (0.02, 0.0001004)

    References:
        Shen et al., "Power Scheduler: A Batch Size and Token Number Agnostic Learning
        Rate Scheduler", 2024 (arXiv:2408.13359).
    """

    roles = {"peak": "peak", "exponent": "b"}
    limits = {"a": "> 0", "tokens_per_step": "> 0"}

    peak: Any
    a: Any
    b: Any
    _: dataclasses.KW_ONLY
    tokens_per_step: Any = 1

    def __call__(self, step: ArrayLike) -> jax.Array:
        n = fl(clock(step)) * fl(self.tokens_per_step)
        a, b = fl(self.a), fl(self.b)
        seen = n > 0
        law = a * jnp.exp(b * jnp.log(jnp.where(seen, n, 1.0)))  # log(1): no NaN at n = 0
        at_zero = jnp.where(b < 0, jnp.inf, jnp.where(b == 0, a, 0.0))  # the limit of n ** b
        return jnp.minimum(fl(self.peak), jnp.where(seen, law, at_zero))

    @property
    def duration(self) -> None:
        return None


@schedule_class
class tanh(_Ramp):
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
        >>> s = tanh(1.0, 0.0, 100, lower=-1.0, upper=1.0)
        >>> round(float(s(0)), 6), round(float(s(50)), 6), round(float(s(100)), 6)
        (0.880797, 0.5, 0.119203)

    References:
        Hsueh, Li, Wu, "Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
        Classification", WACV 2019 (arXiv:1806.01593).
    """

    roles = {"peak": "start", "end": "end", "steps": "steps"}

    _: dataclasses.KW_ONLY
    lower: Any = -7.0
    upper: Any = 3.0

    def _validate(self) -> None:
        upper = concrete(self.upper)
        if upper is not None:
            require("tanh", "lower", self.lower, lambda v: v < upper, f"< upper={self.upper!r}")

    def __call__(self, step: ArrayLike) -> jax.Array:
        x = fraction(clock(step), self.steps)
        z = fl(self.lower) * (1.0 - x) + fl(self.upper) * x
        # The weights 0.5 * (1 -+ tanh(z)) are 1 / (1 + e) and e / (1 + e), e = exp(-2|z|),
        # by the sign of z: neither cancels, so a rising curve is as exact near its start
        # as a falling one (one exp, as cheap as the tanh).
        e = jnp.exp(-2.0 * jnp.abs(z))
        big = 1.0 / (1.0 + e)
        small = e * big
        ahead = z >= 0  # past the midpoint: the weight of end is the big one
        return lerp(
            self.end, self.start, (jnp.where(ahead, small, big), jnp.where(ahead, big, small))
        )
