"""The learning-rate range test on the trainer's CNN (``schedalg find-lr``)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import numpy as np
import optax

from schedalg.lr_finder import LRFindResult, lr_find
from schedalg.train.data import Dataset, epoch_order
from schedalg.train.run import Config
from schedalg.train.step import OPTIMIZERS, functions

#: The range test's defaults for this CNN (lr_find's own ramp goes to 10).
DEFAULTS = {"start": 1e-6, "end": 1.0}


def find_lr(data: Dataset, config: Config | None = None, **options: Any) -> LRFindResult:
    """Runs :func:`schedalg.lr_finder.lr_find` on the CNN from its initial parameters.

    The batches are the first epoch's (``config.seed``), cycled; ``config.optimizer``
    is the optimizer whose learning rate ramps. ``options`` are ``lr_find``'s ``start``
    (here 1e-6 by default), ``end`` (here 1.0), ``steps``, ``mode``, ``smooth`` and
    ``diverge``.

    Returns:
        The :class:`~schedalg.lr_finder.LRFindResult` (suggestions, ``plot(path)``).
    """
    config = Config() if config is None else config
    config.check(data)
    model = config.model(data.classes)
    fns = functions(model, data.image_shape)
    spe = len(data.y_train) // config.batch_size
    order = epoch_order(config.seed, 0, len(data.y_train))[: spe * config.batch_size]
    shape = (spe, config.batch_size)
    batches = (
        data.x_train[order].reshape(*shape, *data.image_shape),
        data.y_train[order].reshape(shape),
    )
    factory, fixed = OPTIMIZERS[config.optimizer]
    return lr_find(
        _loss_fn(model, data.image_shape),
        fns.init(config.seed),
        batches,
        functools.partial(factory, **fixed),
        **{**DEFAULTS, **options},
    )


@functools.lru_cache(maxsize=8)
def _loss_fn(model, image_shape):
    """``(flat params, (x, y)) -> loss``; cached so the range test's jit cache hits."""
    unravel = functions(model, image_shape).unravel

    def loss(flat: jax.Array, batch: tuple) -> jax.Array:
        logits = model.apply({"params": unravel(flat)}, batch[0])
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch[1]).mean()

    return loss


def write_csv(result: LRFindResult, path: str) -> str:
    """``step, lr, loss, smoothed`` per step of the range test (NaN after it stopped)."""
    rows = np.stack([np.arange(len(result.lrs)), result.lrs, result.losses, result.smoothed], 1)
    np.savetxt(path, rows, delimiter=",", header="step,lr,loss,smoothed", comments="", fmt="%.8g")
    return path
