"""The fitting machinery shared by the laws: the paper's Huber objective, optax L-BFGS
from several starts, and padding of the data into shape buckets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedalg.laws._law import huber


@functools.partial(jax.jit, static_argnames=("objective",))
def solve(objective: Callable, theta: jax.Array, data: dict, max_iter: Any, tol: Any):
    """Minimizes ``objective(theta, data)`` from ``theta`` with ``optax.lbfgs`` (zoom line
    search) until the best value has not improved by ``tol`` (relative) for 10 iterations,
    or ``max_iter`` iterations (``max_iter = 0`` just evaluates). Returns
    ``(theta, value, iterations)``. The line search's value and gradient at the accepted
    point are reused, so the objective appears only in the line search and once before
    the loop (its compilation dominates a fit's first call)."""
    opt = optax.lbfgs()
    f = functools.partial(objective, data=data)
    value, grad = jax.value_and_grad(f)(theta)

    def body(carry):
        x, state, i, best, stall, value, grad = carry
        updates, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=f)
        value = optax.tree_utils.tree_get(state, "value")
        grad = optax.tree_utils.tree_get(state, "grad")
        better = value < best - tol * jnp.abs(best)
        stall = jnp.where(better, 0, stall + 1)
        return x + updates, state, i + 1, jnp.minimum(best, value), stall, value, grad

    def cond(carry):
        return (carry[2] < max_iter) & (carry[4] < 10)

    best = jnp.asarray(jnp.inf, theta.dtype)
    start = (theta, opt.init(theta), 0, best, 0, value, grad)
    x, _, i, _, _, value, _ = jax.lax.while_loop(cond, body, start)
    return x, value, i


def huber_mean(log_y, pred, weight, delta):
    """The weighted mean of ``huber(log y - log pred) / delta**2``: the paper's objective up
    to a constant factor (kept near 1 for the line search)."""
    r = log_y - jnp.log(jnp.maximum(pred, 1e-30))
    return jnp.sum(weight * huber(r, delta)) / (delta * delta * jnp.sum(weight))


def multistart(objective, candidates: np.ndarray, data: dict, starts: int, max_iter: int):
    """L-BFGS from the ``starts`` candidates of lowest objective; the best end point."""
    dtype = jnp.float64
    values = [float(solve(objective, jnp.asarray(x, dtype), data, 0, 0.0)[1]) for x in candidates]
    order = np.argsort(np.where(np.isfinite(values), values, np.inf), kind="stable")
    best, best_value = None, np.inf
    for i in order[:starts]:
        x, value, _ = solve(objective, jnp.asarray(candidates[i], dtype), data, max_iter, 1e-9)
        if np.isfinite(float(value)) and float(value) < best_value:
            best, best_value = np.asarray(x), float(value)
    if best is None:
        raise ValueError("fit: no start reached a finite objective; check the runs")
    return best


def power_guess(log_s1: np.ndarray, y: np.ndarray, l0: float) -> tuple[float, float]:
    """``(alpha, A)`` of ``y - l0 ~ A * S1**-alpha`` by least squares in log-log."""
    slope, intercept = np.polyfit(log_s1, np.log(np.maximum(y - l0, 1e-3 * y.min())), 1)
    return float(np.clip(-slope, 0.05, 2.0)), float(np.exp(intercept))


def size_bucket(n: int, least: int) -> int:
    """``n`` rounded up to a power of two, at least ``least``: fits of different sizes
    (and the docstring examples) share one compilation per bucket."""
    return max(least, 1 << max(0, n - 1).bit_length())


def padded_columns(**columns: np.ndarray) -> dict:
    """Columns (first axis: logged points) padded to a bucket of at least 512 points, with
    a ``weight`` column (0 for padding); padding predicts a finite loss."""
    n = len(next(iter(columns.values())))
    size = size_bucket(n, 512)
    out = {
        name: np.concatenate([col, np.zeros((size - n,) + col.shape[1:])])
        for name, col in columns.items()
    }
    out["weight"] = np.concatenate([np.ones(n), np.zeros(size - n)])
    return out
