"""Schedules learned by gradient: differentiate a training run with respect to its schedule.

A schedule is a pytree of numbers, so ``jax.grad`` can carry the validation loss of a
model back through a whole (short) training run into the schedule's leaves:

* :func:`final_val_loss` trains the trainer's CNN (same model, initialization and batch
  order as :func:`schedalg.train.train`) with a functional Adam or SGD-with-momentum
  update whose learning rate is ``schedule(t)`` at step ``t``, as a ``lax.scan`` over the
  steps, and returns the validation loss of the final parameters. With
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
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedalg._batch import evaluate
from schedalg._core import Schedule, float_dtype
from schedalg._steps import piecewise_linear
from schedalg._tree import main, role_path
from schedalg._tree import paths as leaf_paths
from schedalg._tree import with_paths as with_leaves
from schedalg.train.data import Dataset, epoch_order
from schedalg.train.model import CNN
from schedalg.train.run import Config
from schedalg.train.step import functions

#: Optimizers written functionally here (the trainer's defaults: Adam; SGD with Nesterov
#: momentum 0.9). Adam adds ``EPS_ROOT`` under the square root: d sqrt(v)/dv is infinite
#: at v = 0 (a parameter whose gradient is exactly zero) and would turn meta-gradients
#: into NaN; optax offers the same ``eps_root`` for this reason.
OPTIMIZERS = ("adam", "sgd")
EPS_ROOT = 1e-16

# ----------------------------------------------------------------------------
# The differentiable training run


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
        unravel = functions(self.model, self.image_shape).unravel
        return cnn_logits(self.model, unravel(flat), x)


def _conv3x3(x: jax.Array, kernel: jax.Array, bias: jax.Array) -> jax.Array:
    """A 3x3 "same" convolution as one matrix product over im2col patches.

    ``patches[..., (3 * dy + dx) * C + c] = x_padded[..., h + dy, w + dx, c]``, matching
    ``kernel.reshape(9 * C, out)``: the function of ``nn.Conv(out, (3, 3))``.
    """
    h, w, c = x.shape[-3:]
    xp = jnp.pad(x, [(0, 0)] * (x.ndim - 3) + [(1, 1), (1, 1), (0, 0)])
    taps = [xp[..., dy : dy + h, dx : dx + w, :] for dy in range(3) for dx in range(3)]
    return jnp.concatenate(taps, axis=-1) @ kernel.reshape(9 * c, -1) + bias


def cnn_logits(model: CNN, params: Any, x: jax.Array) -> jax.Array:
    """The function of :class:`~schedalg.train.model.CNN` (same parameters, same
    logits), with each convolution one matrix product over im2col patches.

    Differentiating a training run differentiates the model twice; XLA's CPU
    convolutions are slow in their second derivatives and inside ``lax.scan``, where
    matrix products are not (measured on the shared 2-core CPU, 22 steps of the
    default CNN: ``nn.Conv`` 35 s, nine shifted taps 1.2 s, im2col 0.5 s per
    value-and-gradient).
    """
    for i in range(len(model.features)):
        layer = params[f"conv{i + 1}"]
        x = jax.nn.relu(_conv3x3(x, layer["kernel"], layer["bias"]))
    h, w, c = x.shape[-3] // 2, x.shape[-2] // 2, x.shape[-1]
    lead = x.shape[:-3]
    x = x[..., : 2 * h, : 2 * w, :].reshape(*lead, h, 2, w, 2, c).mean(axis=(-4, -2))
    x = x.reshape(*lead, h * w * c)
    x = jax.nn.relu(x @ params["dense1"]["kernel"] + params["dense1"]["bias"])
    return x @ params["dense2"]["kernel"] + params["dense2"]["bias"]


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
            f"learn: optimizer must be one of {OPTIMIZERS} (written functionally here), "
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
    flat, m, v = carry
    t, lr = xs
    idx = arrays.batches[jnp.minimum(t, arrays.batches.shape[0] - 1)]  # padded steps
    x, y = arrays.x_train[idx], arrays.y_train[idx]
    g = jax.grad(lambda f: _cross_entropy(inner.logits(f, x), y).mean())(flat)
    if inner.optimizer == "adam":  # optax.adam's update, b1 0.9, b2 0.999, eps 1e-8
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        k = (t + 1).astype(flat.dtype)
        m_hat, v_hat = m / (1.0 - 0.9**k), v / (1.0 - 0.999**k)
        update = m_hat / (jnp.sqrt(v_hat + EPS_ROOT) + 1e-8)
    else:  # optax.sgd(momentum=0.9, nesterov=True)
        m = g + 0.9 * m
        update = g + 0.9 * m
    return (flat - lr * update, m, v), None


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
    carry = (flat0, jnp.zeros_like(flat0), jnp.zeros_like(flat0))
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
        >>> from schedalg.train.meta import final_val_loss, problem, relax
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
def evaluate_batch(schedules: Schedule, arrays: Problem, inner: Inner):
    """(val losses, val accuracies) of the members of a batched schedule (every leaf with
    one leading batch axis), each trained from the same start on the same batches.

    The members run one after another in one compiled ``lax.map``: on CPU that is as fast
    per member as one run, where ``vmap``'s batched products were slower (shared 2-core
    CPU, a (8, 16)-channel CNN, 200 steps: 0.15 s alone, 0.16 s mapped, 0.20 s vmapped).
    """
    return jax.lax.map(lambda s: final_val_loss(s, arrays, inner), schedules)


# ----------------------------------------------------------------------------
# What is learned: names and leaf paths


@dataclasses.dataclass(frozen=True)
class Knob:
    """One learned leaf: a name, its path in the schedule, its shape and its bounds.

    Every learned leaf is positive and searched in log space, clipped to [low, high].
    """

    name: str
    path: str
    shape: tuple[int, ...]
    low: float
    high: float

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


_ALIASES = {"decay": "steps", "power": "exponent"}
#: The names understood by :func:`resolve`, with their meaning.
NAMES = {
    "peak": "top value of the main schedule (cosine/linear/polynomial start, wsd peak...)",
    "end": "final value of the main decay",
    "warmup": "the outermost warmup's steps (wsd: its warmup)",
    "steps": "decay length of the main schedule (alias: decay; wsd: decay)",
    "exponent": "cosine exponent or polynomial power (alias: power)",
    "knots": "the knot values of a piecewise_linear schedule",
}


def _bounds(name: str, steps: int) -> tuple[float, float]:
    """Search range of a named leaf (durations in steps of an inner run of ``steps``)."""
    return {
        "warmup": (1.0, float(steps)),
        "steps": (1.0, 10.0 * steps),
        "exponent": (0.05, 20.0),
    }.get(name, (1e-8, 10.0))  # values: peak, end, knots


def resolve(schedule: Schedule, params: Sequence[str], steps: int) -> tuple[Knob, ...]:
    """The knobs for ``params``: names of :data:`NAMES` or explicit leaf paths.

    Example:
        >>> s = sa.warmup(sa.cosine(1e-3, 0.0, 300), 30)
        >>> [(k.name, k.path) for k in resolve(s, ["peak", "warmup"], 330)]
        [('peak', 'schedule.start'), ('warmup', 'steps')]
    """
    paths = leaf_paths(schedule)
    node = main(schedule)[0]
    knobs: list[Knob] = []
    for raw in params:
        name = _ALIASES.get(raw, raw)
        if name in NAMES:
            path = role_path(schedule, name)  # the classes' own declarations
            if path is None and name == "knots":
                raise ValueError(
                    "learn: knots needs a piecewise_linear schedule (use --knots K to make one)"
                )
            if path is None and name == "warmup":
                raise ValueError(f"learn: warmup: {schedule!r} has no warmup node")
            if path is None:
                raise ValueError(
                    f"learn: {raw} is not defined for {node.name}; name a leaf path instead, "
                    f"one of: {', '.join(paths)}"
                )
        elif raw in paths:
            name, path = raw, raw
        else:
            raise ValueError(
                f"learn: unknown parameter {raw!r}: use one of {', '.join(NAMES)} or a leaf "
                f"path, one of: {', '.join(paths)}"
            )
        if any(k.path == path for k in knobs):
            raise ValueError(f"learn: {raw} names the leaf {path} twice")
        value = np.asarray(paths[path], np.float64)
        if not np.all(value > 0):
            raise ValueError(
                f"learn: {raw} ({path}) must be > 0 to be learned in log space, got {value}; "
                "start it at a small positive value"
            )
        low, high = (
            _bounds(name, steps) if name in NAMES else (value.min() / 1e4, value.max() * 1e4)
        )
        if not np.all((low <= value) & (value <= high)):
            raise ValueError(f"learn: {raw} starts at {value}, outside its range [{low}, {high}]")
        knobs.append(Knob(name, path, value.shape, float(low), float(high)))
    if not knobs:
        raise ValueError("learn: nothing to learn: give --params (or --knots)")
    return tuple(knobs)


def knot_schedule(schedule: Schedule, steps: int, knots: int) -> piecewise_linear:
    """A free curve: ``piecewise_linear`` through ``knots`` evenly spaced knots over
    ``[0, steps]`` at the values of ``schedule`` (floored at 1e-3 of its largest value,
    so every knot is positive and can be learned in log space).

    Example:
        >>> knot_schedule(sa.linear(1.0, 0.0, 100), 100, 3)
        piecewise_linear(boundaries=[0, 50, 100], values=[1.0, 0.5, 0.001])
    """
    if isinstance(knots, bool) or not isinstance(knots, int) or not 2 <= knots <= steps + 1:
        raise ValueError(f"learn: knots must be an integer in [2, {steps + 1}], got {knots!r}")
    bounds = np.round(np.linspace(0, steps, knots)).astype(np.int64)
    values = np.asarray(evaluate(schedule, bounds), np.float64)
    top = float(values.max())
    if not top > 0:
        raise ValueError(f"learn: the schedule must be positive somewhere, got max {top}")
    values = np.maximum(values, top * 1e-3)
    return piecewise_linear(bounds.tolist(), [float(f"{v:.6g}") for v in values])


# ----------------------------------------------------------------------------
# The search


def _encode(knobs: tuple[Knob, ...], schedule: Schedule) -> np.ndarray:
    paths = leaf_paths(schedule)
    return np.concatenate([np.log(np.asarray(paths[k.path], np.float64)).ravel() for k in knobs])


def _decode(knobs: tuple[Knob, ...], theta: Any) -> dict[str, Any]:
    out, i = {}, 0
    for k in knobs:
        out[k.path] = jnp.exp(theta[i : i + k.size]).reshape(k.shape)
        i += k.size
    return out


def _clip(knobs: tuple[Knob, ...], theta: np.ndarray) -> np.ndarray:
    low = np.concatenate([np.full(k.size, math.log(k.low)) for k in knobs])
    high = np.concatenate([np.full(k.size, math.log(k.high)) for k in knobs])
    return np.clip(theta, low, high)


def _penalty(knobs: tuple[Knob, ...], theta: jax.Array, smooth: float) -> jax.Array:
    """``smooth`` times the mean squared second difference of each vector's log values."""
    total, i = jnp.zeros((), theta.dtype), 0
    for k in knobs:
        if k.size >= 3:
            z = theta[i : i + k.size]
            total = total + jnp.mean((z[2:] - 2.0 * z[1:-1] + z[:-2]) ** 2)
        i += k.size
    return smooth * total


