"""The schedule that a law predicts to end lowest: free-form, or within a family."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from schedalg._batch import grid
from schedalg._combinators import join
from schedalg._core import Schedule
from schedalg._cycles import wsd
from schedalg._primitives import linear
from schedalg._steps import piecewise_linear
from schedalg.laws._law import block_cumsum, coefficients
from schedalg.laws._multi_power import MultiPowerLaw, final_dense
from schedalg.laws._rank import rank
from schedalg.laws._solve import solve

FAMILIES = ("free", "wsd")
WSD_SHAPES = ("linear", "cosine", "1-sqrt")


class Optimum(NamedTuple):
    """What :func:`optimize` returns.

    ``schedule``: the schedule found (a clean schedalg expression); ``loss``: its predicted
    final loss; ``reference``: the loss of the free-form optimum it approximates
    (``family="free"``; else equal to ``loss``); ``lrs``: the free-form optimum's learning
    rate at every step (``family="free"``; else ``None``).
    """

    schedule: Schedule
    loss: float
    reference: float
    lrs: np.ndarray | None


def optimize(
    law: Any,
    steps: int,
    peak: float,
    warmup: int,
    *,
    family: str = "free",
    knots: int = 64,
    starts: int = 6,
    max_iter: int = 2000,
    floor: float = 0.0,
) -> Optimum:
    """The schedule minimizing ``law``'s predicted final loss (at step ``steps - 1``) for a
    run of ``steps`` updates with a linear warmup from 0 to ``peak`` over ``warmup`` steps.

    ``family="free"`` (Luo et al., ICLR 2025, §5): after the warmup the learning rate is any
    non-increasing sequence from ``peak``, parametrized by its per-step decrements
    ``delta_t >= 0`` with ``sum delta_t <= peak`` (``peak * softmax(theta)`` over the
    decrements and a slack, so every iterate is valid), and the final loss is minimized
    over them with ``optax.lbfgs`` in float64 (one ``O(T)`` evaluation of the law and its
    gradient per step). The final loss is not convex in the decrements (the law rewards
    sharp drops, and where they go has several local optima, about 1e-3 apart on the
    paper's settings), so L-BFGS starts from up to six WSD-like sequences (linear decays
    over the last 5, 20, 10, 40, 3 and 30 % of the steps; ``starts`` of them) and the best
    end point is kept: a local optimum (each start costs ~0.2 s at 4,000 steps, a few
    seconds at 24,000). It is
    returned as ``join(linear(0, peak, warmup), piecewise_linear(boundaries, values))``:
    knots chosen greedily where the piecewise-linear interpolant of the optimum errs most
    (at most ``knots``), which keeps the sequence non-increasing; its predicted loss is
    reported beside the free-form optimum's (``reference``; the optima found are
    staircases of a few drops, which 64 knots reproduce to 1e-9).

    ``family="wsd"``: the best :func:`schedalg.wsd` over a grid of decay fractions (2 % to
    60 % of the steps after warmup), end values (0 to 30 % of ``peak``) and decay shapes
    (linear, cosine, 1-sqrt), ranked in one :func:`rank` call per shape.

    ``floor`` keeps the learning rate after the warmup at or above it (both families). A
    law fitted with ``gamma > 1`` credits a drop to a near-zero rate at once, so its
    free-form optimum falls off a cliff to ~0 near the end, where no fitted run went: a
    floor (the lowest rate your runs used) keeps the search where the law was fitted.

    Args:
        law: a fitted law (unbatched).
        steps: the number of updates of the run.
        peak: the peak learning rate, reached at step ``warmup``.
        warmup: warmup steps (0 for none).
        family: ``"free"`` or ``"wsd"``.
        knots: most knots of the returned piecewise-linear schedule (``"free"``).
        starts: L-BFGS starting points, 1 to 6 (``"free"``).
        max_iter: L-BFGS iterations per start (``"free"``).
        floor: the lowest learning rate after the warmup, ``0 <= floor < peak``.

    Returns:
        ``Optimum(schedule, loss, reference, lrs)``.

    Example:
        >>> from schedalg import laws
        >>> law = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
        >>> best = laws.optimize(law, 4000, 3e-4, 200, family="wsd")
        >>> best.schedule.decay_shape, round(best.loss, 4)
        ('1-sqrt', 3.2629)
    """
    if family not in FAMILIES:
        raise ValueError(f"optimize: family must be one of {FAMILIES}, got family={family!r}")
    checks = (
        ("steps", steps, 2),
        ("warmup", warmup, 0),
        ("knots", knots, 2),
        ("starts", starts, 1),
    )
    for name, value, low in checks:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"optimize: {name} must be an integer >= {low}, got {name}={value!r}")
    if warmup > steps - 2:
        raise ValueError(
            f"optimize: warmup must leave at least 2 steps, got warmup={warmup} of steps={steps}"
        )
    if not (np.isfinite(peak) and peak > 0):
        raise ValueError(f"optimize: peak must be > 0, got peak={peak!r}")
    if not (np.isfinite(floor) and 0 <= floor < peak):
        raise ValueError(f"optimize: floor must be in [0, peak={peak!r}), got floor={floor!r}")
    if law.batch_shape():
        raise ValueError("optimize: law must be a single law, not a batch")
    if family == "wsd":
        return _best_wsd(law, int(steps), float(peak), int(warmup), float(floor))
    fractions = DECAYS[: int(starts)]
    args = (int(knots), fractions, int(max_iter), float(floor))
    return _free(law, int(steps), float(peak), int(warmup), *args)


def _head(peak: float, warmup: int) -> np.ndarray:
    """The warmup's learning rates, exactly as the returned schedule gives them."""
    if warmup == 0:
        return np.zeros(0)
    return np.asarray(linear(0.0, peak, warmup)(np.arange(warmup)), np.float64)


