"""The last-iterate bound of convex, Lipschitz stochastic optimization for any schedule."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from schedalg._core import Schedule, require
from schedalg.laws._law import learning_rates, query_steps


def _terms(schedule: Any, steps: Any, fn: str) -> tuple[jax.Array, jax.Array]:
    """``(a, b)`` with ``bound(base) = D**2 a / base + G**2 b * base`` for the schedule
    scaled by ``base``: ``a = 1 / (2 sum eta)``, ``b`` the rest at base 1."""
    t = query_steps(fn, steps)
    if t.ndim or t < 1:
        raise ValueError(f"{fn}: steps must be a whole number >= 1, got steps={steps!r}")
    return _terms_jit(learning_rates(fn, schedule, int(t)))


@jax.jit
def _terms_jit(eta: jax.Array) -> tuple[jax.Array, jax.Array]:
    total = jnp.sum(eta, axis=-1)
    later = jnp.cumsum(eta[..., ::-1], axis=-1)[..., ::-1]  # R_k = eta_k + ... + eta_T
    squares = jnp.cumsum((eta * eta)[..., ::-1], axis=-1)[..., ::-1]
    eta_k, after, from_k = eta[..., :-1], later[..., 1:], later[..., :-1]
    positive = eta_k > 0
    ratio = jnp.where(positive, eta_k / jnp.where(positive, after, 1.0), 0.0)
    share = jnp.where(positive, squares[..., :-1] / jnp.where(positive, from_k, 1.0), 0.0)
    refined = 0.5 * jnp.sum(ratio * share, axis=-1)
    return 0.5 / total, 0.5 * squares[..., 0] / total + refined


def convex_bound(
    schedule: Schedule | ArrayLike, steps: int, D: ArrayLike = 1.0, G: ArrayLike = 1.0
) -> jax.Array:
    """The bound on ``E[f(x_T) - f*]`` of SGD with step sizes ``eta_1 .. eta_T`` on a convex,
    ``G``-Lipschitz ``f`` from ``||x_1 - x*|| = D`` (Defazio et al. 2023, arXiv
    2310.07831, Thm. 10; the schedule comparison of Schaipp et al., ICML 2025)::

        D**2 / (2 S) + G**2 / (2 S) * sum_t eta_t**2
          + G**2 / 2 * sum_{k=1..T-1} eta_k / (sum_{t=k+1..T} eta_t)
                                      * (sum_{t=k..T} eta_t**2) / (sum_{t=k..T} eta_t)

    with ``S = sum_{t=1..T} eta_t`` and ``eta_t = schedule(t - 1)`` (the schedule's steps
    ``0 .. steps - 1``). Suffix sums make it ``O(T)`` per schedule (batched schedules give
    one bound each). A schedule ending at exactly 0 has an infinite bound (the theorem
    needs ``eta_T > 0``; end at a tiny value instead).

    Example:
        >>> from schedalg import laws
        >>> b = laws.convex_bound(sa.linear(0.1, [0.1, 1e-4], 99), 100)  # constant, linear
        >>> [round(float(x), 4) for x in b]
        [0.3589, 0.2099]
    """
    a, b = _terms(schedule, steps, "convex_bound")
    require("convex_bound", "D", D, lambda v: v >= 0, ">= 0")
    require("convex_bound", "G", G, lambda v: v >= 0, ">= 0")
    return jnp.asarray(D) ** 2 * a + jnp.asarray(G) ** 2 * b


def optimal_base_lr(
    schedule: Schedule | ArrayLike, steps: int, D: ArrayLike = 1.0, G: ArrayLike = 1.0
) -> tuple[jax.Array, jax.Array]:
    """The factor minimizing :func:`convex_bound` of ``schedule * factor``, and that bound.

    The bound of the scaled schedule is ``D**2 a / factor + G**2 b * factor`` (``a``, ``b``
    the bound's two parts at factor 1), so the optimum is closed-form:
    ``factor = (D / G) * sqrt(a / b)``, ``bound = 2 D G sqrt(a b)``.

    Example:
        >>> from schedalg import laws
        >>> factor, bound = laws.optimal_base_lr(sa.linear(1.0, 1e-3, 99), 100)
        >>> round(float(factor), 4), round(float(bound), 4)
        (0.0953, 0.2097)
    """
    a, b = _terms(schedule, steps, "optimal_base_lr")
    require("optimal_base_lr", "D", D, lambda v: v > 0, "> 0")
    require("optimal_base_lr", "G", G, lambda v: v > 0, "> 0")
    D, G = jnp.asarray(D), jnp.asarray(G)
    return D / G * jnp.sqrt(a / b), 2.0 * D * G * jnp.sqrt(a * b)
