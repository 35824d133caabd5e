"""Helpers shared by the compat constructors (argument checks are in ``_named``).

* Leaf arithmetic: the anchor libraries branch in Python on their numbers; here a number
  may be concrete (NumPy, and a branch decided for every entry keeps the user's own
  number in the printed schedule) or traced (``jax.numpy``, the branch becomes ``where``
  on the leaves). Each helper works on both.
* PyTorch's MultiStepLR, SequentialLR checks and ReduceLROnPlateau, which braintools
  copies under the same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from schedalg._core import Schedule, concrete, require, sorted_last
from schedalg._steps import multistep, piecewise_constant
from schedalg.compat._named import is_sequence, one_group
from schedalg.plateau import reduce_on_plateau


def known(*values: Any) -> bool:
    """Whether every value is concrete (``None`` counts as known)."""
    return all(v is None or concrete(v) is not None for v in values)


def xp_of(*values: Any) -> Any:
    """NumPy for concrete values, ``jax.numpy`` once one of them is traced."""
    return np if known(*values) else jnp


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` else ``b``; returns ``a`` or ``b`` itself when ``cond`` is
    concretely the same everywhere, so the printed schedule keeps the user's numbers."""
    c = concrete(cond)
    if c is not None and c.all():
        return a
    if c is not None and not c.any():
        return b
    return xp_of(cond, a, b).where(cond, a, b)


def all_true(cond: Any) -> bool:
    """True only when ``cond`` is concrete and true everywhere (a traced one may not be)."""
    c = concrete(cond)
    return c is not None and bool(c.all())


def maximum(a: Any, b: Any) -> Any:
    return xp_of(a, b).maximum(a, b)


def vec(items: Sequence[Any]) -> Any:
    """Scalars (or batches of them) stacked along a new last axis (DESIGN: vectors last)."""
    if not items:
        return np.zeros((0,), dtype=np.int64)
    ns = xp_of(*items)
    return ns.stack(ns.broadcast_arrays(*(ns.asarray(v) for v in items)), axis=-1)


# ----------------------------------------------------------------------------
# PyTorch's schedulers that braintools copies.


def decay_at_milestones(fn: str, lr: Any, milestones: Any, gamma: Any) -> Schedule:
    """MultiStepLR: ``lr * gamma ** (number of milestones <= n)``; the milestones are
    sorted and a repeated one counts twice."""
    if not is_sequence(milestones):
        raise ValueError(f"milestones must be a sequence of steps, got milestones={milestones!r}")
    require(fn, "gamma", gamma, lambda v: v >= 0, ">= 0")
    milestones = sorted(milestones)
    if not milestones:  # no boundary rather than sa.constant, which ChainedScheduler refuses
        return piecewise_constant([], [lr])
    return multistep(lr, milestones, gamma)


def some_schedulers(schedulers: Any) -> list:
    """The schedulers as a list, refused when empty."""
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError("schedulers must hold at least one scheduler, got schedulers=[]")
    return schedulers


def check_sequence(fn: str, schedulers: list, milestones: list) -> None:
    """SequentialLR's schedulers are schedules and its milestones steps, in order."""
    for i, s in enumerate(schedulers):
        if not isinstance(s, Schedule):
            raise ValueError(f"schedulers[{i}] must be a schedule, got schedulers[{i}]={s!r}")
    require(fn, "milestones", milestones, lambda v: v >= 0, ">= 0")
    require(fn, "milestones", milestones, sorted_last, "sorted")


def check_count(schedulers: list, milestones: list) -> None:
    """SequentialLR: one milestone between each two schedulers."""
    if len(milestones) != len(schedulers) - 1:
        raise ValueError(
            f"needs one milestone fewer than schedulers, got {len(schedulers)} schedulers "
            f"and milestones={milestones!r}"
        )


def plateau_rule(
    fn: str,
    lr_name: str,
    lr: Any,
    mode: str,
    factor: Any,
    patience: Any,
    threshold: Any,
    threshold_mode: str,
    cooldown: Any,
    min_lr: Any,
    eps: Any,
    **more: Any,
) -> reduce_on_plateau:
    """ReduceLROnPlateau (torch's arguments, ``mode`` to ``eps`` in torch's order) as a
    rule on the scale ``current lr / lr``: ``min_lr`` and ``eps`` are in lr units, so the
    rule takes them divided by ``lr``."""
    one_group("min_lr", min_lr)
    require(fn, lr_name, lr, lambda v: v > 0, "> 0")
    require(fn, "min_lr", min_lr, lambda v: v >= 0, ">= 0")
    require(fn, "eps", eps, lambda v: v >= 0, ">= 0")
    rule = dict(factor=factor, patience=patience, threshold=threshold, cooldown=cooldown)
    scaled = dict(min_scale=min_lr / lr, eps=eps / lr)
    return reduce_on_plateau(**rule, **scaled, threshold_mode=threshold_mode, mode=mode, **more)
