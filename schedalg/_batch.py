"""Batches of schedules: stack, grid, batch_shape, evaluate, check."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import Schedule, concrete, require_finite
from schedalg._tree import leaf_fields, map_leaves, same_structure


def batch_shape(schedule: Schedule) -> tuple[int, ...]:
    """The batch shape: the broadcast of every leaf's shape less its vector axis.

    Example:
        >>> import schedalg as sa
        >>> sa.batch_shape(sa.cosine([1.0, 2.0, 3.0], 0.0, 100))
        (3,)
    """
    shapes = []
    for _path, _, value, rank in leaf_fields(schedule):
        shape = np.shape(value)
        shapes.append(shape[: len(shape) - rank])
    try:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError as err:
        raise ValueError(f"batch_shape: leaves do not broadcast: {shapes}") from err


def expand(schedule: Schedule, step_ndim: int) -> Schedule:
    """Inserts ``step_ndim`` unit axes after each leaf's batch axes."""

    def fn(value: Any, rank: int) -> Any:
        value = jnp.asarray(value)
        cut = value.ndim - rank
        return value.reshape(value.shape[:cut] + (1,) * step_ndim + value.shape[cut:])

    return map_leaves(schedule, fn)


@jax.jit
def _evaluate(schedule: Schedule, steps: jax.Array) -> jax.Array:
    batch = batch_shape(schedule)
    values = expand(schedule, steps.ndim)(steps)
    return jnp.broadcast_to(values, batch + steps.shape)


def evaluate(
    schedule: Schedule,
    steps: ArrayLike,
    *,
    max_bytes: int | None = None,
    out: np.ndarray | None = None,
) -> jax.Array | np.ndarray:
    """Values of a (batched) schedule at ``steps``: shape ``batch_shape + steps.shape``.

    Jitted; the schedule is an argument, so changing its numbers does not recompile.

    With ``max_bytes`` (or ``out``) the values are computed block by block, each
    compiled call producing at most ``max_bytes`` of values (blocks of whole batch rows
    and step ranges, padded to one shape: at most one compilation), and copied into a
    NumPy array, ``out`` when given (say an ``np.memmap``, so that even the result need
    not fit in memory). Without them, one call returns a ``jax.Array``.

    Args:
        schedule: a schedule, possibly batched.
        steps: the steps (any shape).
        max_bytes: budget of one block's values (default 256 MiB when ``out`` is given).
        out: array of shape ``batch_shape + steps.shape`` to fill (its dtype is kept).

    Returns:
        The values: a ``jax.Array``, or a NumPy array when blocked.

    Example:
        >>> import schedalg as sa
        >>> s = sa.linear([0.0, 1.0], 1.0, 4)
        >>> sa.evaluate(s, [0, 2, 4]).tolist()
        [[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]]
        >>> sa.evaluate(s, [0, 2, 4], max_bytes=8).tolist()  # blocks of two values
        [[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]]
    """
    if max_bytes is None and out is None:
        return _evaluate(schedule, jnp.asarray(steps))
    steps = np.asarray(steps)
    batch = batch_shape(schedule)
    shape = batch + steps.shape
    if out is None:
        out = np.empty(shape, _value_dtype(schedule, steps))
    elif tuple(out.shape) != shape:
        raise ValueError(f"evaluate: out must have shape {shape}, got {tuple(out.shape)}")
    flat_out = out.reshape(math.prod(batch), steps.size)  # a view: blocks land in out
    if not np.shares_memory(flat_out, out) and out.size:
        raise ValueError("evaluate: out must be a contiguous array (it is filled in place)")
    for (r0, r1), (c0, c1), values in _blocks(schedule, steps, max_bytes, _evaluate_block):
        flat_out[r0:r1, c0:c1] = np.asarray(values)[: r1 - r0, : c1 - c0]
    return out


#: Default budget of one block's values for the blocked evaluate and summarize.
MAX_BYTES = 256 * 2**20


def _value_dtype(schedule: Schedule, steps: np.ndarray) -> np.dtype:
    return np.dtype(jax.eval_shape(_evaluate, schedule, jnp.asarray(steps[:0])).dtype)