@functools.partial(jax.jit, static_argnums=(3, 4))
def _meta_value_and_grad(theta, base, arrays, inner, knobs, smooth):
    def objective(theta):
        loss, acc = final_val_loss(with_leaves(base, _decode(knobs, theta)), arrays, inner)
        return loss + _penalty(knobs, theta, smooth), (loss, acc)

    return jax.value_and_grad(objective, has_aux=True)(theta)


def rounded(schedule: Schedule, knobs: tuple[Knob, ...], theta: np.ndarray) -> Schedule:
    """``schedule`` with the learned leaves (6 significant digits, plain Python floats)."""
    values = {}
    for k, z in zip(knobs, _split(knobs, np.exp(theta))):
        v = z.reshape(k.shape)
        nice = np.vectorize(lambda x: float(f"{x:.6g}"))(v)
        values[k.path] = float(nice) if nice.ndim == 0 else nice
    return with_leaves(schedule, values)


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
        return self.history[0]

    @property
    def seconds(self) -> float:
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
        params: names (:data:`NAMES`) or leaf paths (:func:`leaf_paths`) to learn.
        data: the dataset.
        config: model, batch size, optimizer (``adam``/``sgd``), seed.
        steps: updates per inner run (default: ``config.epochs`` epochs).
        meta_steps: meta-gradient steps.
        meta_lr: Adam's step size in log space.
        smooth: weight of the knot smoothness penalty.
        segment: steps per checkpointed segment (see :func:`problem`).
        on_step: called with each history entry as it is made.

    Returns:
        A :class:`LearnResult` with ``meta_steps + 1`` evaluated schedules.
    """
    from schedalg._batch import batch_shape

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
    theta = _encode(knobs, schedule)
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
                "values": _values(knobs, theta),
                "schedule": rounded(schedule, knobs, theta),
                "seconds": time.perf_counter() - started,
            }
        )
        if on_step is not None:
            on_step(history[-1])
        if k == 0:
            zero = [kn.name for kn, g in zip(knobs, _split(knobs, grad)) if not np.any(g)]
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
        # second moments move every leaf ``meta_lr`` per step whatever its share of the
        # gradient, which overshot when several leaves all mean "more learning rate".
        t += 1
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * float(np.sum(grad * grad))
        step = lr * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-12)
        theta = _clip(knobs, theta - step)
    return LearnResult(knobs, history, inner.steps, notes)


def _split(knobs: tuple[Knob, ...], flat: np.ndarray) -> list[np.ndarray]:
    return np.split(flat, np.cumsum([k.size for k in knobs])[:-1])


def _values(knobs: tuple[Knob, ...], theta: np.ndarray) -> dict[str, Any]:
    out = {}
    for k, z in zip(knobs, _split(knobs, np.exp(theta))):
        out[k.name] = float(z[0]) if k.shape == () else z.tolist()
    return out


# ----------------------------------------------------------------------------
# Reports: the trajectory figure and the results table


def describe(entry: dict) -> str:
    """One line: meta-step, validation loss and accuracy, the learned values."""
    values = []
    for name, v in entry["values"].items():
        text = f"{v:.4g}" if isinstance(v, float) else f"[{len(v)} knots]"
        values.append(f"{name}={text}")
    return (
        f"meta {entry['meta_step']:>3}  val loss {entry['val_loss']:.4f}  "
        f"acc {entry['val_acc']:.4f}  {'  '.join(values)}"
    )


def _columns(result: LearnResult) -> list[str]:
    cols = []
    for k in result.knobs:
        cols += [k.name] if k.shape == () else [f"{k.name}[{i}]" for i in range(k.size)]
    return cols


def _rows(result: LearnResult) -> list[list[str]]:
    rows = []
    for h in result.history:
        cells = [str(h["meta_step"]), f"{h['val_loss']:.6g}", f"{h['val_acc']:.4f}"]
        for v in h["values"].values():
            cells += [f"{x:.6g}" for x in (v if isinstance(v, list) else [v])]
        rows.append(cells + [repr(h["schedule"])])
    return rows


def write_report(result: LearnResult, out_dir: str) -> dict[str, str]:
    """Writes ``results.csv``, ``results.md``, ``trajectory.png`` and ``learned.json``
    (the best schedule, for ``schedalg train --schedule``); returns the paths."""
    import csv
    import io
    import json

    from schedalg._text import to_dict
    from schedalg.train.files import write_text

    os.makedirs(out_dir, exist_ok=True)
    header = ["meta_step", "val_loss", "val_acc", *_columns(result), "schedule"]
    rows = _rows(result)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    paths = {"csv": os.path.join(out_dir, "results.csv")}
    write_text(paths["csv"], out.getvalue())
    short = ["meta_step", "val_loss", "val_acc", "schedule"]
    lines = [
        f"# schedule learned by gradient ({result.steps} updates per run)",
        "",
        "| " + " | ".join(short) + " |",
        "|" + "---|" * len(short),
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | `{r[-1]}` |")
    best, start = result.best, result.start
    lines += [
        "",
        f"start: val loss {start['val_loss']:.4f}; best (meta-step {best['meta_step']}): "
        f"val loss {best['val_loss']:.4f}, acc {best['val_acc']:.4f}",
        "",
        f"best schedule: `{best['schedule']!r}`",
    ]
    lines += [f"note: {n}" for n in result.notes]
    paths["md"] = os.path.join(out_dir, "results.md")
    write_text(paths["md"], "\n".join(lines) + "\n")
    paths["json"] = os.path.join(out_dir, "learned.json")
    write_text(paths["json"], json.dumps(to_dict(best["schedule"]), indent=2) + "\n")
    paths["png"] = plot_trajectory(result, os.path.join(out_dir, "trajectory.png"))
    return paths


def plot_trajectory(result: LearnResult, path: str) -> str:
    """Left: the schedule at each meta-step, coloured from the start (dark) to the end
    (light). Right: the validation loss of each meta-step, the best one marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    t = np.arange(result.steps)
    last = max(len(result.history) - 1, 1)
    cmap = plt.get_cmap("viridis")
    fig, (curves, losses) = plt.subplots(1, 2, figsize=(12, 4.2), dpi=110)
    for h in result.history:
        values = np.asarray(evaluate(h["schedule"], t))
        curves.plot(t, values, color=cmap(h["meta_step"] / last), linewidth=1.2)
    norm = matplotlib.colors.Normalize(0, last)
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=curves, label="meta-step")
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    curves.set_xlabel("step")
    curves.set_ylabel("learning rate")
    curves.set_title("schedule at each meta-step", fontsize=10)
    steps = [h["meta_step"] for h in result.history]
    losses.plot(steps, [h["val_loss"] for h in result.history], "o-", label="val loss")
    best = result.best
    losses.plot([best["meta_step"]], [best["val_loss"]], "r*", markersize=14, label="best")
    losses.xaxis.set_major_locator(MaxNLocator(integer=True))
    losses.set_xlabel("meta-step")
    losses.set_ylabel("validation loss")
    losses.set_title("final validation loss of each inner run", fontsize=10)
    losses.legend()
    for ax in (curves, losses):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
