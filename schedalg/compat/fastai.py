"""fastai's schedules (``fastai.callback.schedule``) rebuilt from the schedalg algebra.

fastai's schedules are functions of ``pos``, the fraction of training done, in [0, 1].
Each constructor here takes fastai's arguments plus a keyword ``steps``, the number
fastai divides by to get ``pos`` (for the ``fit_*`` schedules: ``n_epoch * len(dls.train)``
updates), and returns a schedule ``s`` with ``s(t) == fastai_schedule(t / steps)`` for
``0 <= t <= steps``; from ``steps`` on it holds its end value (fastai never reaches
``pos > 1``). With the default ``steps=1`` a schedule is called with ``pos`` itself, like
fastai's. ``combine_scheds`` is a ``join`` whose piece i lasts ``pcts[i] * steps``.

At a step where ``t / steps`` falls exactly on a boundary between two pieces, fastai and
schedalg may pick different pieces by floating-point rounding (fastai compares
``t / steps`` with float32 cumulative sums of ``pcts``; schedalg compares ``t`` with the
sums of the pieces' lengths): at most that one step per boundary differs.

Example:
    >>> from schedalg.compat.fastai import fit_one_cycle
    >>> fit_one_cycle(1, lr_max=1e-3, steps=1000)
    join(cosine(start=4e-05, end=0.001, steps=250.0),
         cosine(start=0.001, end=1e-08, steps=750.0))
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

import schedalg as sa
from schedalg._clock import warp
from schedalg._core import Schedule, require
from schedalg.compat._named import named

__all__ = [
    "SchedLin",
    "SchedCos",
    "SchedNo",
    "SchedExp",
    "SchedPoly",
    "combine_scheds",
    "combined_cos",
    "fit_one_cycle",
    "fit_flat_cos",
    "fit_sgdr",
]

#: fastai's ``defaults.lr``: the learning rate a ``fit_*`` call uses when given none.
DEFAULT_LR = 1e-3

#: Representative calls, rendered in docs/migrating.md.
EXAMPLES: list[str] = [
    "SchedCos(1e-3, 1e-5, steps=1000)",
    "SchedExp(1e-7, 10.0, steps=100)",
    "SchedPoly(1e-3, 0.0, 2.0, steps=1000)",
    "combine_scheds([0.3, 0.7], [SchedLin(1e-4, 1e-3), SchedCos(1e-3, 0.0)], steps=1000)",
    "combined_cos(0.25, 4e-5, 1e-3, 1e-8, steps=1000)",
    "fit_one_cycle(5, lr_max=1e-3, steps=5 * 200)",
    "fit_flat_cos(5, lr=1e-3, steps=5 * 200)",
    "fit_sgdr(3, 1, lr_max=1e-3, steps=7 * 200)",
]


def _fraction(fn: str, param: str, value: Any) -> None:
    require(fn, param, value, lambda v: (v >= 0) & (v <= 1), "in [0, 1]")


def _epochs(fn: str, param: str, value: Any) -> None:
    require(fn, param, value, lambda v: (v >= 1) & (v == v // 1), "an integer >= 1")


def _steps(fn: str, steps: Any, n_epoch: Any) -> Any:
    """The updates of the whole fit: ``steps``, or one per epoch when not given."""
    steps = n_epoch if steps is None else steps
    require(fn, "steps", steps, lambda v: v > 0, "> 0")
    return steps


def _lr(value: Any) -> Any:
    """fastai's default learning rate for None; lists (one per group) as arrays."""
    if value is None:
        return DEFAULT_LR
    return np.asarray(value, dtype=np.float64) if isinstance(value, (list, tuple)) else value


@named
def SchedLin(start: Any, end: Any, *, steps: Any = 1) -> Schedule:
    """Linear from ``start`` to ``end``: ``start + pos * (end - start)``.

    Example:
        >>> from schedalg.compat.fastai import SchedLin
        >>> round(float(SchedLin(0.0, 1.0, steps=10)(4)), 6)
        0.4
    """
    return sa.linear(start, end, steps)


@named
def SchedCos(start: Any, end: Any, *, steps: Any = 1) -> Schedule:
    """Cosine from ``start`` to ``end``: ``start + (1 + cos(pi * (1 - pos))) * (end - start) / 2``.

    Example:
        >>> from schedalg.compat.fastai import SchedCos
        >>> round(float(SchedCos(1.0, 0.0, steps=10)(5)), 6)
        0.5
    """
    return sa.cosine(start, end, steps)


@named
def SchedNo(start: Any, end: Any, *, steps: Any = 1) -> Schedule:
    """Constant ``start`` (``end`` and ``steps`` are ignored, as in fastai).

    Example:
        >>> from schedalg.compat.fastai import SchedNo
        >>> round(float(SchedNo(0.5, 0.0)(0.7)), 6)
        0.5
    """
    return sa.constant(start)


