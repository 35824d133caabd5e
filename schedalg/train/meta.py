"""Schedules learned by gradient: differentiate a training run with respect to its schedule.

A schedule is a pytree of numbers, so ``jax.grad`` can carry the validation loss of a
model back through a whole (short) training run into the schedule's leaves:

* :func:`final_val_loss` trains the trainer's CNN (same model, initialization and batch
  order as :func:`schedalg.train.train`) with the trainer's optax optimizer (Adam, or SGD
  with Nesterov momentum) whose learning rate is ``schedule(t)`` at step ``t``, as a
  ``lax.scan`` over the steps, and returns the validation loss of the final parameters. With
  ``arrays, inner = problem(data, config, steps)``,
  ``jax.value_and_grad(lambda s: final_val_loss(s, arrays, inner)[0])(relax(schedule))``
  is the gradient of that loss with respect to every leaf of the schedule.
* Memory is bounded by rematerialisation: the steps are cut into segments of about
  ``segment`` steps (``~sqrt(steps)`` by default), each wrapped in ``jax.checkpoint``.
  The backward pass keeps one carry (parameters and optimizer moments) per segment and
  the activations of one segment at a time, at the price of one extra forward pass
  (330 steps of the default CNN: 113 MB of temporaries against 1.6 GB without, and no
  slower, measured on the shared 2-core CPU).
* Durations are continuous relaxations. :func:`relax` turns every leaf into a float
  (:func:`schedalg.partition` instead keeps integer durations out of a gradient), and
  the core evaluates a float duration in the same closed forms: ``fraction(t, steps)``
  is continuous in ``steps``, so a warmup length enters the ramp ``t / steps`` and the
  shifted clock ``t - steps`` of the schedule after it, and the loss is piecewise smooth
  in it (a kink where the length crosses an integer, since steps are integers).
  Where a shape is a floor the relaxation is piecewise constant and its gradient is zero:
  ``step``'s ``every``, ``multistep``'s milestones, staircase exponentials, the
  boundaries of ``piecewise_constant``. Values (peaks, ends, factors, knot values) and
  shape exponents (cosine ``exponent``, polynomial ``power``) are smooth.
* The gradient is exact for the run it differentiates, but that run is chaotic: at the
  settings of ``bench/learned_vs_grid.py`` a relative change of 1e-5 in the peak moves
  the final validation loss by about 1e-3. The loss is a rough function of the schedule
  and its gradient carries that roughness; the trend dominates only far from an optimum.

:func:`learn` runs meta-gradient descent (Adam in log space, within bounds) on chosen
leaves, named as in :data:`NAMES` or by leaf path; :func:`knot_schedule` makes a free
``piecewise_linear`` curve whose knot values are all learned ("learn the whole curve");
:func:`evaluate_batch` trains every member of a batched schedule (no gradient).
``schedalg learn`` is the command line.

This module gathers the public names of four modules, one job each:
:mod:`~schedalg.train.meta_inner` (the differentiable training run),
:mod:`~schedalg.train.meta_knobs` (what is learned: names, leaf paths, bounds, the
log-space vector), :mod:`~schedalg.train.meta_search` (the meta-gradient search) and
:mod:`~schedalg.train.meta_report` (the report's table, JSON and figure).
"""

from __future__ import annotations

from schedalg._tree import paths as leaf_paths
from schedalg._tree import with_paths as with_leaves
from schedalg.train.meta_inner import (
    EPS_ROOT,
    OPTIMIZERS,
    Inner,
    Problem,
    cnn_logits,
    default_segment,
    evaluate_batch,
    final_val_loss,
    inner_optimizer,
    problem,
    relax,
    trained,
)
from schedalg.train.meta_knobs import NAMES, Knob, knot_schedule, resolve, rounded
from schedalg.train.meta_report import describe, plot_trajectory, write_report
from schedalg.train.meta_search import LearnResult, learn

__all__ = [
    "EPS_ROOT",
    "NAMES",
    "OPTIMIZERS",
    "Inner",
    "Knob",
    "LearnResult",
    "Problem",
    "cnn_logits",
    "default_segment",
    "describe",
    "evaluate_batch",
    "final_val_loss",
    "inner_optimizer",
    "knot_schedule",
    "leaf_paths",
    "learn",
    "plot_trajectory",
    "problem",
    "relax",
    "resolve",
    "rounded",
    "trained",
    "with_leaves",
    "write_report",
]
