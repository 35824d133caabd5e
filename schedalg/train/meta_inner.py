"""The differentiable training run of :mod:`schedalg.train.meta`: train the CNN for a
fixed number of steps with ``schedule(t)`` as the learning rate, and return the
validation loss of the final parameters, differentiably in the schedule's leaves.

The run is the trainer's (:func:`schedalg.train.train`): same model, initialization and
batch order, and the same optax optimizer (``optax.adam``, or ``optax.sgd`` with
Nesterov momentum 0.9), written as a ``lax.scan`` over the steps. The network is the
CNN's :func:`~schedalg.train.model.forward` with the im2col convolution
(:func:`~schedalg.train.model.conv_taps`), which XLA's CPU backend differentiates twice
quickly. Memory is bounded by rematerialising segments of the scan (:func:`trained`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedalg._core import Schedule, float_dtype
from schedalg.train.data import Dataset, epoch_order
from schedalg.train.model import CNN, conv_taps, forward
from schedalg.train.run import Config
from schedalg.train.step import functions

#: The optimizers a run can be differentiated through (the trainer's ``adam`` and
#: ``sgd``; see :func:`inner_optimizer`).
OPTIMIZERS = ("adam", "sgd")
#: Added under Adam's square root: d sqrt(v)/dv is infinite at v = 0 (a parameter whose
#: gradient is exactly zero) and would turn meta-gradients into NaN; optax's ``eps_root``
#: exists for this reason. The trainer's Adam has none (it is never differentiated).
EPS_ROOT = 1e-16


class Problem(NamedTuple):
    """The arrays of one inner run: data, the batch indices of every step, start point."""

    x_train: jax.Array
    y_train: jax.Array
    x_val: jax.Array
    y_val: jax.Array
    batches: jax.Array  # (steps, batch_size) int32 indices into the training set
    flat0: jax.Array  # the initial parameters, raveled


@dataclasses.dataclass(frozen=True)
class Inner:
    """The static settings of an inner run: model, optimizer, length, remat segment."""

    model: CNN
    image_shape: tuple[int, ...]
    optimizer: str
    steps: int
    segment: int  # steps per checkpointed segment; 0: no rematerialisation

    def logits(self, flat: jax.Array, x: jax.Array) -> jax.Array:
        """The logits of raveled parameters ``flat`` for images ``x``."""
        unravel = functions(self.model, self.image_shape).unravel
        return cnn_logits(self.model, unravel(flat), x)


def cnn_logits(model: CNN, params: Any, x: jax.Array) -> jax.Array:
    """The function of ``model`` (same parameters, same logits), each convolution one
    matrix product over im2col patches (:func:`~schedalg.train.model.conv_taps`).

    Differentiating a training run differentiates the model twice; XLA's CPU
    convolutions are slow in their second derivatives and inside ``lax.scan``, where
    matrix products are not. ``model`` names the network; its layers are read from
    ``params``.
    """
    del model  # the layout of params is the model's
    return forward(params, x, conv_taps)


def inner_optimizer(name: str, learning_rate: Any) -> optax.GradientTransformation:
    """The trainer's optimizer ``name`` with this step's ``learning_rate`` (a traced
    scalar, so the update is differentiable in it).

    Adam has ``eps_root`` :data:`EPS_ROOT`. The state does not depend on the learning
    rate, so one state carries across steps built with different rates.
    """
    if name == "adam":
        return optax.adam(learning_rate, eps_root=EPS_ROOT)
    if name == "sgd":
        return optax.sgd(learning_rate, momentum=0.9, nesterov=True)
    raise ValueError(f"learn: optimizer must be one of {OPTIMIZERS}, got optimizer={name!r}")


def default_segment(steps: int) -> int:
    """Steps per checkpointed segment: ``ceil(sqrt(steps))`` balances the carries kept
    between segments against the activations kept inside one."""
    return max(1, math.isqrt(max(steps - 1, 0)) + 1)


def problem(
    data: Dataset,
    config: Config | None = None,
    steps: int | None = None,
    *,
    segment: int | None = None,
    dtype: Any = None,
) -> tuple[Problem, Inner]:
    """The arrays and settings of an inner run on ``data`` with ``config``.

    Args:
        data: the dataset (training order and initial parameters follow
            ``config.seed`` exactly as in :func:`schedalg.train.train`).
        config: model, batch size, optimizer (``adam`` or ``sgd``) and seed.
        steps: updates in the run (default ``config.epochs`` epochs).
        segment: steps per ``jax.checkpoint`` segment (default ``~sqrt(steps)``; 0 turns
            rematerialisation off).
        dtype: float dtype of data and parameters (default float32, float64 under x64).
    """
    config = Config() if config is None else config
    config.check(data)
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(
            f"learn: optimizer must be one of {OPTIMIZERS} (differentiated through here), "
            f"got optimizer={config.optimizer!r}"
        )
    spe = len(data.y_train) // config.batch_size
    steps = config.epochs * spe if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"learn: steps must be an integer >= 1, got steps={steps!r}")
    steps = int(steps)
    segment = default_segment(steps) if segment is None else int(segment)
    if not 0 <= segment <= steps:
        raise ValueError(f"learn: segment must be in [0, {steps}], got segment={segment}")
    dtype = float_dtype() if dtype is None else dtype
    model = config.model(data.classes)
    fns = functions(model, data.image_shape)
    rows = []
    for epoch in range(-(-steps // spe)):
        order = epoch_order(config.seed, epoch, len(data.y_train))
        rows.append(order[: spe * config.batch_size].reshape(spe, config.batch_size))
    batches = np.concatenate(rows)[:steps].astype(np.int32)
    arrays = Problem(
        jnp.asarray(data.x_train, dtype),
        jnp.asarray(data.y_train),
        jnp.asarray(data.x_val, dtype),
        jnp.asarray(data.y_val),
        jnp.asarray(batches),
        jnp.asarray(fns.init(config.seed), dtype),
    )
    return arrays, Inner(model, data.image_shape, config.optimizer, steps, segment)


def relax(schedule: Schedule) -> Schedule:
    """Every leaf as a float array of the working dtype (durations become real numbers).

    Example:
        >>> s = relax(sa.warmup(sa.cosine(1e-3, 0.0, 300), 30))
        >>> s.steps.dtype, round(float(s(15)), 6)
        (dtype('float32'), 0.0005)
    """
    return jax.tree.map(lambda x: jnp.asarray(x, float_dtype()), schedule)


def _cross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, y)


def _step(arrays: Problem, inner: Inner, carry: tuple, xs: tuple) -> tuple:
    """One update at step ``t`` with learning rate ``lr = schedule(t)``."""
    flat, opt_state = carry
    t, lr = xs
    idx = arrays.batches[jnp.minimum(t, arrays.batches.shape[0] - 1)]  # padded steps
    x, y = arrays.x_train[idx], arrays.y_train[idx]
    g = jax.grad(lambda f: _cross_entropy(inner.logits(f, x), y).mean())(flat)
    updates, opt_state = inner_optimizer(inner.optimizer, lr).update(g, opt_state, flat)
    return (optax.apply_updates(flat, updates), opt_state), None


def trained(schedule: Schedule, arrays: Problem, inner: Inner) -> jax.Array:
    """The parameters after ``inner.steps`` updates driven by ``schedule``.

    The learning rates ``schedule(t)`` of all steps come from one vectorised call (the
    schedule's graph and its gradient sit outside the loop). A ``lax.scan`` then runs
    over ``n = ceil(steps / segment)`` segments of ``ceil(steps / n)`` steps, each a
    ``jax.checkpoint``-ed ``lax.scan`` over its steps; the last segment is padded with
    updates of learning rate 0, which leave the parameters unchanged (fewer than ``n``
    of them), so one loop body is compiled. ``segment = 0``: one plain scan, no remat.
    """
    flat0 = arrays.flat0
    ts = jnp.arange(inner.steps, dtype=jnp.int32)
    lrs = schedule(ts).astype(flat0.dtype)
    if lrs.shape != ts.shape:
        raise ValueError(f"learn: needs a single schedule, got values of shape {lrs.shape}")
    step = functools.partial(_step, arrays, inner)
    # the state's structure does not depend on the rate: any rate builds it
    carry = (flat0, inner_optimizer(inner.optimizer, 0.0).init(flat0))
    if inner.segment == 0:
        return jax.lax.scan(step, carry, (ts, lrs))[0][0]
    n = -(-inner.steps // inner.segment)
    length = -(-inner.steps // n)
    pad = n * length - inner.steps
    ts = jnp.arange(n * length, dtype=jnp.int32).reshape(n, length)
    lrs = jnp.concatenate([lrs, jnp.zeros(pad, lrs.dtype)]).reshape(n, length)

    @functools.partial(jax.checkpoint, prevent_cse=False)  # no CSE to defeat inside scan
    def segment(c, xs):
        return jax.lax.scan(step, c, xs)[0], None

    return jax.lax.scan(segment, carry, (ts, lrs))[0][0]


def final_val_loss(
    schedule: Schedule, arrays: Problem, inner: Inner
) -> tuple[jax.Array, jax.Array]:
    """(mean validation cross-entropy, validation accuracy) after training with ``schedule``.

    Differentiable in every float leaf of ``schedule`` (see :func:`relax`).

    Example:
        >>> from schedalg.train import Config, load_data
        >>> from schedalg.train.meta import final_val_loss, leaf_paths, problem, relax
        >>> d = load_data()
        >>> arrays, inner = problem(d, Config(batch_size=32, features=(4,), hidden=8), 4)
        >>> f = jax.value_and_grad(lambda s: final_val_loss(s, arrays, inner)[0])
        >>> loss, grads = jax.eval_shape(f, relax(sa.cosine(1e-2, 0.0, 4)))  # traced only
        >>> loss.shape, list(leaf_paths(grads))  # a gradient for every leaf, steps included
        ((), ['start', 'end', 'steps', 'exponent'])
    """
    flat = trained(schedule, arrays, inner)
    logits = inner.logits(flat, arrays.x_val)
    loss = _cross_entropy(logits, arrays.y_val).mean()
    acc = jnp.mean(jnp.argmax(logits, -1) == arrays.y_val)
    return loss, acc


@functools.partial(jax.jit, static_argnums=2)
def evaluate_batch(
    schedules: Schedule, arrays: Problem, inner: Inner
) -> tuple[jax.Array, jax.Array]:
    """(val losses, val accuracies) of the members of a batched schedule (every leaf with
    one leading batch axis), each trained from the same start on the same batches.

    The members run one after another in one compiled ``lax.map``: on CPU that is as fast
    per member as one run, where ``vmap``'s batched products were slower (shared 2-core
    CPU, a (8, 16)-channel CNN, 200 steps: 0.15 s alone, 0.16 s mapped, 0.20 s vmapped).
    """
    return jax.lax.map(lambda s: final_val_loss(s, arrays, inner), schedules)