@named
def SchedExp(start: Any, end: Any, *, steps: Any = 1) -> Schedule:
    """Exponential from ``start`` to ``end``: ``start * (end / start) ** pos`` (start, end > 0).

    Example:
        >>> from schedalg.compat.fastai import SchedExp
        >>> round(float(SchedExp(1.0, 100.0, steps=10)(5)), 4)
        10.0
    """
    require("SchedExp", "start", start, lambda v: v > 0, "> 0")
    require("SchedExp", "end", end, lambda v: v > 0, "> 0")
    ratio = np.asarray(end, dtype=np.float64) / np.asarray(start, dtype=np.float64)
    return sa.exponential(start, float(ratio) if ratio.ndim == 0 else ratio, steps, end=end)


@named
def SchedPoly(start: Any, end: Any, power: Any, *, steps: Any = 1) -> Schedule:
    """Polynomial from ``start`` to ``end``: ``start + (end - start) * pos ** power``.

    It is a straight line on a power-bent clock: ``warp(linear(start, end, steps), power)``.

    Example:
        >>> from schedalg.compat.fastai import SchedPoly
        >>> round(float(SchedPoly(0.0, 1.0, 2.0, steps=10)(5)), 6)
        0.25
    """
    return warp(sa.linear(start, end, steps), power)


def _span(piece: Schedule, span: Any, index: int, count: int) -> Schedule:
    """The piece re-timed to run over ``span`` steps (fastai's pieces are functions of
    their own pos in [0, 1], whatever ``steps`` they were built with)."""
    if isinstance(piece, sa.constant):
        return piece
    if isinstance(piece, warp):
        return warp(_span(piece.schedule, span, index, count), piece.power)
    if isinstance(piece, (sa.linear, sa.cosine, sa.polynomial, sa.exponential)):
        return dataclasses.replace(piece, steps=span)
    if not isinstance(piece, Schedule):
        raise ValueError(
            f"combine_scheds: schedule {index} of {count} is not a schedule: {piece!r}"
        )
    if piece.duration is None:
        raise ValueError(
            f"combine_scheds: schedule {index} of {count} ({piece.name}) has no duration, so "
            "its pos clock is unknown; give it one (e.g. join or stretch it)"
        )
    return sa.stretch(piece, span / piece.duration)


@named
def combine_scheds(
    pcts: Sequence[float], scheds: Sequence[Schedule], *, steps: Any = 1
) -> Schedule:
    """Runs ``scheds[i]`` over the fraction ``pcts[i]`` of training, each on its own pos.

    Piece i lasts ``pcts[i] * steps`` steps and sees its own pos,
    ``(t - start_i) / (pcts[i] * steps)``: a ``join`` of the re-timed pieces (with
    explicit ``boundaries``, the running sums of the lengths, when a piece such as
    ``SchedNo`` has no length of its own). Pieces with ``pcts[i] == 0`` are never reached
    and are left out.

    Args:
        pcts: fractions of training, >= 0, summing to 1.
        scheds: one schedule per fraction (``SchedLin(...)``, ``SchedCos(...)``, ...).
        steps: the number of updates that makes ``pos = 1``.

    Example:
        >>> from schedalg.compat.fastai import SchedCos, SchedNo, combine_scheds
        >>> s = combine_scheds([0.5, 0.5], [SchedNo(1.0, 1.0), SchedCos(1.0, 0.0)], steps=100)
        >>> round(float(s(40)), 6), round(float(s(75)), 6)
        (1.0, 0.5)
    """
    pcts = [float(p) for p in pcts]
    scheds = list(scheds)
    if len(pcts) != len(scheds) or not pcts:
        raise ValueError(
            f"combine_scheds: pcts and scheds must have the same non-zero length, got "
            f"{len(pcts)} pcts and {len(scheds)} scheds"
        )
    require("combine_scheds", "pcts", np.asarray(pcts), lambda v: v >= 0, ">= 0")
    if abs(sum(pcts) - 1.0) > 1e-9:
        raise ValueError(
            f"combine_scheds: pcts must sum to 1, got pcts={pcts!r} (sum {sum(pcts)!r})"
        )
    require("combine_scheds", "steps", steps, lambda v: v > 0, "> 0")
    spans = [p * steps for p in pcts]
    kept = [i for i, p in enumerate(pcts) if p > 0]
    pieces = [_span(scheds[i], spans[i], i + 1, len(pcts)) for i in kept]
    if len(pieces) == 1:
        return pieces[0]
    if all(piece.duration is not None for piece in pieces[:-1]):
        return sa.join(*pieces)
    starts = list(itertools.accumulate(spans, initial=0.0))  # the same sums as join's
    return sa.join(*pieces, boundaries=[starts[i] for i in kept[1:]])


