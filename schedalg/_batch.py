"""Batches of schedules: stack, grid, batch_shape, evaluate, check."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import Schedule, concrete, evolve, require_finite


def _leaf_fields(schedule: Schedule) -> Iterator[tuple[str, str, Any, int]]:
    """(path, field, value, vector rank) for every numeric leaf, depth first."""

    def walk(node: Schedule, path: str):
        for f in dataclasses.fields(node):
            if f.metadata.get("static"):
                continue
            value = getattr(node, f.name)
            where = f"{path}.{f.name}" if path else f.name
            if isinstance(value, Schedule):
                yield from walk(value, where)
            elif isinstance(value, tuple):
                for i, v in enumerate(value):
                    yield from walk(v, f"{where}[{i}]")
            elif isinstance(value, dict):
                for k, v in value.items():
                    yield f"{where}[{k!r}]", k, v, 0
            elif value is not None:
                yield where, f.name, value, f.metadata.get("rank", 0)

    yield from walk(schedule, "")


def _map_leaves(schedule: Schedule, fn: Callable[[Any, int], Any]) -> Schedule:
    """Rebuilds the tree with ``fn(leaf, rank)`` applied to every numeric leaf."""

    def rebuild(node: Schedule) -> Schedule:
        changes = {}
        for f in dataclasses.fields(node):
            if f.metadata.get("static"):
                continue
            value = getattr(node, f.name)
            if isinstance(value, Schedule):
                changes[f.name] = rebuild(value)
            elif isinstance(value, tuple):
                changes[f.name] = tuple(rebuild(v) for v in value)
            elif isinstance(value, dict):
                changes[f.name] = {k: fn(v, 0) for k, v in value.items()}
            elif value is not None:
                changes[f.name] = fn(value, f.metadata.get("rank", 0))
        return evolve(node, **changes)

    return rebuild(schedule)


def batch_shape(schedule: Schedule) -> tuple[int, ...]:
    """The batch shape: the broadcast of every leaf's shape less its vector axis.

    Example:
        >>> import schedalg as sa
        >>> sa.batch_shape(sa.cosine([1.0, 2.0, 3.0], 0.0, 100))
        (3,)
    """
    shapes = []
    for _path, _, value, rank in _leaf_fields(schedule):
        shape = np.shape(value)
        shapes.append(shape[: len(shape) - rank])
    try:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError as err:
        raise ValueError(f"batch_shape: leaves do not broadcast: {shapes}") from err


def _expand(schedule: Schedule, step_ndim: int) -> Schedule:
    """Inserts ``step_ndim`` unit axes after each leaf's batch axes."""

    def fn(value: Any, rank: int) -> Any:
        value = jnp.asarray(value)
        cut = value.ndim - rank
        return value.reshape(value.shape[:cut] + (1,) * step_ndim + value.shape[cut:])

    return _map_leaves(schedule, fn)


@jax.jit
def _evaluate(schedule: Schedule, steps: jax.Array) -> jax.Array:
    batch = batch_shape(schedule)
    values = _expand(schedule, steps.ndim)(steps)
    return jnp.broadcast_to(values, batch + steps.shape)


def evaluate(schedule: Schedule, steps: ArrayLike) -> jax.Array:
    """Values of a (batched) schedule at ``steps``: shape ``batch_shape + steps.shape``.

    Jitted; the schedule is an argument, so changing its numbers does not recompile.

    Example:
        >>> import schedalg as sa
        >>> s = sa.linear([0.0, 1.0], 1.0, 4)
        >>> sa.evaluate(s, [0, 2, 4]).tolist()
        [[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]]
    """
    return _evaluate(schedule, jnp.asarray(steps))


