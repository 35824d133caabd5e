"""The multi-power law of Luo et al. (ICLR 2025): the loss curve of a whole run from its
learning-rate schedule."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._batch import batch_shape, expand
from schedalg._core import Schedule, float_dtype
from schedalg.laws._law import (
    block_cumsum,
    check_coefficients,
    coefficients,
    law_batch,
    law_class,
    learning_rates,
    query_steps,
    two_sum,
)

#: Default budget of one block's working values (bytes).
MAX_BYTES = 64 * 2**20
#: Steps per block of the scan (a multiple of 16, at most 256).
BLOCK = 256
#: Most query steps per chunk of a curve.
CHUNK = 64


#: Learning rates below this count as this inside ``eta**-gamma`` (G is then within
#: ``(C * area * 1e13**gamma)**-beta`` of its limit 1, or exactly 0 where the area is 0).
FLOOR = 1e-13


def _drop(c: dict, eta: jax.Array, area: jax.Array) -> jax.Array:
    """``G(eta**-gamma * area) = 1 - (1 + C * eta**-gamma * area)**-beta``, with ``eta``
    floored at :data:`FLOOR` (a zero learning rate gives G = 1, or 0 where the area is 0,
    without a select: selects broadcast over blocks cost XLA's CPU backend 3x).

    ``C * eta**-gamma`` is formed in logs and capped at ``exp(0.9 * log(dtype max))``:
    fits reach ``C = 4e-20`` with ``gamma = 3.8``, where ``C * area`` underflows float32
    and ``eta**-gamma`` overflows it (and met a zero area as NaN). The cap binds only when
    ``C * eta**-gamma > 5e34`` (float32), where G is 1 for any area above ``1e-30``."""
    cap = 0.9 * math.log(float(jnp.finfo(area.dtype).max))
    log_scale = jnp.log(c["C"]) - c["gamma"] * jnp.log(jnp.maximum(eta, FLOOR))
    u = jnp.exp(jnp.minimum(log_scale, cap)) * area
    return -jnp.expm1(-c["beta"] * jnp.log1p(u))


def _expand_coefficients(c: dict, axes: int) -> dict:
    return {k: v.reshape(v.shape + (1,) * axes) for k, v in c.items()}


def law_batch_of(c: dict) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*(np.shape(v) for v in c.values())))


def _suffix_sums(x: jax.Array) -> jax.Array:
    """Inclusive suffix sums along the last axis (length ``16 * m``, ``m <= 16``), by two
    small triangular products (XLA's CPU cumsum is several times slower)."""
    m = x.shape[-1] // 16
    y = x.reshape(x.shape[:-1] + (m, 16))
    inner = y @ jnp.tril(jnp.ones((16, 16), x.dtype))
    later = inner[..., 0] @ jnp.tril(jnp.ones((m, m), x.dtype), -1)
    return (inner + later[..., None]).reshape(x.shape)


def losses(c: dict, values_at: Callable, batch: tuple, n_total: int, t: jax.Array) -> jax.Array:
    """The law at steps ``t`` (shape ``(..., n)``, broadcast against ``batch``; every
    ``t < n_total``): shape ``broadcast(batch, law batch, t.shape[:-1]) + (n,)``.

    ``values_at(steps)`` gives the learning rates at ``steps`` (``(b + 1,)``) as
    ``batch + (b + 1,)``. A reverse ``lax.scan`` over blocks of ``b = 256`` steps carries,
    per query t, the area of the later steps up to t (TwoSum-compensated) and the loss
    drop; within a block, suffix sums of the learning rates masked to ``k <= t`` give each
    ``S_k(t) = eta_k + ... + eta_t`` directly (no difference of prefix sums, so float32
    keeps its relative precision near the diagonal). Time ``O(n T)`` per schedule
    (``O(T)`` for one step), memory ``O(n b)``: nothing of length T is held; under
    ``grad`` the block body is rematerialized, so only the carries are stored.
    """
    b = min(BLOCK, 16 * -(-n_total // 16))
    blocks = -(-n_total // b)
    offsets = jnp.arange(b + 1, dtype=jnp.int32)
    t = jnp.asarray(t, jnp.int32)[..., None]  # (..., n, 1)
    shape = np.broadcast_shapes(batch + (1,), law_batch_of(c) + (1,), t.shape[:-1])
    c2 = _expand_coefficients(c, 2)

    def body(carry, j):
        drop, hi, lo = carry
        start = j * b
        v = values_at(jnp.maximum(start - 1 + offsets, 0))[..., None, :]
        k = start + offsets[:-1]
        live = k <= t
        eta = jnp.where(live, v[..., 1:], 0.0)
        decrement = jnp.where(live & (k >= 1), v[..., :-1] - v[..., 1:], 0.0)
        inner = _suffix_sums(eta)
        area = inner + (hi + lo)[..., None]
        drop = drop + jnp.sum(decrement * _drop(c2, eta, area), axis=-1)
        hi, err = two_sum(hi, inner[..., 0])
        return (drop, hi, lo + err), None

    block = jax.checkpoint(body, prevent_cse=False)
    last = jnp.max(t)

    def step(carry, j):  # blocks past every query add nothing: skip them
        return jax.lax.cond(j * b <= last, block, lambda c, _: (c, None), carry, j)

    zero = jnp.zeros(shape, float_dtype())
    (drop, hi, lo), _ = jax.lax.scan(step, (zero, zero, zero), jnp.arange(blocks - 1, -1, -1))
    c1 = _expand_coefficients(c, 1)
    return c1["L0"] + c1["A"] * jnp.exp(-c1["alpha"] * jnp.log(hi + lo)) - c1["B"] * drop


def final_losses(c: dict, values_at: Callable, batch: tuple, n_total: int) -> jax.Array:
    """The law at the last step ``T = n_total - 1`` only: shape ``broadcast(batch, law
    batch)``. The same reverse block scan as :func:`losses`, with blocks aligned to end at
    T, so that no step needs a mask but those of the first (partial) block, done once
    after the scan: ``O(T)`` time, ``O(b)`` memory per schedule (masks broadcast over
    every block would triple XLA's CPU time)."""
    b = min(BLOCK, 16 * -(-n_total // 16))
    full = (n_total - 1) // b  # blocks [T + 1 - (j + 1) b, T + 1 - j b), every k >= 1
    head = n_total - full * b  # steps 0 .. head - 1: 1 <= head <= b
    offsets = jnp.arange(b + 1, dtype=jnp.int32)
    shape = np.broadcast_shapes(batch, law_batch_of(c))
    c1 = _expand_coefficients(c, 1)

    def terms(v, after, keep=None):
        eta, decrement = v[..., 1:], v[..., :-1] - v[..., 1:]
        if keep is not None:
            eta, decrement = jnp.where(keep[0], eta, 0.0), jnp.where(keep[1], decrement, 0.0)
        inner = _suffix_sums(eta)
        g = _drop(c1, eta, inner + after[..., None])
        return jnp.sum(decrement * g, axis=-1), inner[..., 0]

    def body(carry, j):
        drop, hi, lo = carry
        v = values_at(n_total - (j + 1) * b - 1 + offsets)
        more, total = terms(v, hi + lo)
        hi, err = two_sum(hi, total)
        return (drop + more, hi, lo + err), None

    zero = jnp.zeros(shape, float_dtype())
    body = jax.checkpoint(body, prevent_cse=False)
    (drop, hi, lo), _ = jax.lax.scan(body, (zero, zero, zero), jnp.arange(full))
    k = offsets[:-1]
    v = values_at(jnp.clip(offsets - 1, 0, head - 1))  # padding repeats real steps
    more, total = terms(v, hi + lo, (k < head, (k >= 1) & (k < head)))
    hi, err = two_sum(hi, total)
    drop = drop + more
    return c["L0"] + c["A"] * jnp.exp(-c["alpha"] * jnp.log(hi + (lo + err))) - c["B"] * drop


def values_of(schedule: Any, n_total: int) -> tuple[Callable, tuple[int, ...]]:
    """``(values_at, batch)`` for :func:`losses`: a schedule evaluated block by block, or
    an array of learning rates (last axis: steps ``0 .. n_total - 1``) sliced block by
    block (zero beyond)."""
    if isinstance(schedule, Schedule):
        expanded = expand(schedule, 1)
        dtype = float_dtype()
        return (lambda t: jnp.asarray(expanded(t), dtype)), batch_shape(schedule)
    eta = jnp.asarray(schedule, float_dtype())[..., :n_total]
    padded = jnp.concatenate([eta, jnp.zeros(eta.shape[:-1] + (BLOCK + 1,), eta.dtype)], -1)
    return (lambda t: jnp.take(padded, t, axis=-1)), eta.shape[:-1]


def final_dense(c: dict, eta: jax.Array) -> jax.Array:
    """The law at the last step of one whole array of learning rates ``eta`` (``(T,)``):
    suffix sums (:func:`~schedalg.laws._law.block_cumsum`), then one elementwise pass.
    ``O(T)`` memory; a small graph that compiles fast, for the free-form optimizer
    (float64 there)."""
    later = block_cumsum(eta, reverse=True)  # S_k(T) = eta_k + ... + eta_T
    drop = jnp.sum((eta[:-1] - eta[1:]) * _drop(c, eta[1:], later[1:]))
    return c["L0"] + c["A"] * jnp.exp(-c["alpha"] * jnp.log(later[0])) - c["B"] * drop


@functools.partial(jax.jit, static_argnames=("n_total",))
def _final_jit(c: dict, schedule: Any, n_total: int) -> jax.Array:
    return final_losses(c, *values_of(schedule, n_total), n_total)


@functools.partial(jax.jit, static_argnames=("n_total",))
def _losses_jit(c: dict, schedule: Any, t: jax.Array, n_total: int) -> jax.Array:
    """:func:`losses` jitted; ``t`` is ``(chunks, ..., width)``: one ``lax.map`` step per
    chunk bounds the memory."""
    values_at, batch = values_of(schedule, n_total)
    out = jax.lax.map(lambda q: losses(c, values_at, batch, n_total, q), t)
    return jnp.moveaxis(out, 0, -2).reshape(out.shape[1:-1] + (-1,))


def predict_at(law: Any, schedule: Any, t: np.ndarray, max_bytes: int | None) -> jax.Array:
    """The law at steps ``t`` (``(..., n)``, whole numbers >= 0, broadcast against the
    batch). The steps are sorted and cut into chunks of at most 64 (fewer if ``max_bytes``
    of block values demands), so that each chunk's scan stops at its own last step: the
    ``O(n T)`` work of a curve is then about halved (a triangle, not a rectangle)."""
    n_total = int(t.max()) + 1
    c = coefficients(law)
    if not isinstance(schedule, Schedule):
        schedule = learning_rates("predict", schedule, n_total)
    if t.shape == (1,):  # the final loss alone: the mask-free scan
        return _final_jit(c, schedule, n_total)[..., None]
    order = np.argsort(t, axis=-1, kind="stable")
    t = np.take_along_axis(t, order, axis=-1)
    n = t.shape[-1]
    rows = math.prod(np.broadcast_shapes(schedule_batch(schedule), law_batch_of(c), t.shape[:-1]))
    budget = MAX_BYTES if max_bytes is None else int(max_bytes)
    width = budget // (16 * BLOCK * np.dtype(float_dtype()).itemsize * rows)
    width = max(1, min(n, CHUNK, width))
    chunks = -(-n // width)
    padded = np.concatenate([t, np.repeat(t[..., -1:], chunks * width - n, axis=-1)], axis=-1)
    padded = np.moveaxis(padded.reshape(t.shape[:-1] + (chunks, width)), -2, 0)
    out = _losses_jit(c, schedule, padded.astype(np.int32), n_total)[..., :n]
    inverse = np.argsort(order, axis=-1)
    if inverse.ndim == 1:
        return out[..., inverse]
    index = np.broadcast_to(inverse, out.shape)
    return jnp.take_along_axis(out, jnp.asarray(index), axis=-1)


@law_class
class MultiPowerLaw:
    """The multi-power law (Luo et al., ICLR 2025, arXiv 2503.12811, Eq. 5)::

        L(t)  = L0 + A * S1(t) ** -alpha - LD(t)
        S1(t) = eta_0 + ... + eta_t                     (the warmup included: S_W absorbed)
        LD(t) = B * sum_{k=1..t} (eta_{k-1} - eta_k) * G(eta_k ** -gamma * S_k(t))
        S_k(t) = eta_k + ... + eta_t,    G(x) = 1 - (C * x + 1) ** -beta

    ``eta_t`` is the learning rate of step t (``schedule(t)``) and ``L(t)`` the loss logged
    at step t, after the updates with ``eta_0 .. eta_t`` (the indexing of the paper's code,
    with which its published coefficients reproduce its errors). The warmup's increases
    enter ``LD`` with a negative sign, as there.

    A law is a pytree whose seven coefficients are leaves: it jits, vmaps (a batch of laws
    is one law with array coefficients, broadcast against a schedule's batch) and
    differentiates, in the coefficients and in the schedule's float leaves.

    Example:
        >>> from schedalg import laws
        >>> law = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
        >>> wsd = sa.wsd(3e-4, 2160, 17840, 4000)
        >>> [round(float(x), 3) for x in law.predict(wsd, [10_000, 23_999])]
        [3.166, 2.926]
    """

    L0: ArrayLike
    A: ArrayLike
    alpha: ArrayLike
    B: ArrayLike
    C: ArrayLike
    beta: ArrayLike
    gamma: ArrayLike

    def __post_init__(self) -> None:
        check_coefficients(self, {"C": (lambda v: v >= 0, ">= 0")})

    def predict(
        self, schedule: Schedule | ArrayLike, steps: ArrayLike, *, max_bytes: int | None = None
    ) -> jax.Array:
        """The predicted loss at ``steps``: shape ``broadcast(law batch, schedule batch) +
        steps.shape``.

        ``schedule`` is a (batched) schedalg schedule, or an array of learning rates whose
        last axis lists steps ``0, 1, ...``. ``steps`` are concrete whole numbers (they fix
        the shapes). Learning rates must be >= 0. With ``T = max(steps)`` and n steps:
        time ``O(n T)`` per schedule (the loss drop is a double sum; the final loss alone
        is ``O(T)``), memory ``O(n * 256)`` per schedule, never ``O(n T)`` nor even
        ``O(T)``: a reverse scan over blocks of 256 steps evaluates the schedule block by
        block (see :func:`schedalg.laws._multi_power.losses`). Queries go in chunks of at
        most ``max_bytes`` (default 64 MiB) of block values.

        float64 under ``jax_enable_x64``, else float32 with compensated block sums:
        within 2e-7 (relative) of float64 on the paper's 72,000-step runs.
        """
        q = query_steps("predict", steps)
        out = predict_at(self, schedule, q.reshape(-1), max_bytes)
        return out.reshape(out.shape[:-1] + q.shape)

    def batch_shape(self) -> tuple[int, ...]:
        """The shape of a batch of laws (``()`` for one)."""
        return law_batch(self)

    def _final_host(self, lrs: np.ndarray) -> float:
        """The law at the last step of one array of learning rates, in NumPy float64."""
        L0, A, alpha, B, C, beta, gamma = (float(v) for v in dataclasses.astuple(self))
        later = np.cumsum(lrs[::-1])[::-1]
        area = later[1:]
        with np.errstate(divide="ignore"):  # log(0) = -inf: u = 0 where C or the area is 0
            log_u = np.log(C) + np.log(area) - gamma * np.log(np.maximum(lrs[1:], FLOOR))
        u = np.exp(log_u)
        drop = np.sum((lrs[:-1] - lrs[1:]) * -np.expm1(-beta * np.log1p(u)))
        return float(L0 + A * later[0] ** -alpha - B * drop)

    def _predict_rows(self, lrs: Any, steps: np.ndarray) -> jax.Array:
        """Row i of the batch at its own steps ``steps[i]`` (``batch + (n,)``)."""
        return predict_at(self, lrs, np.asarray(steps, np.int64), None)


def schedule_batch(schedule: Any) -> tuple[int, ...]:
    """Batch shape of a schedule or of an array of learning rates."""
    if isinstance(schedule, Schedule):
        return batch_shape(schedule)
    return tuple(np.shape(schedule)[:-1])
