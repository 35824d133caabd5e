"""The learning-rate range test (Smith 2017): train briefly while the rate ramps up.

``lr_find`` runs the whole test as one ``jax.lax.scan`` under ``jax.jit``. The ramp is a
schedalg schedule (``sa.exponential`` or ``sa.linear``) driving a
:func:`schedalg.optax.scheduled` optimizer; a bias-corrected moving average smooths the
loss; once it passes ``diverge`` times its best value the remaining steps are masked
(no forward pass, no update). The caller's parameters are never changed. For a band
over seeds, :func:`lr_find_band` vmaps the same scan over per-seed parameters and
batches.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedalg._batch import evaluate
from schedalg._core import Schedule, require, require_choice
from schedalg._primitives import exponential, linear
from schedalg.optax import scheduled

__all__ = ["LRFindResult", "lr_find", "lr_find_band", "ramp"]


def ramp(start: float, end: float, steps: int, mode: str = "exp") -> Schedule:
    """The range test's learning-rate ramp: ``start`` at step 0, ``end`` at ``steps - 1``.

    ``mode="exp"``: ``exponential(start, end / start, steps - 1)``, i.e.
    ``start * (end / start) ** (t / (steps - 1))``; ``mode="linear"``:
    ``linear(start, end, steps - 1)``.

    Example:
        >>> from schedalg.lr_finder import ramp
        >>> r = ramp(1e-4, 1.0, 5)
        >>> [round(float(r(t)), 6) for t in range(5)]
        [0.0001, 0.001, 0.01, 0.1, 1.0]
    """
    require_choice("lr_find", "mode", mode, ("exp", "linear"))
    require("lr_find", "steps", steps, lambda v: (v >= 2) & (v == v // 1), "an integer >= 2")
    require("lr_find", "end", end, lambda v: v > start, f"> start={start!r}")
    if mode == "exp":
        require("lr_find", "start", start, lambda v: v > 0, "> 0 for mode='exp'")
        return exponential(start, end / start, steps - 1)
    require("lr_find", "start", start, lambda v: v >= 0, ">= 0")
    return linear(start, end, steps - 1)


def _scan(
    loss_fn: Callable,
    optimizer_fn: Callable,
    steps: int,
    params: Any,
    batches: Any,
    schedule: Schedule,
    smooth: jax.Array,
    diverge: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(raw losses, smoothed losses, mask): the range test as one scan."""
    opt = scheduled(optimizer_fn, learning_rate=schedule)
    n = jax.tree.leaves(batches)[0].shape[0]
    first = jax.tree.map(lambda b: b[0], batches)
    loss_dtype = jax.eval_shape(loss_fn, params, first).dtype
    beta = (1.0 - smooth).astype(loss_dtype)

    def live(params, opt_state, batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = opt.update(grads, opt_state, params)
        return loss, optax.apply_updates(params, updates), opt_state

    def dead(params, opt_state, batch):
        del batch
        return jnp.full((), jnp.nan, loss_dtype), params, opt_state

    def body(carry, i):
        params, opt_state, avg, best, seen, stopped = carry
        batch = jax.tree.map(lambda b: b[i % n], batches)
        # After divergence: no forward pass, no update (both branches run under vmap).
        loss, params, opt_state = jax.lax.cond(stopped, dead, live, params, opt_state, batch)
        valid = ~stopped & jnp.isfinite(loss)
        safe = jnp.where(valid, loss, 0.0)
        new_avg = jnp.where(valid, beta * avg + (1.0 - beta) * safe, avg)
        new_seen = seen + valid.astype(jnp.int32)
        smoothed = new_avg / (1.0 - beta ** new_seen.astype(loss_dtype))  # bias-corrected
        diverged = (smoothed > diverge * best) | ~jnp.isfinite(smoothed)
        stopped = stopped | ~jnp.isfinite(loss) | (valid & diverged)
        best = jnp.where(valid, jnp.minimum(best, smoothed), best)
        nan = jnp.full((), jnp.nan, loss_dtype)
        out = (jnp.where(valid, loss, nan), jnp.where(valid, smoothed, nan), valid)
        return (params, opt_state, new_avg, best, new_seen, stopped), out

    zero = jnp.zeros((), loss_dtype)
    carry = (params, opt.init(params), zero, zero + jnp.inf, jnp.int32(0), jnp.bool_(False))
    _, (losses, smoothed, mask) = jax.lax.scan(body, carry, jnp.arange(steps))
    return losses, smoothed, mask


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _run(loss_fn, optimizer_fn, steps, params, batches, schedule, smooth, diverge):
    return _scan(loss_fn, optimizer_fn, steps, params, batches, schedule, smooth, diverge)


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _run_band(loss_fn, optimizer_fn, steps, p_axis, b_axis, params, batches, schedule, s, d):
    fn = functools.partial(_scan, loss_fn, optimizer_fn, steps)
    return jax.vmap(fn, in_axes=(p_axis, b_axis, None, None, None))(params, batches, schedule, s, d)


def _descent(y: np.ndarray, skip: int) -> tuple[int, int]:
    """(first, last) point of the main descent of ``y``: from the last point still
    within 10% of the way down from the top to the minimum, to the minimum. The first
    ``skip`` points do not count (the moving average's noisy start)."""
    last = int(np.argmin(y))
    skip = min(skip, last)
    head = y[skip : last + 1]
    top = y[last] + 0.9 * (np.max(head) - y[last])
    return skip + int(np.nonzero(head >= top)[0][-1]), last


@dataclasses.dataclass(frozen=True)
class LRFindResult:
    """The range test's record and its suggested learning rates.

    Attributes:
        lrs: the learning rate applied at each step, shape ``(steps,)``.
        losses: the raw training loss at each step (before that step's update),
            ``(steps,)`` or ``(seeds, steps)``; NaN where the step was not trained.
        smoothed: the bias-corrected moving average of ``losses``; NaN where not trained.
        mask: True where the step was trained and its loss finite.
        skip: first steps the picks ignore: there the bias-corrected average rests on
            fewer than ``1 / smooth`` losses and is noisy.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    mask: np.ndarray
    skip: int = 0

    @property
    def stopped_at(self) -> int | None:
        """First untrained step (divergence), or None if every step ran (per seed:
        the earliest)."""
        trained = self.mask.reshape(-1, self.mask.shape[-1]).all(axis=0)
        return None if trained.all() else int(np.argmin(trained))

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(lrs, smoothed loss) over the trained steps; the median over seeds for a band
        (on the steps every seed trained)."""
        mask = self.mask.reshape(-1, self.mask.shape[-1]).all(axis=0)
        y = np.median(self.smoothed.reshape(-1, self.smoothed.shape[-1])[:, mask], axis=0)
        return self.lrs[mask], y

    def _x(self, lrs: np.ndarray) -> np.ndarray:
        return np.log(lrs) if np.all(lrs > 0) else lrs

    @property
    def minimum(self) -> float:
        """The learning rate of the lowest smoothed loss, divided by 10."""
        lrs, y = self.curve()
        return float(lrs[np.argmin(y)] / 10.0)

    @property
    def steepest(self) -> float:
        """The learning rate where the smoothed loss falls fastest against log(lr)
        (against lr for a ramp from 0), within the main descent (see ``valley``)."""
        lrs, y = self.curve()
        if len(y) < 2:
            return float(lrs[0])
        first, last = _descent(y, self.skip)
        slope = np.gradient(y, self._x(lrs))[first : last + 1]
        return float(lrs[first + int(np.argmin(slope))])

    @property
    def valley(self) -> float:
        """The middle of the main descent: the geometric mean of the learning rates at
        its ends (the arithmetic middle for a ramp from 0), snapped to a tested rate.
        The descent runs from the last step where the smoothed loss was still within
        10% of the way down from its top to its minimum, to the minimum. Like fastai's
        "valley" it picks the middle of the longest descent, here robust to a noisy
        flat start."""
        lrs, y = self.curve()
        first, last = _descent(y, self.skip)
        x = self._x(lrs[first : last + 1])
        return float(lrs[first + int(np.argmin(np.abs(x - 0.5 * (x[0] + x[-1]))))])

    @property
    def suggestions(self) -> dict[str, float]:
        """All three picks: ``{"valley", "steepest", "minimum"}``."""
        return {"valley": self.valley, "steepest": self.steepest, "minimum": self.minimum}

    def plot(self, path: str, title: str = "learning-rate range test") -> str:
        """Draws loss against learning rate (log axis) with the picks marked; a band of
        seeds is drawn as its median and min-max envelope. Returns ``path``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
        lrs, y = self.curve()
        if self.losses.ndim == 1:
            ax.plot(self.lrs, self.losses, color="0.7", linewidth=0.8, label="loss")
        else:
            smoothed = self.smoothed[:, self.mask.all(axis=0)]
            ax.fill_between(
                lrs,
                smoothed.min(axis=0),
                smoothed.max(axis=0),
                alpha=0.25,
                label=f"{self.losses.shape[0]} seeds",
            )
        ax.plot(lrs, y, linewidth=1.8, label="smoothed loss")
        markers = {"valley": "o", "steepest": "s", "minimum": "^"}
        for name, lr in self.suggestions.items():
            at = np.interp(np.log(lr), np.log(lrs), y) if np.all(lrs > 0) else np.nan
            ax.plot([lr], [at], markers[name], markersize=8, label=f"{name}: {lr:.3g}")
        if np.all(lrs > 0):
            ax.set_xscale("log")
        low, first = float(np.min(y)), float(y[0])
        top = max(first, low) + 0.25 * abs(first - low) + 1e-12
        ax.set_ylim(low - 0.05 * abs(top - low), top)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        return path


def _check(smooth: float, diverge: float) -> None:
    require("lr_find", "smooth", smooth, lambda v: (v > 0) & (v <= 1), "in (0, 1]")
    require("lr_find", "diverge", diverge, lambda v: v > 1, "> 1")


def _leading(fn: str, what: str, tree: Any, axis: int | None = 0) -> int:
    leaves = jax.tree.leaves(tree)
    if not leaves or any(np.ndim(x) <= (axis or 0) for x in leaves):
        raise ValueError(f"{fn}: every leaf of {what} needs a leading axis to index")
    return int(np.shape(leaves[0])[axis or 0])


def lr_find(
    loss_fn: Callable[[Any, Any], jax.Array],
    params: Any,
    batches: Any,
    optimizer_fn: Callable[..., optax.GradientTransformation] = optax.sgd,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.05,
    diverge: float = 5.0,
) -> LRFindResult:
    """The learning-rate range test: ramp the rate over ``steps`` updates, record the loss.

    Step ``i`` computes ``loss_i = loss_fn(params_i, batches[i % n])`` and updates with
    ``lr_i = ramp(start, end, steps, mode)(i)``. The smoothed loss is the bias-corrected
    moving average ``a_i = (1 - smooth) a_{i-1} + smooth loss_i``,
    ``s_i = a_i / (1 - (1 - smooth)**(i + 1))``. When ``s_i > diverge * min_{j<i} s_j``
    (or the loss is not finite) the test stops: the remaining steps are masked, neither
    evaluated nor trained. The losses must be positive (the usual case). The whole
    test is one ``jax.lax.scan`` under ``jax.jit``; the input ``params`` are untouched.

    Args:
      loss_fn: ``(params, batch) -> scalar loss``, differentiable in ``params``.
      params: initial parameters (a pytree).
      batches: a pytree whose leaves have a leading axis of ``n`` batches, cycled.
      optimizer_fn: optax factory taking ``learning_rate`` (``optax.sgd``,
        ``optax.adam``, or ``lambda learning_rate: optax.sgd(learning_rate, 0.9)``).
      start: first learning rate.
      end: last learning rate (at step ``steps - 1``).
      steps: number of updates.
      mode: "exp" (geometric ramp, the usual) or "linear" (most of its steps sit at
        large rates, where the smoothed loss lags: prefer ``minimum`` there).
      smooth: weight of the newest loss in the moving average, in (0, 1].
      diverge: stop once the smoothed loss exceeds ``diverge`` times its best.

    Returns:
      An :class:`LRFindResult` with ``lrs``, ``losses``, ``smoothed``, ``mask`` and the
      picks ``valley``, ``steepest`` and ``minimum`` (minimum / 10); ``plot(path)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from schedalg.lr_finder import lr_find
        >>> loss = lambda p, b: 0.5 * 4.0 * jnp.sum(p ** 2) + 0.0 * b  # L = 4: diverges > 0.5
        >>> r = lr_find(loss, jnp.ones(2), jnp.zeros((1,)), steps=60)
        >>> r.stopped_at is not None and 0.0 < r.valley < 0.5
        True

    References:
      Smith, "Cyclical Learning Rates for Training Neural Networks", 2017;
      fastai's ``lr_find``.
    """
    _check(smooth, diverge)
    schedule = ramp(start, end, steps, mode)
    _leading("lr_find", "batches", batches)
    steps = int(steps)
    losses, smoothed, mask = _run(
        loss_fn,
        optimizer_fn,
        steps,
        params,
        batches,
        schedule,
        jnp.asarray(smooth),
        jnp.asarray(diverge),
    )
    lrs = np.asarray(evaluate(schedule, np.arange(steps)))
    skip = _skip(smooth, steps)
    return LRFindResult(lrs, np.asarray(losses), np.asarray(smoothed), np.asarray(mask), skip)


def _skip(smooth: float, steps: int) -> int:
    return min(int(np.ceil(1.0 / smooth)), steps // 5)


def lr_find_band(
    loss_fn: Callable[[Any, Any], jax.Array],
    params: Any,
    batches: Any,
    optimizer_fn: Callable[..., optax.GradientTransformation] = optax.sgd,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.05,
    diverge: float = 5.0,
    *,
    params_axis: int | None = 0,
    batches_axis: int | None = 0,
) -> LRFindResult:
    """:func:`lr_find` for several seeds at once (one ``jax.vmap`` of the same scan).

    ``params`` and ``batches`` carry a leading seed axis (``params_axis=None`` shares
    one set of parameters; ``batches_axis=None`` shares the batches, whose next axis is
    then the batch index). Each seed stops on its own divergence. The result's
    ``losses``, ``smoothed`` and ``mask`` are ``(seeds, steps)``; the picks use the
    median smoothed loss over the steps every seed trained, and ``plot`` draws the
    median with the seeds' min-max band.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from schedalg.lr_finder import lr_find_band
        >>> loss = lambda p, b: 0.5 * 4.0 * jnp.sum((p - b) ** 2) + 1.0
        >>> noise = 0.01 * jax.random.normal(jax.random.key(0), (3, 60, 2))  # 3 seeds
        >>> r = lr_find_band(loss, jnp.ones(2), noise, steps=60, params_axis=None)
        >>> r.losses.shape, 0.0 < r.valley < 0.5
        ((3, 60), True)
    """
    _check(smooth, diverge)
    schedule = ramp(start, end, steps, mode)
    if params_axis is not None:
        _leading("lr_find_band", "params (with params_axis=0)", params)
    _leading("lr_find_band", "batches", batches, 1 if batches_axis is not None else 0)
    require("lr_find_band", "params_axis", params_axis, lambda v: v == 0, "0 or None")
    require("lr_find_band", "batches_axis", batches_axis, lambda v: v == 0, "0 or None")
    if params_axis is None and batches_axis is None:
        raise ValueError(
            "lr_find_band: params_axis and batches_axis are both None, so nothing varies "
            "by seed; use lr_find"
        )
    steps = int(steps)
    losses, smoothed, mask = _run_band(
        loss_fn,
        optimizer_fn,
        steps,
        params_axis,
        batches_axis,
        params,
        batches,
        schedule,
        jnp.asarray(smooth),
        jnp.asarray(diverge),
    )
    lrs = np.asarray(evaluate(schedule, np.arange(steps)))
    skip = _skip(smooth, steps)
    return LRFindResult(lrs, np.asarray(losses), np.asarray(smoothed), np.asarray(mask), skip)