def _free_lrs(theta: jax.Array, data: dict) -> jax.Array:
    w = jax.nn.softmax(theta)
    tail = data["floor"] + (data["peak"] - data["floor"]) * (1.0 - block_cumsum(w[:-1]))
    return jnp.concatenate([data["head"], data["peak"][None], tail])


def _free_objective(theta: jax.Array, data: dict) -> jax.Array:
    lrs = _free_lrs(theta, data)
    law = data["law"]
    if isinstance(law, MultiPowerLaw):
        return final_dense(coefficients(law), lrs)
    return law.predict(lrs, [lrs.shape[0] - 1])[0]


def _final_loss(law: Any, schedule: Any, steps: int) -> float:
    """The predicted final loss of a schedule, from its values, in NumPy float64."""
    return law._final_host(np.asarray(schedule(np.arange(steps)), np.float64))


#: Starting points of the free-form search: linear decays over these last fractions.
DECAYS = (0.05, 0.2, 0.1, 0.4, 0.03, 0.3)


def _free(
    law: Any,
    steps: int,
    peak: float,
    warmup: int,
    knots: int,
    fractions: tuple,
    max_iter: int,
    floor: float,
) -> Optimum:
    free = steps - warmup  # steps warmup .. steps-1; free - 1 decrements and a slack
    best: tuple[float, Any] = (np.inf, None)
    with jax.enable_x64(True):
        law64 = jax.tree.map(lambda v: np.asarray(v, np.float64), law)
        data = {"law": law64, "head": jnp.asarray(_head(peak, warmup)), "peak": jnp.asarray(peak)}
        data["floor"] = jnp.asarray(floor)
        for fraction in fractions:  # WSD-like starts: 90 % of the drop decays linearly at the end
            decay = max(1, int(free * fraction))
            w0 = np.full(free, 0.1 / free)
            w0[free - 1 - decay : free - 1] += 0.9 / decay
            x0 = jnp.log(jnp.asarray(w0))
            theta, value, _ = solve(_free_objective, x0, data, max_iter, 1e-12)
            if float(value) < best[0]:
                best = (float(value), np.array(_free_lrs(theta, data)))
    reference, lrs = best
    # A blocked sum may break monotonicity by an ulp: restore it exactly.
    lrs[warmup:] = np.maximum(np.minimum.accumulate(lrs[warmup:]), floor)
    boundaries, values = _knots(lrs[warmup:], knots)
    tail = piecewise_linear(boundaries, values)
    schedule = join(linear(0.0, peak, warmup), tail) if warmup else tail
    return Optimum(schedule, _final_loss(law, schedule, steps), reference, lrs)


def _knots(values: np.ndarray, most: int) -> tuple[list[int], list[float]]:
    """At most ``most`` knots of a piecewise-linear interpolant of ``values`` (at steps
    0, 1, ...): both ends, then greedily the step where the interpolant errs most."""
    n = values.size
    chosen = [0, n - 1] if n > 1 else [0]
    x = np.arange(n)
    while len(chosen) < most:
        fit = np.interp(x, chosen, values[chosen])
        err = np.abs(fit - values)
        i = int(np.argmax(err))
        if err[i] <= 1e-12 * abs(values[0]):
            break
        chosen = sorted(chosen + [i])
    return chosen, [float(values[i]) for i in chosen]


def _best_wsd(law: Any, steps: int, peak: float, warmup: int, floor: float) -> Optimum:
    after = steps - 1 - warmup  # stable + decay: the end value lands on the last step
    decays = np.unique(np.clip(np.round(np.linspace(0.02, 0.6, 30) * after), 1, after))
    ends = np.array([float(f"{peak * f:.12g}") for f in (0.0, 0.01, 0.03, 0.1, 0.3)])
    ends = np.unique(np.maximum(ends, floor))
    best: tuple[float, Schedule] | None = None
    for shape in WSD_SHAPES:

        def make(decay, end, shape=shape):
            d = decay.astype(np.int64)
            return wsd(peak, warmup, after - d, d, end=end, decay_shape=shape)

        ranking = rank(law, grid(make, decay=decays, end=ends), steps)
        i, j = ranking.best
        loss = float(ranking.losses[i, j])
        if best is None or loss < best[0]:
            d = int(decays[i])
            best = (loss, wsd(peak, warmup, after - d, d, end=float(ends[j]), decay_shape=shape))
    assert best is not None  # the loops above run at least once
    schedule = best[1]
    loss = _final_loss(law, schedule, steps)
    return Optimum(schedule, loss, loss, None)
