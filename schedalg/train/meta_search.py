"""The search of :mod:`schedalg.train.meta`: meta-gradient descent on a schedule's
leaves (:func:`learn`), each meta-step one differentiated training run
(:func:`~schedalg.train.meta_inner.final_val_loss`), and its trajectory
(:class:`LearnResult`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from schedalg._batch import batch_shape
from schedalg._core import Schedule
from schedalg._tree import with_paths as with_leaves
from schedalg.train.data import Dataset
from schedalg.train.meta_inner import Inner, Problem, final_val_loss, problem, relax
from schedalg.train.meta_knobs import (
    Knob,
    clip,
    decode,
    encode,
    penalty,
    resolve,
    rounded,
    split,
    values,
)
from schedalg.train.run import Config


@functools.partial(jax.jit, static_argnums=(3, 4))
def _meta_value_and_grad(
    theta: jax.Array,
    base: Schedule,
    arrays: Problem,
    inner: Inner,
    knobs: tuple[Knob, ...],
    smooth: float,
) -> tuple[tuple[jax.Array, tuple[jax.Array, jax.Array]], jax.Array]:
    """((objective, (val loss, val acc)), d objective / d theta) at ``theta``."""

    def objective(theta):
        loss, acc = final_val_loss(with_leaves(base, decode(knobs, theta)), arrays, inner)
        return loss + penalty(knobs, theta, smooth), (loss, acc)

    return jax.value_and_grad(objective, has_aux=True)(theta)


@dataclasses.dataclass
class LearnResult:
    """The trajectory of a meta-gradient search.

    Attributes:
        knobs: what was learned.
        history: one dict per evaluated schedule (``meta_step`` 0 is the start):
            ``meta_step``, ``val_loss``, ``val_acc``, ``objective`` (loss + penalty),
            ``values`` (name -> learned value), ``schedule``, ``seconds`` (since start).
        steps: updates in each inner run.
        notes: what happened along the way (a reverted step, a zero gradient).
    """

    knobs: tuple[Knob, ...]
    history: list[dict]
    steps: int
    notes: list[str]

    @property
    def best(self) -> dict:
        """The entry of lowest (finite) objective."""
        finite = [h for h in self.history if math.isfinite(h["objective"])]
        return min(finite, key=lambda h: h["objective"])

    @property
    def start(self) -> dict:
        """The entry of the starting schedule (meta-step 0)."""
        return self.history[0]

    @property
    def seconds(self) -> float:
        """Wall time of the whole search."""
        return self.history[-1]["seconds"]


def learn(
    schedule: Schedule,
    params: Sequence[str],
    data: Dataset,
    config: Config | None = None,
    *,
    steps: int | None = None,
    meta_steps: int = 20,
    meta_lr: float = 0.3,
    smooth: float = 0.0,
    segment: int | None = None,
    on_step: Callable[[dict], None] | None = None,
) -> LearnResult:
    """Meta-gradient descent on some of ``schedule``'s leaves to lower the final val loss.

    Each meta-step trains the CNN for ``steps`` updates from the same start on the same
    batches (``config.seed``), differentiates the objective, the final validation loss
    plus ``smooth`` times the mean squared second difference of learned knot vectors (in
    log space), with respect to the log of each learned leaf, and takes a step of Adam
    with one second moment shared by all leaves: about ``meta_lr`` log units long in the
    gradient's direction, clipped to the leaves' bounds. A point whose loss or gradient
    is not finite sends the search back to the best point with half the step. The
    schedule after the last step is evaluated too; :attr:`LearnResult.best` is the
    lowest objective seen (the loss of a trained network is a rough function of its
    schedule: training is chaotic, so the search is not monotone).

    Args:
        schedule: the starting schedule (a single one, not a batch).
        params: names (:data:`~schedalg.train.meta_knobs.NAMES`) or leaf paths to learn.
        data: the dataset.
        config: model, batch size, optimizer (``adam``/``sgd``), seed.
        steps: updates per inner run (default: ``config.epochs`` epochs).
        meta_steps: meta-gradient steps.
        meta_lr: Adam's step size in log space.
        smooth: weight of the knot smoothness penalty.
        segment: steps per checkpointed segment (see
            :func:`~schedalg.train.meta_inner.problem`).
        on_step: called with each history entry as it is made.

    Returns:
        A :class:`LearnResult` with ``meta_steps + 1`` evaluated schedules.
    """
    if batch_shape(schedule):
        raise ValueError(f"learn: needs a single schedule, got a batch {batch_shape(schedule)}")
    if isinstance(meta_steps, bool) or not isinstance(meta_steps, int) or meta_steps < 0:
        raise ValueError(f"learn: meta_steps must be an integer >= 0, got {meta_steps!r}")
    if not meta_lr > 0 or not math.isfinite(meta_lr):
        raise ValueError(f"learn: meta_lr must be > 0, got meta_lr={meta_lr!r}")
    if not smooth >= 0 or not math.isfinite(smooth):
        raise ValueError(f"learn: smooth must be >= 0, got smooth={smooth!r}")
    arrays, inner = problem(data, config, steps, segment=segment)
    knobs = resolve(schedule, params, inner.steps)
    base = relax(schedule)
    theta = encode(knobs, schedule)
    dtype = arrays.flat0.dtype
    history: list[dict] = []
    notes: list[str] = []
    lr, started = float(meta_lr), time.perf_counter()
    t, m, v = 0, np.zeros_like(theta), 0.0
    best: tuple = (math.inf, theta)  # (objective, theta) of the best finite point so far
    for k in range(meta_steps + 1):
        (objective, (loss, acc)), grad = _meta_value_and_grad(
            jnp.asarray(theta, dtype), base, arrays, inner, knobs, float(smooth)
        )
        objective, loss, acc = float(objective), float(loss), float(acc)
        grad = np.asarray(grad, np.float64)
        finite = math.isfinite(objective) and bool(np.all(np.isfinite(grad)))
        if k == 0 and not finite:
            raise ValueError(
                f"learn: the starting schedule's run is not finite (val loss {loss}); "
                "start from a smaller learning rate"
            )
        history.append(
            {
                "meta_step": k,
                "val_loss": loss,
                "val_acc": acc,
                "objective": objective,
                "values": values(knobs, theta),
                "schedule": rounded(schedule, knobs, theta),
                "seconds": time.perf_counter() - started,
            }
        )
        if on_step is not None:
            on_step(history[-1])
        if k == 0:
            zero = [kn.name for kn, g in zip(knobs, split(knobs, grad)) if not np.any(g)]
            if zero:
                notes.append(
                    f"zero gradient for {', '.join(zero)}: the loss is piecewise constant "
                    "in it (a floor, e.g. step/multistep), or it has no effect in this run"
                )
        if finite and objective < best[0]:
            best = (objective, theta)
        if k == meta_steps:
            break
        if not finite:  # back to the best point, half the step, fresh moments
            lr /= 2
            theta, t, m, v = best[1], 0, np.zeros_like(theta), 0.0
            notes.append(f"meta-step {k}: not finite; back to the best point, meta_lr {lr:.3g}")
            continue
        # Adam in log space with ONE second moment for all leaves (the gradient's squared
        # norm): the step follows the gradient's direction, ``meta_lr`` long. Per-leaf
        # second moments (optax.adam's) move every leaf ``meta_lr`` per step whatever its
        # share of the gradient, which overshot when several leaves all mean "more
        # learning rate"; optax has no shared-moment Adam, and float64 NumPy keeps the
        # search independent of the inner run's dtype.
        t += 1
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * float(np.sum(grad * grad))
        step = lr * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-12)
        theta = clip(knobs, theta - step)
    return LearnResult(knobs, history, inner.steps, notes)
