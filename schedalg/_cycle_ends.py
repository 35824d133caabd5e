"""Where a warm-restart schedule's cycles end, read from the tree's declarations.

Each node says how its clock relates to its children's (:attr:`Schedule.roles`:
``delay``, ``slowdown``, ``epoch``, ``warmup``, ``starts``; :attr:`Schedule.keeps_clock`
for value-only nodes), so a new clock transform that declares its role is understood
here without an edit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from schedalg._core import Schedule, concrete, require


def _exact(node: Schedule, field: str, value: Any) -> Fraction:
    v = concrete(value)
    if v is None:
        raise ValueError(f"cycle_ends: {node.name}.{field} is traced; pass a concrete schedule")
    if v.ndim:
        raise ValueError(
            f"cycle_ends: {node.name}.{field} has shape {v.shape}; cycle_ends takes a single "
            "schedule, not a batch (index the batch first)"
        )
    if np.issubdtype(v.dtype, np.integer):
        return Fraction(int(v))
    return Fraction(float(v))


# A map takes a threshold b on a child's clock ("the child's clock is >= b") to the first
# outer step where that holds: None past the end of the child's span, _HIDDEN when that
# step falls under a wrapper (a warmup ramp) that hides the child.
_Map = Callable[[Fraction], Any]
_HIDDEN = object()


def _role(node: Schedule, role: str) -> Fraction:
    field = node.roles[role]
    return _exact(node, field, getattr(node, field))


def _clock_maps(node: Any) -> Iterator[tuple[Schedule, _Map]]:
    """(child, map) for each child whose clock this node's declarations explain."""
    roles, children = node.roles, [child for _, child in node.children()]
    if not children:
        return
    if node.keeps_clock:
        for child in children:
            yield child, lambda b: b
    elif "starts" in roles:  # pieces in sequence: offset by each start, cut at the next
        starts = [_exact(node, roles["starts"], s) for s in node.starts()]
        for i, piece in enumerate(children):
            yield piece, _piece(starts[i], starts[i + 1] if i + 1 < len(starts) else None)
    elif "warmup" in roles:
        steps = _role(node, "warmup")
        if node.prefix:
            yield node.schedule, lambda b: b + steps
        else:  # the clock keeps running under the ramp: ends inside it are not seen
            yield node.schedule, lambda b: b if b > steps else _HIDDEN
    elif "delay" in roles:
        steps = _role(node, "delay")
        yield node.schedule, lambda b: b + steps
    elif "slowdown" in roles:
        factor = _role(node, "slowdown")
        yield node.schedule, lambda b: b * factor
    elif "epoch" in roles:
        every = _role(node, "epoch")
        yield node.schedule, lambda b: math.ceil(b) * every
    else:
        raise ValueError(
            f"cycle_ends: cannot map the clock of a {node.name} node around a restart; "
            "cycle_ends understands nodes that declare how their clock maps (join, warmup, "
            "shift, stretch, per_epoch) and value-only nodes (scale, add, clip)"
        )


def _piece(lo: Fraction, hi: Fraction | None) -> _Map:
    """A join piece's map: offset by its start, past its end (the next start) unseen."""
    return lambda b: None if hi is not None and b + lo > hi else b + lo


def _restarts(node: Schedule, maps: tuple[_Map, ...]) -> Iterator[tuple[Schedule, tuple]]:
    """(restart node, its wrappers' maps, innermost first) for each outermost restart."""
    if node.name == "restart":
        yield node, maps
        return
    for child, m in _clock_maps(node):
        yield from _restarts(child, (m, *maps))


def cycle_ends(schedule: Schedule, until: int) -> list[int]:
    """The steps at which the cycles of a warm-restart schedule end (for snapshots).

    Finds the :func:`schedalg.restart` node in the tree and returns every step ``e <=
    until`` at which a cycle ends: the value at step ``e`` is the next cycle's first, so
    a snapshot taken when ``count == e`` (after ``e`` updates) holds the model at the end
    of a cycle (snapshot ensembles, Huang et al. 2017). Cycle ``k`` of the restart ends
    at ``period * (mult**(k+1) - 1) / (mult - 1)`` (``period * (k + 1)`` for ``mult ==
    1``) on its own clock, computed in exact rational arithmetic (exact integers for
    integer ``period`` and ``mult``) and rounded up to a step; ``limit`` stops the list.
    Wrappers are accounted for: ``warmup`` (a prefix warmup delays the ends), ``shift``,
    ``stretch``, ``per_epoch`` and ``join`` (offset by the piece's start, cut at its end);
    ``scale``, ``add`` and ``clip`` leave the clock alone. Several restarts side by side
    (timm's decaying peak plus its floor, ``restart(a) + restart(b)``) are fine when
    their ends up to ``until`` are the same; ends that differ raise a ``ValueError``
    listing each restart's.

    Args:
      schedule: a single (unbatched, concrete) schedule containing restarts.
      until: last step to consider (inclusive).

    Returns:
      The ends as a sorted list of Python ints.

    Example:
      >>> sa.cycle_ends(sa.warmup(sa.restart(sa.cosine(1.0, 0.0, 10), mult=2), 5), 100)
      [15, 35, 75]
    """
    require("cycle_ends", "until", until, lambda v: v >= 0, ">= 0")
    found = list(_restarts(schedule, ()))
    if not found:
        raise ValueError(
            f"cycle_ends: found no restart node in {schedule!r}; cycle ends are defined for "
            "warm-restart schedules built with sa.restart(...)"
        )
    # Restarts side by side (timm's decaying peak plus its floor's share) usually share
    # their cycles: then the ends are theirs. Only ends that differ are ambiguous.
    each = [_ends(node, maps, until) for node, maps in found]
    if any(ends != each[0] for ends in each[1:]):
        n = len(found)
        said = [f"restart 1 of {n} ends at {_show_ends(each[0])}"]
        said += [f"restart {i} of {n} at {_show_ends(e)}" for i, e in enumerate(each[1:], 2)]
        raise ValueError(
            f"cycle_ends: found {n} restart nodes whose cycle ends differ in {schedule!r}: "
            f"{', '.join(said)} (up to step {until}); the cycle ends are ambiguous"
        )
    return each[0]


def _show_ends(ends: list[int]) -> str:
    return "[" + ", ".join(map(str, ends[:6])) + (", ...]" if len(ends) > 6 else "]")


def _ends(node: Any, maps: tuple[_Map, ...], until: int) -> list[int]:
    """The cycle ends of one restart node, mapped out through its wrappers."""
    period = node.period if node.period is not None else node.schedule.duration
    period = _exact(node, "period", period)
    mult = _exact(node, "mult", node.mult)
    limit = None if node.limit is None else int(_exact(node, "limit", node.limit))
    ends: list[int] = []
    k, end, length = 0, Fraction(0), period
    while limit is None or k < limit:
        end, length, k = end + length, length * mult, k + 1
        outer: Any = end
        for m in maps:  # innermost wrapper first: _restarts prepends each map
            outer = m(outer)
            if outer is None or outer is _HIDDEN:
                break
        if outer is None:
            break  # past the end of the join piece that holds the restart
        if outer is _HIDDEN:
            continue
        step = math.ceil(outer)
        if step > until:
            break
        if step > 0 and (not ends or step > ends[-1]):
            ends.append(step)
    return ends
