"""The jitted pieces of a training step: gradients, the scheduled update, evaluation.

A step is two compiled calls: :func:`gradients` (the model's forward and backward pass,
compiled once per model and batch shape) and :func:`apply_update` (the optax optimizer
driven by the schedule, compiled once per optimizer and *schedule structure*). The
schedule is a jit argument and its numbers live in the optimizer state
(:func:`schedalg.optax.scheduled`), so schedules of the same structure share one
compilation; a new structure recompiles only the small update (about 0.3 s on CPU)
rather than the whole network (about 1.5 s). The optimizer works on the parameters
raveled into one vector, which keeps that compilation small.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from schedalg._core import Schedule
from schedalg.optax import current, scheduled
from schedalg.train.model import CNN, init_like, layout

#: name -> (optax factory, fixed hyperparameters). The learning rate is the schedule.
OPTIMIZERS: dict[str, tuple[Callable[..., optax.GradientTransformation], dict]] = {
    "adam": (optax.adam, {}),
    "adamw": (optax.adamw, {"weight_decay": 1e-4}),
    "sgd": (optax.sgd, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (optax.rmsprop, {}),
}

#: Images per evaluation call (the last chunk is padded, so one compilation serves all).
EVAL_CHUNK = 512


def optimizer(name: str, schedule: Schedule) -> optax.GradientTransformation:
    """The named optax optimizer with ``schedule`` as its learning rate."""
    if name not in OPTIMIZERS:
        raise ValueError(f"train: optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    factory, fixed = OPTIMIZERS[name]
    return scheduled(factory, learning_rate=schedule, **fixed)


@functools.partial(jax.jit, static_argnames="name")
def init_state(flat: jax.Array, schedule: Schedule, name: str) -> Any:
    """The optimizer's initial state (jitted: run eagerly, the schedule's first
    evaluation dispatches dozens of small operations, each compiled on first use)."""
    return optimizer(name, schedule).init(flat)


@functools.partial(jax.jit, static_argnames="name")
def apply_update(
    flat: jax.Array,
    opt_state: Any,
    grads: jax.Array,
    schedule: Schedule,
    lr_scale: jax.Array,
    name: str,
) -> tuple[jax.Array, Any, jax.Array]:
    """One optimizer update; returns new parameters, state and the learning rate used.

    ``lr_scale`` multiplies the update (a plateau's factor; 1.0 otherwise): for every
    optimizer here the learning rate is the last factor of the update, so this scales
    the effective learning rate to ``schedule(step) * lr_scale``. The returned rate is
    read from the optimizer state (:func:`schedalg.optax.current`), not recomputed.
    """
    tx = optimizer(name, schedule)
    updates, opt_state = tx.update(grads, opt_state, flat)
    updates = updates * lr_scale.astype(updates.dtype)
    lr = current(opt_state)["learning_rate"] * lr_scale
    return optax.apply_updates(flat, updates), opt_state, lr


@dataclasses.dataclass(frozen=True)
class Functions:
    """The compiled functions of one model on one image shape."""

    size: int
    unravel: Callable[[jax.Array], Any]
    init: Callable[[int], jax.Array]
    gradients: Callable[..., tuple[jax.Array, jax.Array, jax.Array]]
    predict: Callable[..., tuple[jax.Array, jax.Array]]

    def evaluate(self, flat: jax.Array, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        """Mean loss, accuracy and the class probabilities of ``(x, y)``."""
        losses, probs = [], []
        chunk = min(EVAL_CHUNK, len(y))
        for i in range(0, len(y), chunk):
            xb, yb = x[i : i + chunk], y[i : i + chunk]
            n = len(yb)
            pad = chunk - n
            if pad:
                xb = np.concatenate([xb, np.zeros((pad, *xb.shape[1:]), xb.dtype)])
                yb = np.concatenate([yb, np.zeros(pad, yb.dtype)])
            loss, prob = jax.device_get(self.predict(flat, xb, yb))
            losses.append(loss[:n])
            probs.append(prob[:n])
        loss = np.concatenate(losses).astype(np.float64)
        prob = np.concatenate(probs)
        return {
            "loss": float(loss.mean()),
            "acc": float(np.mean(prob.argmax(-1) == y)),
            "probs": prob,
        }


@functools.lru_cache(maxsize=16)
def functions(model: CNN, image_shape: tuple[int, ...]) -> Functions:
    """Jitted gradient and prediction functions for ``model`` (cached per shape)."""
    zeros = layout(model, image_shape)
    flat_zeros, unravel = ravel_pytree(zeros)

    def init(seed: int) -> jax.Array:
        return ravel_pytree(init_like(zeros, seed))[0]

    def logits(flat: jax.Array, x: jax.Array) -> jax.Array:
        return cast(jax.Array, model.apply({"params": unravel(flat)}, x))

    @jax.jit
    def gradients(flat, x, y):
        def loss_fn(f):
            out = logits(f, x)
            loss = optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
            return loss, jnp.sum(jnp.argmax(out, -1) == y)

        (loss, correct), grads = jax.value_and_grad(loss_fn, has_aux=True)(flat)
        return loss, correct, grads

    @jax.jit
    def predict(flat, x, y):
        out = logits(flat, x)
        return optax.softmax_cross_entropy_with_integer_labels(out, y), jax.nn.softmax(out)

    return Functions(int(flat_zeros.size), unravel, init, gradients, predict)