def flat_rows(schedule: Schedule, batch: tuple[int, ...]) -> Schedule:
    """Every leaf broadcast to ``batch`` and flattened to ``(rows, *vector axes)``."""
    n = math.prod(batch)

    def fn(value: Any, rank: int) -> np.ndarray:
        v = np.asarray(value)
        vec = v.shape[v.ndim - rank :]
        return np.broadcast_to(v, batch + vec).reshape((n, *vec))

    return map_leaves(schedule, fn)


def take_rows(schedule: Schedule, index: np.ndarray) -> Schedule:
    """The rows ``index`` of a tree from :func:`flat_rows`."""
    return map_leaves(schedule, lambda v, rank: v[index])


def _blocks(schedule: Schedule, steps: np.ndarray, max_bytes: int | None, fn: Callable):
    """Yields ``((r0, r1), (c0, c1), fn(rows, steps, valid))`` over blocks of rows of the
    flattened batch and of the flattened steps, each at most ``max_bytes`` of values.
    Every block is padded to one shape (rows repeat the last, steps repeat the last,
    ``valid`` counts the real steps), so ``fn`` compiles once."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise ValueError(f"evaluate: max_bytes must be an integer, got max_bytes={max_bytes!r}")
    batch = batch_shape(schedule)
    rows, cols = math.prod(batch), steps.size
    item = _value_dtype(schedule, steps).itemsize
    if max_bytes < item:
        raise ValueError(
            f"evaluate: max_bytes must be >= {item} (one value), got max_bytes={max_bytes}"
        )
    if rows == 0 or cols == 0:
        return
    budget = max_bytes // item
    width = min(cols, budget)
    height = min(rows, max(1, budget // width))
    flat = flat_rows(schedule, batch)
    t = steps.reshape(-1)
    for r0 in range(0, rows, height):
        r1 = min(r0 + height, rows)
        index = np.minimum(np.arange(r0, r0 + height), rows - 1)
        block = take_rows(flat, index)
        for c0 in range(0, cols, width):
            c1 = min(c0 + width, cols)
            cols_t = t[np.minimum(np.arange(c0, c0 + width), cols - 1)]
            yield (r0, r1), (c0, c1), fn(block, jnp.asarray(cols_t), c1 - c0)


@jax.jit
def _evaluate_block(schedule: Schedule, steps: jax.Array, valid: Any) -> jax.Array:
    del valid
    return _evaluate(schedule, steps)


@jax.jit
def _block_stats(schedule: Schedule, steps: jax.Array, valid: Any) -> tuple:
    values = _evaluate(schedule, steps)
    real = jnp.arange(steps.shape[0]) < valid
    top = jnp.where(real, values, -jnp.inf)
    return (
        top.max(-1),
        jnp.argmax(top, -1),
        jnp.where(real, values, jnp.inf).min(-1),
        jnp.where(real, values, 0).sum(-1),
        values[:, valid - 1],
    )


def summarize(
    schedule: Schedule, steps: ArrayLike, *, max_bytes: int | None = None
) -> dict[str, np.ndarray]:
    """Summary statistics of every schedule of a batch over ``steps``, block by block.

    For each member, over the flattened ``steps`` ``t_0, ..., t_{T-1}`` with values
    ``v_j = schedule(t_j)``::

        peak = max_j v_j            step_of_peak = t_j of the first j where v_j = peak
        low  = min_j v_j            final = v_{T-1}
        area = sum_j v_j            mean = area / T

    (``area`` is the area under the curve for unit-spaced steps: the learning-rate
    budget of a run.) The values are computed in blocks of at most ``max_bytes``
    (default 256 MiB) and reduced on the fly, so the ``batch x T`` matrix is never held;
    ``area`` is summed in the values' dtype within a block and in float64 across blocks.

    Args:
        schedule: a schedule, possibly batched.
        steps: the steps (any shape; flattened).
        max_bytes: budget of one block's values.

    Returns:
        A dict of NumPy arrays of shape ``batch_shape``.

    Example:
        >>> import schedalg as sa
        >>> stats = sa.summarize(sa.warmup(sa.cosine([1.0, 2.0], 0.0, 10), 5), range(20))
        >>> stats["peak"].tolist(), stats["step_of_peak"].tolist(), stats["area"].tolist()
        ([1.0, 2.0], [5, 5], [7.5, 15.0])
    """
    steps = np.asarray(steps)
    if steps.size == 0:
        raise ValueError("summarize: steps must not be empty")
    batch = batch_shape(schedule)
    rows = math.prod(batch)
    dtype = _value_dtype(schedule, steps)
    t = steps.reshape(-1)
    peak = np.full(rows, -np.inf, dtype)
    where = np.zeros(rows, np.int64)
    low = np.full(rows, np.inf, dtype)
    area = np.zeros(rows, np.float64)
    final = np.zeros(rows, dtype)
    for (r0, r1), (c0, c1), stats in _blocks(schedule, steps, max_bytes, _block_stats):
        top, arg, bottom, total, last = (np.asarray(s)[: r1 - r0] for s in stats)
        better = top > peak[r0:r1]  # strict: the first occurrence wins
        peak[r0:r1] = np.where(better, top, peak[r0:r1])
        where[r0:r1] = np.where(better, c0 + arg, where[r0:r1])
        low[r0:r1] = np.minimum(low[r0:r1], bottom)
        area[r0:r1] += total
        if c1 == t.size:
            final[r0:r1] = last
    return {
        "peak": peak.reshape(batch),
        "step_of_peak": t[where].reshape(batch),
        "low": low.reshape(batch),
        "final": final.reshape(batch),
        "area": area.reshape(batch),
        "mean": (area / t.size).reshape(batch),
    }


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
    for i, s in enumerate(schedules[1:], start=2):
        if not same_structure(s, schedules[0]):
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

    The constructor is called once, with whole axis arrays: axis ``i``, of shape
    ``(n_i, ...)``, is broadcast to ``(n_1, ..., n_k, ...)``. A vector field (milestones,
    boundaries, knot values) may be a list of such arrays, or of traced or batched
    numbers in general: they are stacked on its last axis, so ``[w, 2 * w]`` is one
    vector per choice of ``w``. The result must have the batch shape ``(n_1, ..., n_k)``.

    Example:
        >>> import schedalg as sa
        >>> g = sa.grid(lambda peak, w: sa.warmup(sa.cosine(peak, 0.0, 100), w),
        ...             peak=[1e-3, 1e-2, 1e-1], w=[0, 10])
        >>> sa.batch_shape(g)
        (3, 2)
        >>> g = sa.grid(lambda w: sa.multistep(1.0, [w, 2 * w], 0.1), w=[10, 20, 30])
        >>> sa.batch_shape(g), g.milestones.tolist()
        ((3,), [[10, 20], [20, 40], [30, 60]])
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
    schedule = constructor(**mesh)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"grid: the constructor must return a schedule, got {schedule!r}")
    got = batch_shape(schedule)
    if got != sizes:
        choices = ", ".join(f"{name}={n}" for name, n in zip(arrays, sizes))
        raise ValueError(
            f"grid: the constructor returned a schedule of batch shape {got}, expected {sizes} "
            f"(the choices per axis: {choices}); likely an axis went whole to a vector field, "
            "which reads its last axis as the vector (give that axis as (choices, K) rows, or "
            "build the vector as a list such as [a, 2 * a]), or an axis of rows went to a number"
        )
    return schedule


def check(schedule: Schedule) -> Schedule:
    """Validates a concrete (possibly batched) schedule leaf by leaf; returns it.

    Constructors cannot check traced leaves; call this on the concrete result of a
    jitted or vmapped construction. Errors name the path of the failing node.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> s = jax.vmap(lambda n: sa.warmup(sa.cosine(1.0, 0.0, n), 10))(jnp.array([90, -1]))
        >>> sa.check(s)
        Traceback (most recent call last):
        ...
        ValueError: warmup.schedule: cosine: steps must be >= 0, got steps=[90, -1]
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
            node._check()
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

    visit(schedule, schedule.name)
    return schedule
