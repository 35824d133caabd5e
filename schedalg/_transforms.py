"""Value transforms: scale, add, clip, custom (and the check of user functions)."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    broadcast_all,
    clock,
    concrete,
    fl,
    max_duration,
    require,
    require_choice,
    require_finite,
    schedule_class,
    static,
)

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["scale", "add", "clip", "custom", "scale_for_batch"]


def _value(x: Any, t: jax.Array) -> jax.Array:
    """A schedule's value at t, or a number as a float."""
    return x(t) if isinstance(x, Schedule) else fl(x)


def _duration(schedule: Schedule, other: Any) -> Any:
    if isinstance(other, Schedule):
        return max_duration(schedule.duration, other.duration)
    return schedule.duration


class _Operand(Schedule):
    """A value-only node: ``combine(schedule(t), operand)`` with a number or another
    schedule's value, the operand held in the field named by ``operand``."""

    keeps_clock = True
    operand: ClassVar[str]
    combine: ClassVar[Callable[[Any, Any], Any]]  # operator.mul or operator.add
    schedule: Any  # declared by each subclass's fields

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        return type(self).combine(self.schedule(t), _value(getattr(self, self.operand), t))

    @property
    def duration(self) -> Any:
        return _duration(self.schedule, getattr(self, self.operand))


@schedule_class
class scale(_Operand):
    """Product: ``schedule(t) * factor`` or ``schedule(t) * factor(t)``.

    With a schedule as ``factor`` this is PyTorch's ChainedScheduler. ``a * b`` and
    ``a * 0.5`` build the same node.

    Example:
        >>> float(scale(constant(2.0), 0.25)(0))
        0.5
        >>> constant(2.0) * 0.25
        scale(constant(value=2.0), factor=0.25)
    """

    operand = "factor"
    combine = operator.mul

    schedule: Schedule
    factor: Any = dataclasses.field(metadata={"schedule": True})  # a number or a schedule


def scale_for_batch(
    schedule: Schedule, base_batch: Any, new_batch: Any, rule: str = "linear"
) -> Schedule:
    """The schedule rescaled for a new batch size: ``scale(schedule, factor)``.

    ``factor = new_batch / base_batch`` for ``rule="linear"`` (Goyal et al. 2017, SGD)
    and ``sqrt(new_batch / base_batch)`` for ``rule="sqrt"`` (Krizhevsky 2014; the
    square-root rule suits Adam-type optimizers, Malladi et al. 2022). The step counts
    are unchanged; pair with a warmup for large factors, as Goyal et al. do.

    Args:
      schedule: the schedule tuned at ``base_batch``.
      base_batch: batch size the schedule was tuned for (> 0).
      new_batch: batch size to train with (> 0).
      rule: "linear" or "sqrt".

    Returns:
      A :func:`schedalg.scale` node (the factor is a leaf: batchable).

    Example:
      >>> sa.scale_for_batch(sa.cosine(0.1, 0.0, 100), 256, 1024, rule="sqrt")
      scale(cosine(start=0.1, end=0.0, steps=100), factor=2.0)
    """
    require_choice("scale_for_batch", "rule", rule, ("linear", "sqrt"))
    require("scale_for_batch", "base_batch", base_batch, lambda v: v > 0, "> 0")
    require("scale_for_batch", "new_batch", new_batch, lambda v: v > 0, "> 0")
    ratio = new_batch / base_batch
    return scale(schedule, ratio if rule == "linear" else ratio**0.5)


@schedule_class
class add(_Operand):
    """Sum: ``schedule(t) + other`` or ``schedule(t) + other(t)``; ``a + b`` builds it.

    Example:
        >>> float(add(constant(1.0), 0.5)(0))
        1.5
    """

    operand = "other"
    combine = operator.add

    schedule: Schedule
    other: Any = dataclasses.field(metadata={"schedule": True})  # a number or a schedule


@schedule_class
class clip(Schedule):
    """Bounds: ``min(max(schedule(t), low), high)``; either bound may be omitted.

    Example:
        >>> round(float(clip(linear(1.0, 0.0, 10), low=0.2)(9)), 6)
        0.2
    """

    keeps_clock = True

    schedule: Schedule
    _: dataclasses.KW_ONLY
    low: Any = None
    high: Any = None

    def _validate(self) -> None:
        high = concrete(self.high)  # a traced bound cannot be compared now
        if self.low is not None and high is not None:
            require("clip", "low", self.low, lambda v: v <= high, f"<= high={self.high!r}")

    def __call__(self, step: ArrayLike) -> jax.Array:
        value = self.schedule(step)
        if self.low is not None:
            value = jnp.maximum(value, fl(self.low))
        if self.high is not None:
            value = jnp.minimum(value, fl(self.high))
        return value

    @property
    def duration(self) -> Any:
        return self.schedule.duration


