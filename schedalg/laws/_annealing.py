"""The scaling law with learning-rate annealing of Tissue et al. (2024)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import Schedule
from schedalg.laws._law import (
    check_coefficients,
    coefficients,
    law_batch,
    law_class,
    learning_rates,
    prefix_sums,
    query_steps,
)

#: Steps per block of the momentum scan.
BLOCK = 256


def momentum_area(lam: jax.Array, eta: jax.Array) -> jax.Array:
    """``S2(t) = m_1 + ... + m_t`` for every t (``S2(0) = 0``), ``m_i = lam * m_{i-1} +
    (eta_{i-1} - eta_i)``, ``m_0 = 0``; ``lam`` broadcasts against the batch of ``eta``.

    A ``lax.scan`` over blocks of 256 steps carries ``(m, S2)``; within a block
    ``m = lam**(i+1) m_prev + L d`` with ``L[i, j] = lam**(i-j)`` (``j <= i``) and ``S2`` a
    triangular product: ``O(256 T)`` flops in two small matrix products per block, which
    compiles in a fraction of an associative scan's time.
    """
    n_total = eta.shape[-1]
    b = BLOCK
    blocks = -(-n_total // b)
    d = jnp.concatenate([jnp.zeros_like(eta[..., :1]), eta[..., :-1] - eta[..., 1:]], axis=-1)
    d = jnp.concatenate([d, jnp.zeros(d.shape[:-1] + (blocks * b - n_total,), d.dtype)], -1)
    d = jnp.moveaxis(d.reshape(d.shape[:-1] + (blocks, b)), -2, 0)  # (blocks, ..., b)
    log_lam = jnp.log(jnp.maximum(jnp.asarray(lam, eta.dtype), jnp.finfo(eta.dtype).tiny))
    i = jnp.arange(b)
    gap = (i[:, None] - i[None, :]).astype(eta.dtype)
    power = jnp.where(gap >= 0, jnp.exp(jnp.maximum(gap, 0.0) * log_lam[..., None, None]), 0.0)
    rise = jnp.exp((i + 1.0) * log_lam[..., None])  # lam**(i+1)
    ones = jnp.tril(jnp.ones((b, b), eta.dtype))
    shape = jnp.broadcast_shapes(log_lam.shape, eta.shape[:-1])

    def body(carry, block):
        m_prev, s_prev = carry
        m = rise * m_prev[..., None] + jnp.einsum("...ij,...j->...i", power, block)
        s = s_prev[..., None] + jnp.einsum("ij,...j->...i", ones, m)
        return (m[..., -1], s[..., -1]), s

    zero = jnp.zeros(shape, eta.dtype)
    _, s2 = jax.lax.scan(body, (zero, zero), d)
    return jnp.moveaxis(s2, 0, -2).reshape(shape + (blocks * b,))[..., :n_total]


@law_class
class AnnealingLaw:
    """The scaling law with learning-rate annealing (Tissue et al., 2024,
    arXiv 2408.11029, Eq. 1)::

        L(t)  = L0 + A * S1(t) ** -alpha - C * S2(t)
        S1(t) = eta_0 + ... + eta_t                      (forward area)
        S2(t) = m_1 + ... + m_t,   m_i = lam * m_{i-1} + (eta_{i-1} - eta_i),   m_0 = 0

    with the same step convention as :class:`MultiPowerLaw` (``L(t)`` is logged at step t,
    after the update with ``eta_t``). ``S2`` is the annealing area: the learning rate's
    decrements, each remembered with momentum ``lam`` (about 0.999), so a drop keeps
    lowering the loss for about ``1 / (1 - lam)`` steps. The formula is applied to every
    step, so a warmup's increases count as negative decrements (their effect fades after
    a few ``1 / (1 - lam)`` and ``L0`` absorbs the rest).

    A pytree like :class:`MultiPowerLaw`: ``predict`` jits, vmaps and differentiates.
    Time and memory ``O(T)`` per schedule for any number of steps (:func:`momentum_area`).

    Example:
        >>> from schedalg import laws
        >>> law = laws.AnnealingLaw(L0=2.6, A=0.6, alpha=0.45, C=0.5, lam=0.999)
        >>> [round(float(x), 3) for x in law.predict(sa.wsd(3e-4, 2160, 17840, 4000),
        ...                                          [10_000, 23_999])]
        [3.135, 2.899]
    """

    L0: ArrayLike
    A: ArrayLike
    alpha: ArrayLike
    C: ArrayLike
    lam: ArrayLike = 0.999

    def __post_init__(self) -> None:
        check_coefficients(self, {"lam": (lambda v: (v >= 0) & (v < 1), "in [0, 1)")})

    def predict(
        self, schedule: Schedule | ArrayLike, steps: ArrayLike, *, max_bytes: int | None = None
    ) -> jax.Array:
        """The predicted loss at ``steps``: shape ``broadcast(law batch, schedule batch) +
        steps.shape``. ``schedule`` is a (batched) schedule or an array of learning rates
        (last axis: steps from 0); ``steps`` are concrete whole numbers. ``max_bytes`` is
        accepted for symmetry with :meth:`MultiPowerLaw.predict` (the learning rates of
        every schedule are held whole, ``O(T)`` each)."""
        del max_bytes
        q = query_steps("predict", steps)
        out = self._predict_rows(schedule, q.reshape(-1))
        return out.reshape(out.shape[:-1] + q.shape)

    def batch_shape(self) -> tuple[int, ...]:
        """The shape of a batch of laws (``()`` for one)."""
        return law_batch(self)

    def _final_host(self, lrs: np.ndarray) -> float:
        """The law at the last step of one array of learning rates, in NumPy float64:
        ``S2(T) = sum_j (eta_{j-1} - eta_j) (1 - lam**(T-j+1)) / (1 - lam)``."""
        L0, A, alpha, C, lam = (float(v) for v in dataclasses.astuple(self))
        j = np.arange(1, lrs.size)
        weights = -np.expm1((lrs.size - j) * np.log(lam)) / (1.0 - lam) if lam > 0 else 1.0
        s2 = np.sum((lrs[:-1] - lrs[1:]) * weights)
        return float(L0 + A * lrs.sum() ** -alpha - C * s2)

    def _predict_rows(self, schedule: Any, steps: np.ndarray) -> jax.Array:
        """The law at steps ``steps`` (``(..., n)``, broadcast against the batch)."""
        n_total = int(np.max(steps)) + 1
        eta = learning_rates("predict", schedule, n_total)
        return _annealing_jit(coefficients(self), eta, jnp.asarray(steps, jnp.int32))


@jax.jit
def _annealing_jit(c: dict, eta: jax.Array, steps: jax.Array) -> jax.Array:
    """``L0 + A * S1**-alpha - C * S2`` at ``steps`` (``(..., n)``) from ``eta`` (``(..., N)``)."""
    c = {k: v[..., None] for k, v in c.items()}
    hi, lo = prefix_sums(eta)
    s2 = momentum_area(c["lam"][..., 0], eta)
    batch = jnp.broadcast_shapes(hi.shape[:-1], s2.shape[:-1], steps.shape[:-1])
    index = jnp.broadcast_to(steps, batch + steps.shape[-1:])

    def at(x):
        return jnp.take_along_axis(jnp.broadcast_to(x, batch + x.shape[-1:]), index, axis=-1)

    s1 = at(hi) + at(lo)
    return c["L0"] + c["A"] * jnp.exp(-c["alpha"] * jnp.log(s1)) - c["C"] * at(s2)
