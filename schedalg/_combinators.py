"""The algebra's structural combinators: join, warmup, restart."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from schedalg._core import (
    Schedule,
    _show,
    anneal,
    before,
    broadcast_all,
    clock,
    concrete,
    cycle_index,
    fl,
    geometric_start,
    lerp,
    progress,
    require,
    require_choice,
    safe_pow,
    schedule_class,
    sorted_last,
    static,
    vector,
)
from schedalg._steps import count_at_or_below

#: The public names (``schedalg`` exports each module's ``__all__``).
__all__ = ["join", "warmup", "restart"]


def _alike(pieces: tuple[Schedule, ...]) -> list[list[int]]:
    """Indices of pieces grouped by identical structure and leaf shapes."""
    groups: dict[Any, list[int]] = {}
    for i, piece in enumerate(pieces):
        leaves, treedef = jax.tree_util.tree_flatten(piece)
        key = (treedef, tuple((jnp.shape(x), jnp.result_type(x)) for x in leaves))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _group_value(t, index, pieces, starts, members) -> jax.Array:
    """The value of the piece in force, for the elements whose piece is in this group.

    Pieces of one structure are stacked and evaluated in one vmapped call, so a join of
    many pieces compiles in time proportional to its number of distinct structures.
    ``starts`` is the lone piece's start, or the members' starts on a leading axis.
    """
    if len(pieces) == 1:
        return pieces[0](t - starts)
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *pieces)
    offsets = starts
    values = jax.vmap(lambda piece, start: piece(t - start))(stacked, offsets)
    slot_of = np.zeros(int(max(members)) + 1 + 0, np.int32)
    slot_of[members] = np.arange(len(members))
    slot = jnp.asarray(slot_of)[jnp.clip(index, 0, len(slot_of) - 1)]
    shape = jnp.broadcast_shapes(values.shape[1:], slot.shape)
    values = jnp.broadcast_to(values, values.shape[:1] + shape)
    return jnp.take_along_axis(values, jnp.broadcast_to(slot, shape)[None], axis=0)[0]


def _starts_of(members: list[int], starts: list[Any] | None, later: jax.Array) -> Any:
    """The start of a lone member, or the members' starts stacked on a leading axis.

    ``starts`` lists every piece's start; ``None`` when they are ``later`` (the
    boundaries) with a 0 before, which are then gathered in one operation.
    """
    if starts is not None:
        if len(members) == 1:
            return starts[members[0]]
        return jnp.stack(jnp.broadcast_arrays(*(jnp.asarray(starts[i]) for i in members)))
    if members == [0]:
        return 0
    if len(members) == 1:
        return later[..., members[0] - 1]
    picked = jnp.take(later, np.asarray([i - 1 for i in members if i > 0]), axis=-1)
    if members[0] == 0:
        picked = jnp.concatenate([jnp.zeros_like(picked[..., :1]), picked], axis=-1)
    return jnp.moveaxis(picked, -1, 0)


@schedule_class
class join(Schedule):
    """Runs schedules one after another, each on its own clock.

    Piece i starts at ``starts[i]`` (0 for the first) and gives ``piece_i(t - starts[i])``
    on ``[starts[i], starts[i+1])``; the value at a boundary belongs to the next piece.
    ``boundaries`` gives the starts of pieces 1.. as absolute steps; without it the
    starts add up the pieces' durations. A piece of duration 0 (or two equal boundaries)
    is never in force: it contributes nothing.

    Example:
        >>> s = join(linear(0.0, 1.0, 10), cosine(1.0, 0.0, 90))
        >>> float(s(5)), float(s(10)), s.duration
        (0.5, 1.0, 100)
    """

    roles = {"starts": "boundaries"}

    pieces: tuple = dataclasses.field(metadata={"varargs": True})
    boundaries: Any = vector(default=None)

    def __init__(self, *pieces: Schedule, boundaries: Any = None):
        object.__setattr__(self, "pieces", tuple(pieces))
        object.__setattr__(self, "boundaries", boundaries)
        self.__post_init__()

    def _validate(self) -> None:
        n = len(self.pieces)
        if n == 0:
            raise ValueError("join: needs at least one schedule, got no pieces")
        for i, piece in enumerate(self.pieces):
            if not isinstance(piece, Schedule):
                raise ValueError(f"join: piece {i + 1} of {n} must be a schedule, got {piece!r}")
        if self.boundaries is None:
            for i, piece in enumerate(self.pieces[:-1]):
                if piece.duration is None:
                    raise ValueError(
                        f"join: piece {i + 1} of {n} ({piece.name}) has no duration; "
                        "pass boundaries=[...] with the absolute start of each later piece"
                    )
            return
        b = concrete(self.boundaries)
        if b is not None and (b.ndim == 0 or b.shape[-1] != n - 1):
            raise ValueError(
                f"join: boundaries must have one entry per piece after the first "
                f"({n - 1}), got boundaries={_show(self.boundaries)}"
            )
        require("join", "boundaries", self.boundaries, lambda v: v >= 0, ">= 0")
        require("join", "boundaries", self.boundaries, sorted_last, "sorted")

    def starts(self) -> list[Any]:
        """The absolute start of each piece (the first starts at 0)."""
        if self.boundaries is not None:
            b = jnp.asarray(self.boundaries)
            return [0] + [b[..., i] for i in range(len(self.pieces) - 1)]
        starts = [0]
        for piece in self.pieces[:-1]:
            starts.append(starts[-1] + piece.duration)
        return starts

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        if len(self.pieces) == 1:
            return self.pieces[0](t)
        if self.boundaries is None:
            starts = self.starts()
            later = jnp.stack(jnp.broadcast_arrays(*(jnp.asarray(x) for x in starts[1:])), -1)
        else:  # the boundaries are the later starts already: no slice per piece
            starts, later = None, jnp.asarray(self.boundaries)
        index = count_at_or_below(t, later)
        groups = _alike(self.pieces)
        values = [
            _group_value(t, index, [self.pieces[i] for i in g], _starts_of(g, starts, later), g)
            for g in groups
        ]
        group_of = np.zeros(len(self.pieces), np.int32)
        for k, g in enumerate(groups):
            group_of[g] = k
        shape = jnp.broadcast_shapes(jnp.shape(index), *(jnp.shape(v) for v in values))
        dtype = jnp.result_type(*values)
        cases = [jnp.broadcast_to(v.astype(dtype), shape) for v in values]
        if len(cases) == 1:
            return cases[0]
        # One n-way select (not a chain of wheres): compile time stays linear in pieces.
        return jax.lax.select_n(jnp.broadcast_to(jnp.asarray(group_of)[index], shape), *cases)

    @property
    def duration(self) -> Any:
        last = self.pieces[-1].duration
        return None if last is None else self.starts()[-1] + last


#: The warmup's fraction at step t < W (``ramp=``): today's ``t / W``, llm.c's
#: ``(t + 1) / W`` and nanoGPT's ``(t + 1) / (W + 1)``.
_RAMPS = ("t/W", "(t+1)/W", "(t+1)/(W+1)")


def _one_minus_sqrt_rest(frac: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
    """``(1 - sqrt(1 - x), sqrt(1 - x))`` from :func:`progress`'s ``(x, 1 - x)``, with a
    finite gradient at ``x = 1`` (infinite slope)."""
    _, rest = frac
    positive = rest > 0
    root = jnp.where(positive, jnp.sqrt(jnp.where(positive, rest, 1.0)), 0.0)
    return 1.0 - root, root


@schedule_class
class warmup(Schedule):
    """Ramps from ``start`` to ``schedule(0)`` over ``steps``, then runs ``schedule``.

    With ``W = steps`` and the ramp's fraction ``x`` at step t < W: ``start + (target -
    start) * w(x)`` where ``target = schedule(0)`` and ``w`` is the ``shape``: "linear"
    (``x``), "cosine" (``(1 - cos(pi * x)) / 2``), "1-sqrt" (``1 - sqrt(1 - x)``, Hugging
    Face's ``get_wsd_schedule(warmup_type="1-sqrt")``), "exponential" (geometric,
    ``start * (target / start) ** x``; ``start > 0``) or "constant" (``start`` throughout).
    From step W on: ``schedule(t - W)`` when ``prefix=True`` (the schedule's clock starts
    after the warmup, as in Hugging Face and optax) or ``schedule(t)`` when
    ``prefix=False`` (timm's ``warmup_prefix=False``). ``steps = 0`` is no warmup.

    ``ramp`` says where the fraction is counted from:

    * ``"t/W"`` (default): ``x = t / W``, so step 0 gives ``start`` and the target is
      reached on step W (Hugging Face, optax, timm).
    * ``"(t+1)/W"``: ``x = (t + 1) / W``, the target on step ``W - 1`` (llm.c's
      ``lr * (step + 1) / warmup_iters``; the decay still starts on step W).
    * ``"(t+1)/(W+1)"``: ``x = (t + 1) / (W + 1)``, never quite the target during the
      warmup (nanoGPT's ``learning_rate * (it + 1) / (warmup_iters + 1)``).

    With the last two, step 0 already gives ``start + (target - start) * w(x)`` at the
    first fraction, not ``start`` itself.

    Example:
        >>> s = warmup(cosine(1.0, 0.0, 90), 10)
        >>> float(s(5)), float(s(10))
        (0.5, 1.0)
        >>> llm_c = warmup(cosine(1.0, 0.0, 90), 4, ramp="(t+1)/W")
        >>> [float(llm_c(t)) for t in range(5)]
        [0.25, 0.5, 0.75, 1.0, 1.0]
        >>> nano_gpt = warmup(cosine(1.0, 0.0, 90), 3, ramp="(t+1)/(W+1)")
        >>> [float(nano_gpt(t)) for t in range(4)]
        [0.25, 0.5, 0.75, 1.0]
    """

    roles = {"warmup": "steps"}
    limits = {"steps": ">= 0"}

    schedule: Schedule
    steps: Any
    _: dataclasses.KW_ONLY
    start: Any = 0.0
    shape: str = static(default="linear")
    prefix: bool = static(default=True)
    ramp: str = static(default="t/W")

    def _validate(self) -> None:
        shapes = ("linear", "cosine", "1-sqrt", "exponential", "constant")
        require_choice("warmup", "shape", self.shape, shapes)
        require_choice("warmup", "ramp", self.ramp, _RAMPS)
        if self.shape == "exponential":
            require("warmup", "start", self.start, lambda v: v > 0, "> 0 for shape='exponential'")

    def _fraction(self, t: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(x, 1 - x), the complement exact near the end (see progress)."""
        if self.ramp == "t/W":
            return progress(t, self.steps)
        if self.ramp == "(t+1)/W":
            return progress(t + 1, self.steps)
        return progress(t + 1, self.steps + 1)

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        frac = self._fraction(t)
        if self.shape == "1-sqrt":
            ramp = lerp(self.start, self.schedule._initial(), _one_minus_sqrt_rest(frac))
        else:
            ramp = anneal(self.start, self.schedule._initial(), frac, self.shape)
        after = self.schedule(t - self.steps if self.prefix else t)
        return jnp.where(before(t, self.steps), ramp, after)

    @property
    def duration(self) -> Any:
        inner = self.schedule.duration
        if inner is None:
            return None
        return self.steps + inner if self.prefix else jnp.maximum(self.steps, inner)


@schedule_class
class restart(Schedule):
    """Warm restarts (SGDR): the schedule replayed in cycles of growing length.

    Cycle k lasts ``period * mult**k`` (``period`` defaults to the schedule's duration);
    the schedule is stretched to fill each cycle (local value ``v = schedule(u)``) and
    multiplied by ``decay**k``. After ``limit`` cycles the value holds the end of the last
    cycle. ``period`` is a period, not a piece length: it must be > 0.

    With ``floor=f`` the cycle's start decays but the floor stays: cycle k gives
    ``f + (v - f) * (p * decay**k - f) / (p - f)`` with ``p = schedule(0)``; a cycle
    with ``decay**k == 1`` is ``v`` itself, any other is ``f`` wherever ``p == f``. So
    ``restart(cosine(lr, lr_min, T), mult=m, decay=d, floor=lr_min)`` is timm's
    ``CosineLRScheduler(t_initial=T, lr_min=lr_min, cycle_mul=m, cycle_decay=d)``:
    ``lr_min + 0.5 * (lr * d**k - lr_min) * (1 + cos(...))``.

    Example:
        >>> s = restart(linear(1.0, 0.0, 10))
        >>> float(s(5)), float(s(10)), float(s(25))
        (0.5, 1.0, 0.5)
        >>> timm_like = restart(linear(1.0, 0.2, 10), decay=0.5, floor=0.2)
        >>> round(float(timm_like(10)), 6), round(float(timm_like(15)), 6)
        (0.5, 0.35)
    """

    limits = {"period": "> 0", "mult": ">= 1", "decay": ">= 0", "limit": "an integer >= 1"}

    schedule: Schedule
    period: Any = None
    _: dataclasses.KW_ONLY
    mult: Any = 1.0
    decay: Any = 1.0
    limit: Any = None
    floor: Any = None

    def _validate(self) -> None:
        if self.period is None and self.schedule.duration is None:
            raise ValueError(
                f"restart: {self.schedule.name} has no duration, so the cycle length is "
                "unknown; pass period=<steps per cycle>"
            )
        if self.period is None:
            rule = "> 0 (it sets the period)"
            require("restart", "schedule.duration", self.schedule.duration, lambda v: v > 0, rule)

    def _period(self) -> Any:
        return self.schedule.duration if self.period is None else self.period

    def __call__(self, step: ArrayLike) -> jax.Array:
        t = clock(step)
        period = self._period()
        reference = self.schedule.duration
        reference = period if reference is None else reference
        k, local, length = cycle_index(t, period, self.mult)  # k exact: see cycle_index
        # Unstretched cycles keep the exact local clock (XLA's x / x can be 1 - ulp).
        inner = jnp.where(length == fl(reference), local, local * (fl(reference) / length))
        if self.limit is not None:  # past the limit: the exact end of the last cycle, held
            done = k >= fl(self.limit)
            k = jnp.where(done, fl(self.limit) - 1.0, k)
            inner = jnp.where(done, fl(reference), inner)
        return self._decayed(self.schedule(inner), k)

    def _decayed(self, value: jax.Array, k: jax.Array) -> jax.Array:
        """Cycle k's value from the schedule's local ``value``: ``decay**k`` times it, or
        with a floor, the start decayed towards the floor that stays."""
        gain = safe_pow(self.decay, k)
        if self.floor is None:
            return value * gain
        f, peak = fl(self.floor), fl(self.schedule._initial())
        span = peak - f
        flat = span == 0  # 0 / 0: the cycle sits on the floor
        ratio = jnp.where(flat, 0.0, (peak * gain - f) / jnp.where(flat, 1.0, span))
        # Undecayed cycles (cycle 0, decay 1) are the schedule itself, exactly.
        return jnp.where(gain == 1, value, f + (value - f) * ratio)

    def _initial(self) -> jax.Array:
        # Step 0 is step 0 of cycle 0, whose gain decay**0 is exactly 1: the schedule's own.
        leaves = (self._period(), self.mult, self.decay, self.limit, self.floor)
        return broadcast_all(fl(self.schedule._initial()), *(x for x in leaves if x is not None))

    @property
    def duration(self) -> Any:
        if self.limit is None:
            return None
        return geometric_start(self._period(), self.mult, self.limit)