@named
def combined_cos(pct: float, start: Any, middle: Any, end: Any, *, steps: Any = 1) -> Schedule:
    """Cosine from ``start`` to ``middle`` over ``pct`` of training, then to ``end``.

    Example:
        >>> from schedalg.compat.fastai import combined_cos
        >>> s = combined_cos(0.5, 0.0, 1.0, 0.0, steps=100)
        >>> round(float(s(25)), 6), round(float(s(50)), 6)
        (0.5, 1.0)
    """
    _fraction("combined_cos", "pct", pct)
    require("combined_cos", "steps", steps, lambda v: v > 0, "> 0")
    pieces = [SchedCos(start, middle), SchedCos(middle, end)]
    return combine_scheds([pct, 1 - pct], pieces, steps=steps)


@named
def fit_one_cycle(
    n_epoch: int,
    lr_max: Any = None,
    div: Any = 25.0,
    div_final: Any = 1e5,
    pct_start: float = 0.25,
    *,
    steps: Any = None,
) -> Schedule:
    """The learning rate of ``Learner.fit_one_cycle``: 1cycle with cosine phases.

    ``combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final)``. The momentum
    fastai schedules alongside is ``combined_cos(pct_start, 0.95, 0.85, 0.95, steps=...)``.

    Args:
        n_epoch: number of epochs.
        lr_max: peak learning rate (fastai's default: ``learn.lr``, 1e-3).
        steps: updates in the whole fit, ``n_epoch * len(dls.train)``; defaults to
            ``n_epoch`` (one step per epoch).

    Example:
        >>> from schedalg.compat.fastai import fit_one_cycle
        >>> s = fit_one_cycle(4, lr_max=1.0, steps=400)
        >>> round(float(s(0)), 6), round(float(s(100)), 6)
        (0.04, 1.0)
    """
    _epochs("fit_one_cycle", "n_epoch", n_epoch)
    _fraction("fit_one_cycle", "pct_start", pct_start)
    require("fit_one_cycle", "div", div, lambda v: v > 0, "> 0")
    require("fit_one_cycle", "div_final", div_final, lambda v: v > 0, "> 0")
    lr_max, steps = _lr(lr_max), _steps("fit_one_cycle", steps, n_epoch)
    return combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final, steps=steps)


@named
def fit_flat_cos(
    n_epoch: int,
    lr: Any = None,
    div_final: Any = 1e5,
    pct_start: float = 0.75,
    *,
    steps: Any = None,
) -> Schedule:
    """The learning rate of ``Learner.fit_flat_cos``: flat ``lr``, then a cosine to
    ``lr / div_final`` over the last ``1 - pct_start``.

    Example:
        >>> from schedalg.compat.fastai import fit_flat_cos
        >>> s = fit_flat_cos(4, lr=1.0, steps=400)
        >>> round(float(s(200)), 6), round(float(s(350)), 6)
        (1.0, 0.500005)
    """
    _epochs("fit_flat_cos", "n_epoch", n_epoch)
    _fraction("fit_flat_cos", "pct_start", pct_start)
    require("fit_flat_cos", "div_final", div_final, lambda v: v > 0, "> 0")
    lr, steps = _lr(lr), _steps("fit_flat_cos", steps, n_epoch)
    return combined_cos(pct_start, lr, lr, lr / div_final, steps=steps)


@named
def fit_sgdr(
    n_cycles: int,
    cycle_len: int,
    lr_max: Any = None,
    cycle_mult: int = 2,
    *,
    steps: Any = None,
) -> Schedule:
    """The learning rate of ``Learner.fit_sgdr``: ``n_cycles`` cosines from ``lr_max`` to 0.

    Cycle i lasts ``cycle_len * cycle_mult**i`` of the
    ``n_epoch = cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)`` epochs:
    ``restart(cosine(lr_max, 0, cycle_len * steps / n_epoch), mult=cycle_mult,
    limit=n_cycles)`` (fastai writes it as ``combine_scheds`` of ``n_cycles`` cosines).

    Args:
        steps: updates in the whole fit, ``n_epoch * len(dls.train)``; defaults to
            ``n_epoch`` (one step per epoch).

    Example:
        >>> from schedalg.compat.fastai import fit_sgdr
        >>> s = fit_sgdr(2, 1, lr_max=1.0, steps=300)
        >>> round(float(s(50)), 6), round(float(s(100)), 6), round(float(s(200)), 6)
        (0.5, 1.0, 0.5)
    """
    require("fit_sgdr", "cycle_mult", cycle_mult, lambda v: v > 1, "> 1")
    _epochs("fit_sgdr", "n_cycles", n_cycles)
    _epochs("fit_sgdr", "cycle_len", cycle_len)
    lr_max = _lr(lr_max)
    n_epoch = cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)
    steps = _steps("fit_sgdr", steps, n_epoch)
    whole = isinstance(steps, int) and isinstance(cycle_len, int) and isinstance(n_epoch, int)
    if whole and cycle_len * steps % n_epoch == 0:
        period = cycle_len * steps // n_epoch  # exact integer cycle lengths
    else:
        period = cycle_len * steps / n_epoch
    return sa.restart(SchedCos(lr_max, 0.0, steps=period), mult=cycle_mult, limit=n_cycles)
