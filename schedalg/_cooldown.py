"""cooldown: multiplies any schedule by a factor falling from 1 to 0 over its last steps."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    clock,
    concrete,
    fl,
    half_cosine,
    progress,
    require,
    require_choice,
    schedule_class,
    static,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["cooldown"]

_SHAPES = ("linear", "cosine", "1-sqrt")


@schedule_class
class cooldown(Schedule):
    """Multiplies ``schedule`` by a factor that falls from 1 to 0 over its last ``steps``.

    With ``c = total - steps`` (the cooldown's first step) and ``x = (t - c) / steps``:
    ``schedule(t) * factor`` where the factor is 1 for t < c, then ``1 - x`` ("linear"),
    ``(1 + cos(pi * x)) / 2`` ("cosine") or ``1 - sqrt(x)`` ("1-sqrt", which Hägele et
    al. 2024 recommend), and 0 from ``total`` on. ``total`` defaults to the schedule's
    duration. ``steps = 0`` is no cooldown: the factor is 1 before ``total`` and 0 from it.

    It applies on top of any decay, as big_vision's ``cooldown_steps`` does: the linear
    factor is big_vision's ``min(1, (total - t) / steps)`` (which goes negative past
    ``total``, where this one holds 0). ``wsd(peak, W, S, D)`` is
    ``cooldown(warmup(constant(peak), W), D, W + S + D)``.

    Args:
        schedule: the schedule to cool down.
        steps: length of the cooldown, in steps (``0 <= steps <= total``).
        total: the step at which the factor reaches 0 (>= 0); default
            ``schedule.duration``, which must then exist.
        shape: "linear", "cosine" or "1-sqrt".

    Example:
        >>> s = cooldown(constant(1.0), 4, 10)
        >>> [float(s(t)) for t in (5, 6, 7, 8, 10, 12)], s.duration
        ([1.0, 1.0, 0.75, 0.5, 0.0, 0.0], 10)
        >>> float(cooldown(constant(2.0), 4, 10, shape="1-sqrt")(7))
        1.0

    References:
        Hägele, Bakouch, Kosson, Ben Allal, Von Werra, Jaggi, "Scaling Laws and
        Compute-Optimal Training Beyond Fixed Training Durations", NeurIPS 2024
        (arXiv:2405.18392). big_vision's ``utils.create_learning_rate_schedule``.
    """

    limits = {"steps": ">= 0", "total": ">= 0"}

    schedule: Schedule
    steps: Any
    total: Any = None
    _: dataclasses.KW_ONLY
    shape: str = static(default="linear")

    def _validate(self) -> None:
        if self.total is None and self.schedule.duration is None:
            raise ValueError(
                f"cooldown: schedule {self.schedule.name} has no duration, so the cooldown's "
                "end is unknown; pass total=<the step where the factor reaches 0>"
            )
        require_choice("cooldown", "shape", self.shape, _SHAPES)
        total = concrete(self._total())
        if total is not None:
            rule = f"<= total={total.tolist()!r}"
            require("cooldown", "steps", self.steps, lambda v: v <= total, rule)

    def _total(self) -> Any:
        return self.schedule.duration if self.total is None else self.total

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        total = self._total()
        # (x, 1 - x) with 1 - x = (total - t) / steps exact: the step before ``total`` is
        # 1 / steps of the way, not 0; from ``total`` on (1, 0). An empty cooldown is (0, 1)
        # before ``total``.
        x, rest = progress(t, total, total - self.steps)
        if self.shape == "linear":
            factor = rest
        elif self.shape == "cosine":
            factor = half_cosine((x, rest))
        else:  # "1-sqrt" as (1 - x) / (1 + sqrt(x)): no cancellation near x = 1, and a
            positive = x > 0  # finite gradient at x = 0 (sqrt's infinite slope)
            root = jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)
            factor = rest / (1.0 + root)
        return self.schedule(t) * fl(factor)

    @property
    def duration(self) -> Any:
        return self._total()