def stack(schedules: Sequence[Schedule]) -> Schedule:
    """One batched schedule from schedules of the same structure (new leading axis).

    Example:
        >>> import schedalg as sa
        >>> sa.batch_shape(sa.stack([sa.cosine(1.0, 0.0, 10), sa.cosine(2.0, 0.0, 20)]))
        (2,)
    """
    schedules = list(schedules)
    if not schedules:
        raise ValueError("stack: needs at least one schedule, got none")
    first = jax.tree_util.tree_structure(schedules[0])
    for i, s in enumerate(schedules[1:], start=2):
        if jax.tree_util.tree_structure(s) != first:
            raise ValueError(
                f"stack: schedule {i} has a different structure from schedule 1: {s!r} vs "
                f"{schedules[0]!r}"
            )
        shapes = [np.shape(x) for x in jax.tree_util.tree_leaves(s)]
        if shapes != [np.shape(x) for x in jax.tree_util.tree_leaves(schedules[0])]:
            raise ValueError(f"stack: schedule {i} has leaves of other shapes than schedule 1")
    leaves = [jax.tree_util.tree_leaves(s) for s in schedules]
    if any(isinstance(x, jax.core.Tracer) for row in leaves for x in row):
        return jax.tree.map(lambda *xs: jnp.stack(xs), *schedules)
    return jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *schedules)


def grid(constructor: Callable[..., Schedule], **axes: ArrayLike) -> Schedule:
    """The cartesian product of parameter choices as one batched schedule.

    Each keyword is an axis; its first dimension lists the choices (an axis of
    milestone vectors is ``(choices, K)``). The batch shape is the number of choices
    per axis, in keyword order.

    Example:
        >>> import schedalg as sa
        >>> g = sa.grid(lambda peak, w: sa.warmup(sa.cosine(peak, 0.0, 100), w),
        ...             peak=[1e-3, 1e-2, 1e-1], w=[0, 10])
        >>> sa.batch_shape(g)
        (3, 2)
    """
    if not axes:
        raise ValueError("grid: needs at least one axis, got none")
    arrays = {}
    for name, values in axes.items():
        a = np.asarray(values)
        if a.ndim == 0 or a.shape[0] == 0:
            raise ValueError(f"grid: axis {name} must list at least one choice, got {values!r}")
        arrays[name] = a
    sizes = tuple(a.shape[0] for a in arrays.values())
    mesh = {}
    for i, (name, a) in enumerate(arrays.items()):
        shape = [1] * len(sizes) + list(a.shape[1:])
        shape[i] = a.shape[0]
        mesh[name] = np.ascontiguousarray(np.broadcast_to(a.reshape(shape), sizes + a.shape[1:]))
    return constructor(**mesh)


def check(schedule: Schedule) -> Schedule:
    """Validates a concrete (possibly batched) schedule leaf by leaf; returns it.

    Constructors cannot check traced leaves; call this on the concrete result of a
    jitted or vmapped construction. Errors name the path of the failing node.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> s = jax.vmap(lambda n: sa.warmup(sa.cosine(1.0, 0.0, n), 10))(jnp.array([90, 0]))
        >>> sa.check(s)
        Traceback (most recent call last):
        ...
        ValueError: warmup.schedule: cosine: steps must be > 0, got steps=[90,  0]
    """

    def visit(node: Schedule, path: str) -> None:
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.metadata.get("static") or value is None:
                continue
            if isinstance(value, Schedule):
                visit(value, f"{path}.{f.name}")
            elif isinstance(value, tuple):
                for i, v in enumerate(value):
                    visit(v, f"{path}.{f.name}[{i}]")
            else:
                leaves = value.items() if isinstance(value, dict) else [(f.name, value)]
                for name, leaf in leaves:
                    where = f"{path}.{f.name}" + (f"[{name!r}]" if isinstance(value, dict) else "")
                    if concrete(leaf) is None:
                        raise ValueError(f"check: {where} is traced; check a concrete schedule")
                    try:
                        require_finite(node.name, name, leaf)
                    except ValueError as err:  # name the path, as for _validate below
                        raise ValueError(f"{path}: {err}") from None
        try:
            node._validate()
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

    visit(schedule, schedule.name)
    return schedule