#: What a user's function must be; the checks below say it when it is not.
JNP_RULE = (
    "a jax.numpy function of the step (no math.*, no Python if, max or min on the step or "
    "the parameters: use jnp.cos, jnp.where, jnp.maximum)"
)


def _abstract(value: Any) -> jax.ShapeDtypeStruct:
    """The shape and dtype of a parameter, concrete or traced (built inside jit/vmap)."""
    if not hasattr(value, "dtype"):  # Python numbers and lists
        value = np.asarray(value)
    return jax.ShapeDtypeStruct(np.shape(value), jax.dtypes.canonicalize_dtype(value.dtype))


def check_function(
    fn_name: str, param: str, fn: Callable, params: dict[str, Any] | None = None
) -> None:
    """Raises ``ValueError`` naming ``fn_name: param`` unless ``fn(step, **params)``
    traces on an abstract integer step and abstract params and returns real numbers
    broadcastable to the params' shapes.

    A function in plain Python (``math.cos``, ``max``, an ``if`` on the step) would
    otherwise fail only when first evaluated, often under ``jit``, with an error that
    does not name it. The params are abstract too, so an ``if`` on a param fails now
    rather than once the schedule is batched or traced.
    """
    params = {} if params is None else params
    name = getattr(fn, "__name__", type(fn).__name__)
    returned: list[str] = []

    def probe(t: jax.Array, p: dict[str, Any]) -> jax.Array:
        out = fn(t, **p)
        try:
            return jnp.asarray(out)
        except (TypeError, ValueError):  # None, text, a dict: say what came back
            returned.append(type(out).__name__)
            return jnp.zeros(())

    step = jax.ShapeDtypeStruct((), jnp.int32)
    try:
        out = jax.eval_shape(probe, step, jax.tree.map(_abstract, params))
    except Exception as err:  # any failure of the user's code: re-raise it named
        first = (str(err).splitlines() or [""])[0][:200]
        on = f" and abstract {', '.join(params)}" if params else ""
        raise ValueError(
            f"{fn_name}: {param} must be {JNP_RULE}, got {param}={name}: calling it on an "
            f"abstract integer step{on} failed with {type(err).__name__}: {first}"
        ) from err
    got = f"got {param}={name} returning"
    if returned:
        raise ValueError(f"{fn_name}: {param} must return numbers, {got} {returned[0]}")
    if not (jnp.issubdtype(out.dtype, jnp.number) or out.dtype == jnp.bool_) or (
        jnp.issubdtype(out.dtype, jnp.complexfloating)
    ):
        raise ValueError(f"{fn_name}: {param} must return real numbers, {got} {out.dtype}")
    shapes = [np.shape(v) for v in jax.tree.leaves(params)]
    try:
        batch = np.broadcast_shapes(*shapes)
    except ValueError:  # params that do not broadcast together: their own business
        return
    try:
        fits = np.broadcast_shapes(out.shape, batch) == batch
    except ValueError:
        fits = False
    if not fits:
        of = f" and parameters of shape {batch}" if batch else ""
        raise ValueError(
            f"{fn_name}: {param} must return one value per step, {got} shape {out.shape} "
            f"for a scalar step{of}"
        )


@schedule_class
class custom(Schedule):
    """A user's own pure function ``fn(step, **params)`` as a schedule.

    ``fn`` must be written in ``jax.numpy``; ``params`` are leaves (batchable,
    differentiable). ``duration`` is optional. Custom schedules have no text form.
    ``fn`` is traced once at construction on an abstract integer step and abstract
    params: a function using ``math.*`` or a Python ``if``/``max`` on them, or one that
    does not return one number per step, is refused there with a ``ValueError``.

    Example:
        >>> s = custom(lambda t, base: base / (1.0 + t), base=1.0)
        >>> float(s(3))
        0.25
    """

    fn: Callable = static()
    params: dict = dataclasses.field(default_factory=dict)
    _: dataclasses.KW_ONLY
    duration_: Any = None

    def __init__(self, fn: Callable, *, duration: Any = None, **params: Any):
        if not callable(fn):
            raise ValueError(f"custom: fn must be callable, got fn={fn!r}")
        for name, value in params.items():
            require_finite("custom", name, value)
        if duration is not None:  # stored as the field duration_: check it by its own name
            require_finite("custom", "duration", duration)
            require("custom", "duration", duration, lambda v: v >= 0, ">= 0")
        check_function("custom", "fn", fn, params)
        object.__setattr__(self, "fn", fn)
        object.__setattr__(self, "params", dict(params))
        object.__setattr__(self, "duration_", duration)
        self.__post_init__()

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        return broadcast_all(fl(self.fn(t, **self.params)), t, *self.params.values())

    @property
    def duration(self) -> Any:
        return self.duration_
